"""The gateway as an application sees it through the official OpenAI Python SDK."""
from __future__ import annotations

import time
import uuid

import httpx
import openai
import pytest

from harness import CLIENT_KEY, HTTP_TIMEOUT

MESSAGES = [{"role": "user", "content": "Say hello to Switchyard."}]
COMPLETION_TOKENS = 16  # what the simulator produces per completion by default


def assert_openai_error_shape(response: httpx.Response) -> dict:
    """{"error": {"message", "type", "param", "code"}}, with a readable message and a type."""
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("error"), dict), f"not an OpenAI error: {body}"
    error = body["error"]
    missing = {"message", "type", "param", "code"} - error.keys()
    assert not missing, f"error object lacks {sorted(missing)}: {body}"
    assert isinstance(error["message"], str) and error["message"], body
    assert isinstance(error["type"], str) and error["type"], body
    return error


def text_of(chunks) -> str:
    return "".join(choice.delta.content or "" for chunk in chunks for choice in chunk.choices)


# -- happy path ---------------------------------------------------------------------------

def test_chat_completion(client):
    raw = client.chat.completions.with_raw_response.create(model="gpt-5", messages=MESSAGES)
    completion = raw.parse()

    assert completion.object == "chat.completion"
    assert completion.model  # the upstream's model name; its exact value is not our business
    content = completion.choices[0].message.content
    assert isinstance(content, str) and content.strip()
    assert completion.choices[0].finish_reason == "stop"

    usage = completion.usage
    assert usage is not None
    assert usage.prompt_tokens > 0
    assert usage.completion_tokens == COMPLETION_TOKENS
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens

    # gpt-5 is deployed on azure first, then aws: a healthy azure serves it on the first try.
    assert raw.headers.get("x-switchyard-cloud") == "azure"
    assert raw.headers.get("x-switchyard-attempts") == "1"
    assert raw.headers.get("x-switchyard-provider")
    assert raw.headers.get("x-switchyard-region")
    assert raw.headers.get("x-request-id")


def test_request_ids(client):
    mine = f"e2e-{uuid.uuid4()}"
    echoed = client.chat.completions.with_raw_response.create(
        model="gpt-5", messages=MESSAGES, extra_headers={"x-request-id": mine}
    )
    assert echoed.headers.get("x-request-id") == mine

    first = client.chat.completions.with_raw_response.create(model="gpt-5", messages=MESSAGES)
    second = client.chat.completions.with_raw_response.create(model="gpt-5", messages=MESSAGES)
    assert first.headers.get("x-request-id")
    assert first.headers.get("x-request-id") != second.headers.get("x-request-id")


def test_stream_without_usage(client, gateway):
    raw = client.chat.completions.with_raw_response.create(model="gpt-5", messages=MESSAGES, stream=True)
    chunks = list(raw.parse())

    assert chunks
    assert {chunk.object for chunk in chunks} == {"chat.completion.chunk"}
    assert text_of(chunks).strip()
    # The client did not ask for usage, so it must not get the usage chunk the gateway asked for.
    with_usage = [chunk.model_dump() for chunk in chunks if chunk.usage is not None]
    assert with_usage == []
    finish_reasons = [c.finish_reason for chunk in chunks for c in chunk.choices if c.finish_reason]
    assert finish_reasons == ["stop"]

    # ...but upstream was asked for it, so the ledger sees the tokens.
    cloud = raw.headers.get("x-switchyard-cloud")
    upstream_body = gateway.simulator_stats(cloud)["last_request"]
    assert upstream_body is not None, f"simulator {cloud} recorded no request body"
    assert upstream_body.get("stream") is True
    assert (upstream_body.get("stream_options") or {}).get("include_usage") is True


def test_stream_with_usage(client):
    stream = client.chat.completions.create(
        model="gpt-5", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)

    assert {chunk.object for chunk in chunks} == {"chat.completion.chunk"}
    assert text_of(chunks).strip()
    with_usage = [chunk for chunk in chunks if chunk.usage is not None]
    assert len(with_usage) == 1, [chunk.model_dump() for chunk in with_usage]
    last = chunks[-1]
    assert last is with_usage[0], "the usage chunk must be the final chunk"
    assert last.choices == []
    assert last.usage.completion_tokens == COMPLETION_TOKENS
    assert last.usage.total_tokens == last.usage.prompt_tokens + last.usage.completion_tokens


def test_models_list(client):
    ids = {model.id for model in client.models.list()}
    assert {"gpt-5", "gpt-5-mini"} <= ids


# -- client errors ------------------------------------------------------------------------

def test_bad_key(gateway):
    with gateway.client(api_key="sk-not-a-real-key") as bad:
        with pytest.raises(openai.AuthenticationError) as err:
            bad.chat.completions.create(model="gpt-5", messages=MESSAGES)
    assert err.value.status_code == 401
    assert_openai_error_shape(err.value.response)
    assert "sk-not-a-real-key" not in err.value.response.text, "the error echoes the secret key"


def test_missing_key(gateway):
    r = httpx.post(
        f"{gateway.base_url}/chat/completions", json={"model": "gpt-5", "messages": MESSAGES}, timeout=HTTP_TIMEOUT
    )
    assert r.status_code == 401
    assert_openai_error_shape(r)


def test_unknown_model(client):
    with pytest.raises(openai.NotFoundError) as err:
        client.chat.completions.create(model="no-such-model", messages=MESSAGES)
    assert err.value.status_code == 404
    assert err.value.code == "model_not_found"
    assert_openai_error_shape(err.value.response)


def test_missing_messages(gateway):
    r = httpx.post(
        f"{gateway.base_url}/chat/completions",
        json={"model": "gpt-5"},
        headers={"Authorization": f"Bearer {CLIENT_KEY}"},
        timeout=HTTP_TIMEOUT,
    )
    assert r.status_code == 400
    assert_openai_error_shape(r)


def test_empty_messages(client):
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model="gpt-5", messages=[])
    assert err.value.status_code == 400
    assert_openai_error_shape(err.value.response)


# -- upstream failures (each test gets its own demo: see the fresh_demo fixture) ----------

def test_failover_on_429(fresh_demo):
    fresh_demo.script_faults("azure", {"kind": "status", "status": 429, "retry_after": 1, "count": 1})
    with fresh_demo.client() as client:
        raw = client.chat.completions.with_raw_response.create(model="gpt-5", messages=MESSAGES)
    completion = raw.parse()
    assert completion.choices[0].message.content
    assert completion.usage.completion_tokens == COMPLETION_TOKENS
    assert raw.headers.get("x-switchyard-cloud") == "aws"
    assert raw.headers.get("x-switchyard-attempts") == "2"


def test_stream_failover_on_429(fresh_demo):
    fresh_demo.script_faults("azure", {"kind": "status", "status": 429, "retry_after": 1, "count": 1})
    with fresh_demo.client() as client:
        raw = client.chat.completions.with_raw_response.create(model="gpt-5", messages=MESSAGES, stream=True)
        chunks = list(raw.parse())
    assert text_of(chunks).strip()
    assert raw.headers.get("x-switchyard-cloud") == "aws"
    assert raw.headers.get("x-switchyard-attempts") == "2"


def test_all_deployments_503(fresh_demo):
    # count 5, not 1: whatever the retry policy, every attempt must fail.
    for cloud in ("azure", "aws"):
        fresh_demo.script_faults(cloud, {"kind": "status", "status": 503, "count": 5})
    with fresh_demo.client() as client:
        with pytest.raises(openai.InternalServerError) as err:
            client.chat.completions.create(model="gpt-5", messages=MESSAGES)
    assert err.value.status_code == 503
    assert_openai_error_shape(err.value.response)


def test_all_deployments_429(fresh_demo):
    fresh_demo.script_faults("aws", {"kind": "status", "status": 429, "count": 5})  # gpt-5-mini is aws only
    with fresh_demo.client() as client:
        with pytest.raises(openai.RateLimitError) as err:
            client.chat.completions.create(model="gpt-5-mini", messages=MESSAGES)
    assert err.value.status_code == 429
    assert_openai_error_shape(err.value.response)


def test_a_hung_cloud_is_routed_around_and_the_health_endpoint_shows_why(fresh_demo):
    # azure (gpt-5's first deployment) hangs before answering: the client still gets a normal
    # answer from aws, within the demo's first_byte timeout (10 s).
    fresh_demo.script_faults("azure", {"kind": "hang", "max_seconds": 60})
    with fresh_demo.client() as client:
        raw = client.chat.completions.with_raw_response.create(model="gpt-5", messages=MESSAGES)
    assert raw.parse().choices[0].message.content
    assert raw.headers.get("x-switchyard-cloud") == "aws"
    assert raw.headers.get("x-switchyard-attempts") == "2"

    health = httpx.get(
        f"{fresh_demo.gateway_url}/admin/v1/health",
        headers={"Authorization": "Bearer sk-demo-admin"},
        timeout=HTTP_TIMEOUT,
    )
    assert health.status_code == 200
    deployments = {(d["provider"], d["target"]): d for d in health.json()["deployments"]}
    azure = deployments[("azure-eastus", "gpt-5-prod")]
    assert azure["last_failure"] == "timeout"
    assert azure["consecutive_failures"] == 1 and azure["error_rate"] == 1
    assert azure["state"] == "closed"  # the demo opens a breaker after 5 failures in a row
    aws = deployments[("aws-uswest2", "openai.gpt-5-v1:0")]
    assert aws["state"] == "closed" and aws["ewma_ttfb_ms"] >= 0 and aws["available"]


def test_a_client_that_closes_a_silent_stream_cancels_the_upstream_at_once(fresh_demo):
    # azure sends two chunks, then only keep-alives: nothing goes to the client that could fail.
    from harness import read_ledger

    fresh_demo.script_faults("azure", {"kind": "hang_mid_stream", "after_chunks": 2, "max_seconds": 60})
    with fresh_demo.client() as client:
        stream = client.chat.completions.create(model="gpt-5", messages=MESSAGES, stream=True)
        next(iter(stream))
        closed = time.time()
        stream.close()  # the SDK closes the connection
    # The gateway closes its upstream connection; the simulator notes when (the demo's idle
    # timeout, which would end it otherwise, is 10 s).
    while (stats := fresh_demo.simulator_stats("azure"))["departures"] < 1:
        assert time.time() - closed < 5, "the upstream request was not cancelled"
        time.sleep(0.01)
    assert stats["last_departure_unix"] - closed < 0.1
    fresh_demo.assert_clean_stop()  # drains the ledger
    [row] = read_ledger(fresh_demo.db_path)
    assert (row["status"], row["error_code"], row["attempts"]) == (499, "client_disconnected", 1)
