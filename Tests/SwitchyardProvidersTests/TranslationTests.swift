import Foundation
import NIOCore
import SwitchyardCore
import Testing

@testable import SwitchyardProviders

/// What a client assembles from an OpenAI chunk stream.
struct Assembled: Equatable {
    var content = ""
    var toolCalls: [Int: (id: String, name: String, arguments: String)] = [:]
    var finishReason: String?
    var usage: JSONValue?
    var done = false
    var ids = Set<String>()
    var roleFirst = false

    static func == (a: Assembled, b: Assembled) -> Bool {
        a.content == b.content && a.finishReason == b.finishReason && a.usage == b.usage && a.done == b.done
            && a.toolCalls.keys.sorted() == b.toolCalls.keys.sorted()
            && a.toolCalls.allSatisfy { key, value in
                b.toolCalls[key].map { $0 == value } ?? false
            }
    }

    init() {}

    init(sse: String) throws {
        var first = true
        for event in sse.components(separatedBy: "\n\n") where event.hasPrefix("data: ") {
            let data = String(event.dropFirst(6))
            if data == "[DONE]" {
                self.done = true
                continue
            }
            let chunk = try JSONValue.parse(data)
            #expect(chunk["object"]?.stringValue == "chat.completion.chunk")
            if let id = chunk["id"]?.stringValue { self.ids.insert(id) }
            if let usage = chunk["usage"], !usage.isNull { self.usage = usage }
            for choice in chunk["choices"]?.arrayValue ?? [] {
                let delta = choice["delta"]
                if first {
                    self.roleFirst = delta?["role"]?.stringValue == "assistant"
                    first = false
                }
                self.content += delta?["content"]?.stringValue ?? ""
                for call in delta?["tool_calls"]?.arrayValue ?? [] {
                    let index = call["index"]?.intValue ?? -1
                    var entry = self.toolCalls[index] ?? ("", "", "")
                    if let id = call["id"]?.stringValue { entry.id = id }
                    if let name = call["function"]?["name"]?.stringValue { entry.name = name }
                    entry.arguments += call["function"]?["arguments"]?.stringValue ?? ""
                    self.toolCalls[index] = entry
                }
                if let reason = choice["finish_reason"]?.stringValue { self.finishReason = reason }
            }
        }
    }
}

/// Runs `translator` over `bytes` cut at `cuts`, returning the client bytes and the last usage.
func translate<T: StreamTranslator>(
    _ translator: T,
    _ bytes: [UInt8],
    cuts: [Int]
) throws(UpstreamError) -> (sse: String, usage: TokenUsage?) {
    var translator = translator
    var out = ""
    var usage: TokenUsage?
    var start = 0
    for cut in cuts.sorted() + [bytes.count] where cut >= start {
        var output = TranslatedOutput()
        try translator.push(ByteBuffer(bytes: bytes[start..<cut]), into: &output)
        out += String(buffer: output.bytes)
        if let learned = output.usage { usage = learned }
        start = cut
    }
    var output = TranslatedOutput()
    try translator.finish(into: &output)
    out += String(buffer: output.bytes)
    if let learned = output.usage { usage = learned }
    return (out, usage)
}

func randomCuts(_ count: Int, length: Int, using generator: inout some RandomNumberGenerator) -> [Int] {
    (0..<count).map { _ in Int.random(in: 0...length, using: &generator) }
}

/// A small deterministic generator so failures reproduce.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        self.state = self.state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return self.state >> 33 ^ self.state
    }
}

let identity = OpenAIResponseIdentity(id: "chatcmpl-test", created: 1_736_942_400, model: "target-model")

@Suite struct ChatRequestTranslationTests {
    static let body = #"""
        {"model":"gpt-5","messages":[
          {"role":"system","content":"Be terse."},
          {"role":"developer","content":[{"type":"text","text":"Answer in French."}]},
          {"role":"user","content":[{"type":"text","text":"Weather?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw=="}}]},
          {"role":"assistant","content":null,"tool_calls":[{"id":"call_7","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},
          {"role":"tool","tool_call_id":"call_7","content":"{\"tempC\": 4}"},
          {"role":"user","content":"Thanks"}],
         "temperature":1.5,"top_p":0.9,"max_tokens":100,"max_completion_tokens":256,"stop":"END","seed":7,
         "tools":[{"type":"function","function":{"name":"get_weather","description":"Get weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}],
         "tool_choice":"auto","stream":true,"stream_options":{"include_usage":true},"user":"u-42"}
        """#

    static func request() throws -> OpenAIChatRequest { try OpenAIChatRequest.parse(Array(Self.body.utf8)) }

    @Test func parsesTheOpenAIRequest() throws {
        let request = try Self.request()
        #expect(request.model == "gpt-5")
        #expect(request.messages.count == 6)
        #expect(request.maxTokens == 256)
        #expect(request.stop == ["END"])
        #expect(request.stream && request.includeUsage)
        #expect(request.toolChoice == .auto)
        #expect(request.tools.first?.name == "get_weather")
        #expect(
            request.messages[3].toolCalls == [.init(id: "call_7", name: "get_weather", arguments: #"{"city":"Oslo"}"#)]
        )
        #expect(request.messages[2].content == [.text("Weather?"), .imageURL("data:image/png;base64,iVBORw==")])
    }

    @Test(arguments: [
        (#"{"messages":[]}"#, "model"), (#"{"model":"m"}"#, "messages"),
        (#"{"model":"m","messages":[{"role":"wizard","content":"x"}]}"#, "messages[0].role"),
        (#"{"model":"m","messages":[{"role":"tool","content":"x"}]}"#, "messages[0].tool_call_id"),
        (#"{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"}"#, "temperature"),
        (#"{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio"}]}]}"#, "messages[0].content[0]"),
    ])
    func rejectsInvalidRequestsNamingTheParam(body: String, param: String) {
        #expect(throws: GatewayError.self) { try OpenAIChatRequest.parse(Array(body.utf8)) }
        do {
            _ = try OpenAIChatRequest.parse(Array(body.utf8))
        } catch {
            #expect(error.param == param)
        }
    }

    @Test func converseRequest() throws {
        let body = try ConverseTranslation.requestBody(try Self.request(), defaultMaxTokens: nil)
        let expected = try JSONValue.parse(
            #"""
            {"system":[{"text":"Be terse."},{"text":"Answer in French."}],
             "messages":[
               {"role":"user","content":[{"text":"Weather?"},{"image":{"format":"png","source":{"bytes":"iVBORw=="}}}]},
               {"role":"assistant","content":[{"toolUse":{"toolUseId":"call_7","name":"get_weather","input":{"city":"Oslo"}}}]},
               {"role":"user","content":[{"toolResult":{"toolUseId":"call_7","content":[{"text":"{\"tempC\": 4}"}]}},{"text":"Thanks"}]}],
             "inferenceConfig":{"maxTokens":256,"temperature":1,"topP":0.9,"stopSequences":["END"]},
             "toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","description":"Get weather","inputSchema":{"json":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}}],"toolChoice":{"auto":{}}}}
            """#
        )
        #expect(body == expected)
    }

    @Test func converseToolChoices() throws {
        var request = try Self.request()
        request.messages = [.init(role: "user", content: [.text("hi")])]
        request.toolChoice = .required
        #expect(
            try ConverseTranslation.requestBody(request, defaultMaxTokens: 5)["toolConfig"]?["toolChoice"]
                == .object([("any", .object([]))])
        )
        request.toolChoice = .function("get_weather")
        #expect(
            try ConverseTranslation.requestBody(request, defaultMaxTokens: 5)["toolConfig"]?["toolChoice"]
                == (try JSONValue.parse(#"{"tool":{"name":"get_weather"}}"#))
        )
        request.toolChoice = OpenAIChatRequest.ToolChoice.none
        #expect(try ConverseTranslation.requestBody(request, defaultMaxTokens: 5)["toolConfig"] == nil)
        request.maxTokens = nil
        #expect(
            try ConverseTranslation.requestBody(request, defaultMaxTokens: 5)["inferenceConfig"]?["maxTokens"]
                == .int(5)
        )
        request.n = 2
        #expect(throws: UpstreamError.self) { try ConverseTranslation.requestBody(request, defaultMaxTokens: nil) }
    }

    @Test func httpImageURLsAreRejectedForBedrock() throws {
        var request = try Self.request()
        request.messages = [.init(role: "user", content: [.imageURL("https://example.com/a.png")])]
        do {
            _ = try ConverseTranslation.requestBody(request, defaultMaxTokens: nil)
            Issue.record("expected a 400")
        } catch {
            #expect(error.status == 400 && !error.isRetryable && error.clientErrorBody != nil)
        }
    }

    @Test func anthropicRequest() throws {
        let body = try AnthropicTranslation.requestBody(try Self.request(), model: "claude-x", defaultMaxTokens: nil)
        let expected = try JSONValue.parse(
            #"""
            {"model":"claude-x","max_tokens":256,"system":"Be terse.\n\nAnswer in French.",
             "messages":[
               {"role":"user","content":[{"type":"text","text":"Weather?"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw=="}}]},
               {"role":"assistant","content":[{"type":"tool_use","id":"call_7","name":"get_weather","input":{"city":"Oslo"}}]},
               {"role":"user","content":[{"type":"tool_result","tool_use_id":"call_7","content":"{\"tempC\": 4}"},{"type":"text","text":"Thanks"}]}],
             "temperature":1,"top_p":0.9,"stop_sequences":["END"],
             "tools":[{"name":"get_weather","description":"Get weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}],
             "tool_choice":{"type":"auto"},"metadata":{"user_id":"u-42"},"stream":true}
            """#
        )
        #expect(body == expected)
    }

    @Test func anthropicNeedsMaxTokens() throws {
        var request = try Self.request()
        request.maxTokens = nil
        #expect(
            try AnthropicTranslation.requestBody(request, model: "m", defaultMaxTokens: nil)["max_tokens"] == .int(4096)
        )
        #expect(
            try AnthropicTranslation.requestBody(request, model: "m", defaultMaxTokens: 1000)["max_tokens"]
                == .int(1000)
        )
        request.parallelToolCalls = false
        request.toolChoice = .required
        #expect(
            try AnthropicTranslation.requestBody(request, model: "m", defaultMaxTokens: nil)["tool_choice"]
                == (try JSONValue.parse(#"{"type":"any","disable_parallel_tool_use":true}"#))
        )
    }

    @Test func geminiRequest() throws {
        let body = try GeminiTranslation.requestBody(try Self.request(), defaultMaxTokens: nil)
        let expected = try JSONValue.parse(
            #"""
            {"systemInstruction":{"parts":[{"text":"Be terse.\n\nAnswer in French."}]},
             "contents":[
               {"role":"user","parts":[{"text":"Weather?"},{"inlineData":{"mimeType":"image/png","data":"iVBORw=="}}]},
               {"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"city":"Oslo"}}}]},
               {"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"tempC":4}}},{"text":"Thanks"}]}],
             "tools":[{"functionDeclarations":[{"name":"get_weather","description":"Get weather","parametersJsonSchema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]}],
             "toolConfig":{"functionCallingConfig":{"mode":"AUTO"}},
             "generationConfig":{"temperature":1.5,"topP":0.9,"maxOutputTokens":256,"stopSequences":["END"],"seed":7}}
            """#
        )
        #expect(body == expected)
    }
}

@Suite struct ResponseTranslationTests {
    func completion(_ response: CompleteChatResponse) throws -> JSONValue {
        let json = try JSONValue.parse(Array(response.body.readableBytesView))
        #expect(json["object"]?.stringValue == "chat.completion")
        #expect(json["id"]?.stringValue == "chatcmpl-test")
        #expect(json["created"]?.intValue == 1_736_942_400)
        #expect(json["model"]?.stringValue == "target-model")
        return json
    }

    @Test func converseResponse() throws {
        let body = #"""
            {"output":{"message":{"role":"assistant","content":[{"text":"Let me check."},{"toolUse":{"toolUseId":"tooluse_2","name":"get_weather","input":{"city":"Oslo"}}}]}},
             "stopReason":"tool_use","usage":{"inputTokens":412,"outputTokens":37,"totalTokens":449,"cacheReadInputTokens":100,"cacheWriteInputTokens":5},"metrics":{"latencyMs":812}}
            """#
        let response = try ConverseTranslation.completion(Array(body.utf8), identity: identity)
        let json = try self.completion(response)
        let choice = json["choices"]?.arrayValue?.first
        #expect(choice?["finish_reason"]?.stringValue == "tool_calls")
        #expect(choice?["message"]?["content"]?.stringValue == "Let me check.")
        let call = choice?["message"]?["tool_calls"]?.arrayValue?.first
        #expect(call?["id"]?.stringValue == "tooluse_2")
        #expect(call?["function"]?["arguments"]?.stringValue == #"{"city":"Oslo"}"#)
        #expect(json["usage"]?["prompt_tokens"]?.intValue == 517)
        #expect(json["usage"]?["total_tokens"]?.intValue == 554)
        #expect(json["usage"]?["prompt_tokens_details"]?["cached_tokens"]?.intValue == 100)
        #expect(response.usage == TokenUsage(promptTokens: 517, completionTokens: 37, cachedTokens: 100))
    }

    @Test func anthropicResponse() throws {
        let body = #"""
            {"id":"msg_01ABC","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929",
             "content":[{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_02","name":"get_weather","input":{"city":"Oslo"}}],
             "stop_reason":"tool_use","stop_sequence":null,
             "usage":{"input_tokens":12,"output_tokens":30,"cache_creation_input_tokens":0,"cache_read_input_tokens":1800}}
            """#
        let response = try AnthropicTranslation.completion(Array(body.utf8), identity: identity)
        let json = try self.completion(response)
        #expect(json["choices"]?.arrayValue?.first?["finish_reason"]?.stringValue == "tool_calls")
        #expect(response.usage == TokenUsage(promptTokens: 1812, completionTokens: 30, cachedTokens: 1800))
    }

    @Test func geminiResponse() throws {
        let body = #"""
            {"candidates":[{"content":{"role":"model","parts":[{"text":"thinking","thought":true},{"text":"It is 4 C."}]},"finishReason":"STOP","index":0,"safetyRatings":[]}],
             "usageMetadata":{"promptTokenCount":30,"candidatesTokenCount":8,"totalTokenCount":52,"thoughtsTokenCount":14,"cachedContentTokenCount":0},
             "modelVersion":"gemini-2.5-flash","responseId":"abc123"}
            """#
        let response = try GeminiTranslation.completion(Array(body.utf8), identity: identity)
        let json = try self.completion(response)
        #expect(json["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue == "It is 4 C.")
        #expect(json["choices"]?.arrayValue?.first?["finish_reason"]?.stringValue == "stop")
        #expect(json["usage"]?["completion_tokens_details"]?["reasoning_tokens"]?.intValue == 14)
        #expect(response.usage == TokenUsage(promptTokens: 30, completionTokens: 22))
    }

    @Test func azureFilterResultsAreStripped() throws {
        let body =
            #"{"id":"x","object":"chat.completion","prompt_filter_results":[{"prompt_index":0}],"choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop","content_filter_results":{}}]}"#
        let stripped = try #require(AzureQuirks.strip(Array(body.utf8)))
        #expect(stripped["prompt_filter_results"] == nil)
        #expect(stripped["choices"]?.arrayValue?.first?["content_filter_results"] == nil)
        #expect(AzureQuirks.strip(Array(#"{"id":"x"}"#.utf8)) == nil)
    }
}

@Suite struct StreamTranslationTests {
    static func converseFrames(tool: Bool) -> [UInt8] {
        var frames = EventStreamEncoder.event("messageStart", payload: Array(#"{"role":"assistant","p":"abc"}"#.utf8))
        frames += EventStreamEncoder.event(
            "contentBlockDelta",
            payload: Array(#"{"contentBlockIndex":0,"delta":{"text":"Hel"}}"#.utf8)
        )
        frames += EventStreamEncoder.event(
            "contentBlockDelta",
            payload: Array(#"{"contentBlockIndex":0,"delta":{"text":"lo \"x\""}}"#.utf8)
        )
        frames += EventStreamEncoder.event("contentBlockStop", payload: Array(#"{"contentBlockIndex":0}"#.utf8))
        if tool {
            frames += EventStreamEncoder.event(
                "contentBlockStart",
                payload: Array(
                    #"{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"tooluse_2","name":"get_weather"}}}"#.utf8
                )
            )
            frames += EventStreamEncoder.event(
                "contentBlockDelta",
                payload: Array(#"{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"city\":"}}}"#.utf8)
            )
            frames += EventStreamEncoder.event(
                "contentBlockDelta",
                payload: Array(#"{"contentBlockIndex":1,"delta":{"toolUse":{"input":"\"Oslo\"}"}}}"#.utf8)
            )
        }
        frames += EventStreamEncoder.event(
            "messageStop",
            payload: Array(#"{"stopReason":"\#(tool ? "tool_use" : "end_turn")"}"#.utf8)
        )
        frames += EventStreamEncoder.event(
            "metadata",
            payload: Array(
                #"{"usage":{"inputTokens":10,"outputTokens":5,"totalTokens":15},"metrics":{"latencyMs":640}}"#.utf8
            )
        )
        return frames
    }

    static let anthropicSSE = """
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"output_tokens":1,"cache_read_input_tokens":5,"cache_creation_input_tokens":0}}}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

        event: ping
        data: {"type":"ping"}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"lo \\"x\\""}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":0}

        event: content_block_start
        data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"tooluse_2","name":"get_weather","input":{}}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"city\\":"}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\\"Oslo\\"}"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":1}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":5}}

        event: message_stop
        data: {"type":"message_stop"}


        """

    static let geminiSSE = """
        data: {"candidates":[{"content":{"role":"model","parts":[{"text":"Hel"}]},"index":0}],"modelVersion":"gemini-2.5-flash"}\r
        \r
        data: {"candidates":[{"content":{"role":"model","parts":[{"text":"lo \\"x\\""}]},"index":0}]}\r
        \r
        data: {"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"id":"tooluse_2","name":"get_weather","args":{"city":"Oslo"}}}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":30,"candidatesTokenCount":5,"totalTokenCount":35}}\r
        \r

        """

    static func expected(usage: String) throws -> Assembled {
        var expected = Assembled()
        expected.content = #"Hello "x""#
        expected.toolCalls = [0: ("tooluse_2", "get_weather", #"{"city":"Oslo"}"#)]
        expected.finishReason = "tool_calls"
        expected.usage = try JSONValue.parse(usage)
        expected.done = true
        return expected
    }

    @Test(arguments: 0..<40)
    func converseStreamSplitAtRandomPoints(seed: Int) throws {
        var generator = SeededGenerator(state: UInt64(seed) + 1)
        let bytes = Self.converseFrames(tool: true)
        let (sse, usage) = try translate(
            ConverseStreamTranslator(identity: identity, includeUsage: true),
            bytes,
            cuts: randomCuts(seed % 7 + 1, length: bytes.count, using: &generator)
        )
        let assembled = try Assembled(sse: sse)
        #expect(
            assembled
                == (try Self.expected(
                    usage:
                        #"{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}"#
                ))
        )
        #expect(assembled.roleFirst && assembled.ids == ["chatcmpl-test"])
        #expect(usage == TokenUsage(promptTokens: 10, completionTokens: 5))
    }

    @Test func converseStreamWithoutUsageChunk() throws {
        let (sse, usage) = try translate(
            ConverseStreamTranslator(identity: identity, includeUsage: false),
            Self.converseFrames(tool: false),
            cuts: []
        )
        let assembled = try Assembled(sse: sse)
        #expect(assembled.usage == nil && assembled.finishReason == "stop" && assembled.done)
        #expect(usage == TokenUsage(promptTokens: 10, completionTokens: 5))
        #expect(sse.hasSuffix("data: [DONE]\n\n"))
    }

    @Test func throttlingExceptionBeforeAnyEventIsARetryable429() {
        var translator = ConverseStreamTranslator(identity: identity, includeUsage: true)
        var output = TranslatedOutput()
        do {
            try translator.push(ByteBuffer(bytes: EventStreamTests.throttling), into: &output)
            Issue.record("expected an error")
        } catch {
            #expect(error.status == 429 && error.isRetryable)
            #expect(error.gatewayError.code == .rateLimited)
        }
        #expect(output.bytes.readableBytes == 0)
    }

    @Test func exceptionMidStreamAndTruncationAreErrors() throws {
        var translator = ConverseStreamTranslator(identity: identity, includeUsage: true)
        var output = TranslatedOutput()
        try translator.push(
            ByteBuffer(bytes: EventStreamEncoder.event("messageStart", payload: Array(#"{"role":"assistant"}"#.utf8))),
            into: &output
        )
        #expect(output.events == 1)
        #expect(throws: UpstreamError.self) {
            try translator.push(
                ByteBuffer(bytes: EventStreamEncoder.exception("modelStreamErrorException", message: "boom")),
                into: &output
            )
        }
        let frames = Self.converseFrames(tool: false)
        #expect(throws: UpstreamError.self) {
            try translate(
                ConverseStreamTranslator(identity: identity, includeUsage: true),
                Array(frames.prefix(frames.count - 3)),
                cuts: []
            )
        }
        var corrupt = frames
        corrupt[40] ^= 0xFF
        #expect(throws: UpstreamError.self) {
            try translate(ConverseStreamTranslator(identity: identity, includeUsage: true), corrupt, cuts: [])
        }
    }

    @Test(arguments: 0..<40)
    func anthropicStreamSplitAtRandomPoints(seed: Int) throws {
        var generator = SeededGenerator(state: UInt64(seed) + 100)
        let bytes = Array(Self.anthropicSSE.utf8)
        let (sse, usage) = try translate(
            AnthropicStreamTranslator(identity: identity, includeUsage: true),
            bytes,
            cuts: randomCuts(seed % 7 + 1, length: bytes.count, using: &generator)
        )
        #expect(
            try Assembled(sse: sse)
                == (try Self.expected(
                    usage:
                        #"{"prompt_tokens":30,"completion_tokens":5,"total_tokens":35,"prompt_tokens_details":{"cached_tokens":5,"cache_write_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}"#
                ))
        )
        #expect(usage == TokenUsage(promptTokens: 30, completionTokens: 5, cachedTokens: 5))
    }

    @Test func anthropicErrorEventAndTruncation() {
        let error =
            "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"
        do {
            _ = try translate(
                AnthropicStreamTranslator(identity: identity, includeUsage: false),
                Array(error.utf8),
                cuts: []
            )
            Issue.record("expected an error")
        } catch {
            #expect(error.status == 503)
        }
        let cut = Array(Self.anthropicSSE.utf8).prefix(300)
        #expect(throws: UpstreamError.self) {
            try translate(AnthropicStreamTranslator(identity: identity, includeUsage: false), Array(cut), cuts: [])
        }
    }

    @Test(arguments: 0..<40)
    func geminiStreamSplitAtRandomPoints(seed: Int) throws {
        var generator = SeededGenerator(state: UInt64(seed) + 200)
        let bytes = Array(Self.geminiSSE.utf8)
        let (sse, usage) = try translate(
            GeminiStreamTranslator(identity: identity, includeUsage: true),
            bytes,
            cuts: randomCuts(seed % 7 + 1, length: bytes.count, using: &generator)
        )
        #expect(
            try Assembled(sse: sse)
                == (try Self.expected(
                    usage:
                        #"{"prompt_tokens":30,"completion_tokens":5,"total_tokens":35,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}"#
                ))
        )
        #expect(usage == TokenUsage(promptTokens: 30, completionTokens: 5))
    }
}

@Suite struct MappingTableTests {
    @Test(arguments: [
        ("end_turn", "stop"), ("stop_sequence", "stop"), ("max_tokens", "length"),
        ("model_context_window_exceeded", "length"), ("tool_use", "tool_calls"),
        ("guardrail_intervened", "content_filter"), ("content_filtered", "content_filter"),
        ("malformed_model_output", "stop"), ("malformed_tool_use", "stop"), ("something_new", "stop"),
    ])
    func bedrockFinishReasons(stop: String, expected: String) { #expect(BedrockMapping.finishReason(stop) == expected) }

    @Test(arguments: [
        ("end_turn", "stop"), ("stop_sequence", "stop"), ("pause_turn", "stop"), ("max_tokens", "length"),
        ("model_context_window_exceeded", "length"), ("tool_use", "tool_calls"), ("refusal", "content_filter"),
    ])
    func anthropicFinishReasons(stop: String, expected: String) {
        #expect(AnthropicMapping.finishReason(stop) == expected)
    }

    @Test(arguments: [
        ("STOP", false, "stop"), ("STOP", true, "tool_calls"), ("FINISH_REASON_UNSPECIFIED", false, "stop"),
        ("MAX_TOKENS", false, "length"), ("SAFETY", false, "content_filter"), ("RECITATION", false, "content_filter"),
        ("LANGUAGE", false, "content_filter"), ("BLOCKLIST", false, "content_filter"),
        ("PROHIBITED_CONTENT", false, "content_filter"), ("SPII", false, "content_filter"),
        ("IMAGE_SAFETY", false, "content_filter"), ("OTHER", false, "content_filter"),
        ("MALFORMED_FUNCTION_CALL", false, "stop"), ("UNEXPECTED_TOOL_CALL", false, "stop"),
        ("TOO_MANY_TOOL_CALLS", false, "stop"),
    ])
    func geminiFinishReasons(reason: String, calls: Bool, expected: String) {
        #expect(GeminiMapping.finishReason(reason, calledFunctions: calls) == expected)
    }

    @Test func usageInvariants() throws {
        let bedrock = try #require(
            BedrockMapping.usage(
                try JSONValue.parse(
                    #"{"inputTokens":10,"outputTokens":3,"totalTokens":13,"cacheReadInputTokens":4,"cacheWriteInputTokens":2}"#
                )
            )
        )
        #expect(bedrock.promptTokens == 16 && bedrock.cachedTokens == 4 && bedrock.cacheWriteTokens == 2)
        #expect(bedrock.totalTokens == bedrock.promptTokens + bedrock.completionTokens)
        let anthropic = AnthropicMapping.usage(input: 12, output: 30, cacheRead: 1800, cacheCreation: 7)
        #expect(anthropic.promptTokens == 1819 && anthropic.totalTokens == 1849 && anthropic.cacheWriteTokens == 7)
        let gemini = try #require(
            GeminiMapping.usage(
                try JSONValue.parse(
                    #"{"promptTokenCount":30,"candidatesTokenCount":8,"totalTokenCount":52,"thoughtsTokenCount":14,"cachedContentTokenCount":6}"#
                )
            )
        )
        #expect(
            gemini.completionTokens == 22 && gemini.totalTokens == 52 && gemini.reasoningTokens == 14
                && gemini.cachedTokens == 6
        )
    }

    @Test(arguments: [
        ("ValidationException", 400, "invalid_request_error", false),
        ("ThrottlingException", 429, "rate_limit_error", true),
        ("ServiceQuotaExceededException", 429, "rate_limit_error", true),
        ("ModelNotReadyException", 503, "server_error", true),
        ("AccessDeniedException", 403, "permission_error", true),
        ("ResourceNotFoundException", 404, "invalid_request_error", false),
        ("ModelTimeoutException", 504, "server_error", true), ("ModelErrorException", 502, "server_error", true),
        ("ModelStreamErrorException", 502, "server_error", true),
        ("InternalServerException", 500, "server_error", true),
        ("ServiceUnavailableException", 503, "server_error", true),
    ])
    func bedrockErrors(name: String, status: Int, type: String, retryable: Bool) {
        let mapped = BedrockMapping.httpError(
            status: 999,
            errorTypeHeader: "\(name):http://internal.amazon.com/coral/com.amazon.bedrock/",
            body: Array(#"{"message":"m"}"#.utf8)
        )
        #expect(mapped.status == status && mapped.type == type && mapped.message == "m")
        #expect(mapped.upstreamError().isRetryable == retryable)
        // The exception name may also come from the body or a throttlingException frame.
        #expect(
            BedrockMapping.httpError(
                status: 999,
                errorTypeHeader: nil,
                body: Array(#"{"__type":"com.amazon#\#(name)"}"#.utf8)
            ).status == status
        )
        let lowerCamel = name.prefix(1).lowercased() + name.dropFirst()
        #expect(BedrockMapping.error(exception: lowerCamel, message: nil, httpStatus: nil).status == status)
    }

    @Test(arguments: [
        ("invalid_request_error", 400), ("authentication_error", 401), ("permission_error", 403),
        ("not_found_error", 404),
        ("request_too_large", 413), ("rate_limit_error", 429), ("api_error", 500), ("timeout_error", 504),
        ("overloaded_error", 503),
    ])
    func anthropicErrors(type: String, status: Int) {
        let body = #"{"type":"error","error":{"type":"\#(type)","message":"m"}}"#
        #expect(AnthropicMapping.httpError(status: 529, body: Array(body.utf8)).status == status)
    }

    @Test(arguments: [
        ("INVALID_ARGUMENT", 400), ("FAILED_PRECONDITION", 400), ("PERMISSION_DENIED", 403), ("NOT_FOUND", 404),
        ("RESOURCE_EXHAUSTED", 429), ("INTERNAL", 500), ("UNAVAILABLE", 503), ("DEADLINE_EXCEEDED", 504),
        ("UNAUTHENTICATED", 401),
    ])
    func geminiErrors(name: String, status: Int) {
        let body = #"{"error":{"code":1,"message":"m","status":"\#(name)"}}"#
        #expect(GeminiMapping.httpError(status: 400, body: Array(body.utf8)).status == status)
    }

    @Test func azureErrors() {
        let filter =
            #"{"error":{"message":"filtered","type":null,"param":"prompt","code":"content_filter","status":400,"innererror":{"code":"ResponsibleAIPolicyViolation","content_filter_result":{}}}}"#
        let mapped = AzureMapping.error(status: 400, body: Array(filter.utf8))
        #expect(mapped.status == 400 && mapped.code == "content_filter" && mapped.param == "prompt")
        let inner =
            #"{"error":{"message":"x","code":"BadRequest","inner_error":{"code":"ResponsibleAIPolicyViolation"}}}"#
        #expect(AzureMapping.error(status: 400, body: Array(inner.utf8)).code == "content_filter")
        let throttled = AzureMapping.error(
            status: 429,
            body: Array(#"{"error":{"code":"429","message":"retry"}}"#.utf8)
        )
        #expect(
            throttled.status == 429 && throttled.type == "rate_limit_error" && throttled.upstreamError().isRetryable
        )
        let missing = AzureMapping.error(
            status: 404,
            body: Array(#"{"error":{"code":"DeploymentNotFound","message":"x"}}"#.utf8)
        )
        #expect(missing.code == "model_not_found")
        let body = String(decoding: mapped.jsonBody, as: UTF8.self)
        #expect(
            body
                == #"{"error":{"message":"filtered","type":"invalid_request_error","param":"prompt","code":"content_filter"}}"#
        )
    }
}
