"""The same request through every provider kind the demo simulates (Azure OpenAI, Bedrock Converse,
OpenAI, Anthropic, Gemini), each in its real wire dialect: the official SDK must see the same
content, tool calls, finish reasons and usage."""
from __future__ import annotations

import json

import pytest

COMPLETION_TOKENS = 16
TEXT = "Hello from the simulated cloud. Every word is one token!Hello from the simulated"  # 16 words

# model -> (provider kind, cloud that serves it first)
KINDS = {
    "gpt-5": ("azure-openai", "azure"),
    "gpt-5-mini": ("bedrock", "aws"),
    "gpt-5-nano": ("openai", "openai"),
    "claude-sonnet-4-5": ("anthropic", "anthropic"),
    "gemini-2.5-flash": ("gemini", "gcp"),
}
MESSAGES = [{"role": "user", "content": "Say hello to Switchyard."}]
TOOLS = [{
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}]


@pytest.mark.parametrize("model", list(KINDS))
def test_non_stream(client, model):
    raw = client.chat.completions.with_raw_response.create(model=model, messages=MESSAGES)
    completion = raw.parse()
    assert raw.headers.get("x-switchyard-cloud") == KINDS[model][1]
    assert completion.object == "chat.completion"
    assert completion.choices[0].message.content == TEXT
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.completion_tokens == COMPLETION_TOKENS
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + COMPLETION_TOKENS


@pytest.mark.parametrize("model", list(KINDS))
def test_stream_with_usage_chunk(client, model):
    raw = client.chat.completions.with_raw_response.create(
        model=model, messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(raw.parse())
    assert raw.headers.get("x-switchyard-cloud") == KINDS[model][1]
    assert len({chunk.id for chunk in chunks}) == 1
    assert all(chunk.object == "chat.completion.chunk" for chunk in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.delta.content or "" for chunk in chunks for c in chunk.choices)
    assert text == TEXT
    finishes = [c.finish_reason for chunk in chunks for c in chunk.choices if c.finish_reason]
    assert finishes == ["stop"]
    usage_chunk = chunks[-1]
    assert usage_chunk.choices == [] and usage_chunk.usage is not None
    assert usage_chunk.usage.completion_tokens == COMPLETION_TOKENS
    assert usage_chunk.usage.total_tokens == usage_chunk.usage.prompt_tokens + COMPLETION_TOKENS


@pytest.mark.parametrize("model", list(KINDS))
def test_stream_without_usage_has_no_usage_chunk(client, model):
    chunks = list(client.chat.completions.create(model=model, messages=MESSAGES, stream=True))
    assert all(chunk.usage is None for chunk in chunks)
    assert all(chunk.choices for chunk in chunks)


@pytest.mark.parametrize("model", list(KINDS))
def test_tool_call(client, model):
    completion = client.chat.completions.create(model=model, messages=MESSAGES, tools=TOOLS)
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.type == "function" and call.id
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "simulated"}
    assert completion.usage.completion_tokens == COMPLETION_TOKENS

    # Streamed: assembled by index, the same call.
    calls: dict[int, dict] = {}
    finish = None
    for chunk in client.chat.completions.create(model=model, messages=MESSAGES, tools=TOOLS, stream=True):
        for c in chunk.choices:
            finish = c.finish_reason or finish
            for delta in c.delta.tool_calls or []:
                entry = calls.setdefault(delta.index, {"name": "", "arguments": ""})
                if delta.function and delta.function.name:
                    entry["name"] = delta.function.name
                if delta.function and delta.function.arguments:
                    entry["arguments"] += delta.function.arguments
    assert finish == "tool_calls"
    assert list(calls) == [0]
    assert calls[0]["name"] == "get_weather"
    assert json.loads(calls[0]["arguments"]) == {"city": "simulated"}

    # The tool result goes back and the model answers in text.
    followup = client.chat.completions.create(
        model=model,
        tools=TOOLS,
        messages=MESSAGES + [
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": call.id, "type": "function", "function": {"name": "get_weather", "arguments": call.function.arguments}}
            ]},
            {"role": "tool", "tool_call_id": call.id, "content": "4 C, cloudy"},
        ],
    )
    assert followup.choices[0].finish_reason == "stop"
    assert followup.choices[0].message.content == TEXT


def test_bedrock_stream_throttling_fails_over(fresh_demo):
    # gpt-5 is azure first: throttle azure with a 429 and watch aws (Bedrock ConverseStream) serve it.
    fresh_demo.script_faults("azure", {"kind": "status", "status": 429, "retry_after": 1, "count": 1})
    with fresh_demo.client() as client:
        raw = client.chat.completions.with_raw_response.create(model="gpt-5", messages=MESSAGES, stream=True)
        chunks = list(raw.parse())
    assert raw.headers.get("x-switchyard-cloud") == "aws"
    assert "".join(c.delta.content or "" for chunk in chunks for c in chunk.choices) == TEXT
