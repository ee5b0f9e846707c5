import SwitchyardCore
import Testing

@Suite struct SSEDecoderTests {
    static let stream = Array(
        (#"data: {"id":"c1","choices":[{"delta":{"content":"Hel"}}]}"# + "\n\n" + ": keep-alive comment\n\n"
            + #"data: {"id":"c1","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2}}"# + "\r\n\r\n"
            + "event: message\ndata: line one\ndata:line two\n\n" + "data: [DONE]\n\n").utf8
    )

    static let expected = [
        SSEEvent(data: Array(#"{"id":"c1","choices":[{"delta":{"content":"Hel"}}]}"#.utf8)),
        SSEEvent(data: Array(#"{"id":"c1","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2}}"#.utf8)),
        SSEEvent(event: "message", data: Array("line one\nline two".utf8)),
        SSEEvent(data: Array("[DONE]".utf8)),
    ]

    @Test func decodesAWholeStream() {
        var decoder = SSEDecoder()
        var events: [SSEEvent] = []
        decoder.push(Self.stream, into: &events)
        #expect(events == Self.expected)
        #expect(!decoder.hasPartialEvent)
    }

    @Test func theSameEventsComeOutWhateverTheSplitPoints() {
        for split in 1..<Self.stream.count {
            for second in split..<min(split + 7, Self.stream.count) {
                var decoder = SSEDecoder()
                var events: [SSEEvent] = []
                decoder.push(Self.stream[..<split], into: &events)
                decoder.push(Self.stream[split..<second], into: &events)
                decoder.push(Self.stream[second...], into: &events)
                #expect(events == Self.expected, "split at \(split) and \(second)")
            }
        }
    }

    @Test func byteByByteFeedingWorks() {
        var decoder = SSEDecoder()
        var events: [SSEEvent] = []
        for byte in Self.stream { decoder.push(CollectionOfOne(byte), into: &events) }
        #expect(events == Self.expected)
    }

    @Test func anUnterminatedEventIsReportedAsPartial() {
        var decoder = SSEDecoder()
        var events: [SSEEvent] = []
        decoder.push(Array("data: {\"id\":".utf8), into: &events)
        #expect(events.isEmpty)
        #expect(decoder.hasPartialEvent)
    }

    @Test func usageIsReadFromTheUsageChunkOnly() {
        let usage = OpenAIUsage.inspectChunk(Self.expected[1].data)
        #expect(usage.usage == TokenUsage(promptTokens: 9, completionTokens: 2))
        #expect(usage.isUsageOnly)
        let content = OpenAIUsage.inspectChunk(Self.expected[0].data)
        #expect(content.usage == nil && !content.isUsageOnly && !content.isDone)
        let nullUsage = OpenAIUsage.inspectChunk(Array(#"{"choices":[{"delta":{}}],"usage": null}"#.utf8))
        #expect(nullUsage.usage == nil)
        #expect(OpenAIUsage.inspectChunk(Array("[DONE]".utf8)).isDone)
    }

    @Test func usageOnAContentChunkIsKeptForTheClient() {
        let info = OpenAIUsage.inspectChunk(
            Array(
                #"{"choices":[{"delta":{"content":"x"}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":1}}}"#
                    .utf8
            )
        )
        #expect(info.usage == TokenUsage(promptTokens: 1, completionTokens: 1, cachedTokens: 1))
        #expect(!info.isUsageOnly)
    }

    @Test func completeResponsesYieldTheirUsage() {
        let body = Array(
            #"{"id":"x","choices":[],"usage":{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29}}"#.utf8
        )
        #expect(OpenAIUsage.fromResponse(body) == TokenUsage(promptTokens: 19, completionTokens: 10))
        #expect(OpenAIUsage.fromResponse(Array(#"{"id":"x"}"#.utf8)) == nil)
    }

    @Test func brokenResponsesAreTellable() {
        #expect(OpenAIUsage.scanResponse(Array(#"{"id":"chatcmpl-broken","choices":[{"#.utf8)) == .invalid)
        #expect(OpenAIUsage.scanResponse(Array(#"{"id":"x","usage":null}"#.utf8)) == .valid(usage: nil))
    }
}
