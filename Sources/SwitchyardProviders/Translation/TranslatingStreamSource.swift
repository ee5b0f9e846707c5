import AsyncHTTPClient
import NIOCore
import SwitchyardCore

/// What a translator produced from one upstream read.
struct TranslatedOutput: Sendable {
    /// OpenAI SSE bytes for the client.
    var bytes = ByteBuffer()
    /// Chunks those bytes hold.
    var events = 0
    /// Usage learned, if any.
    var usage: TokenUsage?
}

/// Turns an upstream stream dialect into OpenAI chunks; a pure state machine fed with bytes.
protocol StreamTranslator: Sendable {
    /// Consumes one upstream read.
    /// - Throws: ``UpstreamError`` for in-stream errors (exceptions, error events, broken framing).
    mutating func push(_ bytes: ByteBuffer, into output: inout TranslatedOutput) throws(UpstreamError)
    /// The upstream body ended: emits the usage chunk and `[DONE]`, or throws if it ended early.
    mutating func finish(into output: inout TranslatedOutput) throws(UpstreamError)
}

/// Reads an upstream body through a ``StreamTranslator``.
struct TranslatingStreamSource<Translator: StreamTranslator>: ChatStreamSource {
    private var upstream: SequentialIterator
    private var translator: Translator
    private var pending: [ChatStreamEvent] = []
    private var finished = false

    init(upstream: HTTPClientResponse.Body.AsyncIterator, translator: Translator) {
        self.upstream = SequentialIterator(upstream)
        self.translator = translator
    }

    mutating func next(idleLimit: Duration?) async throws(UpstreamError) -> ChatStreamEvent? {
        let waiting = IdleCheck(limit: idleLimit)
        while self.pending.isEmpty {
            if self.finished { return nil }
            try waiting.check()
            let chunk: ByteBuffer?
            do {
                chunk = try await self.upstream.iterator.next()
            } catch {
                throw UpstreamHTTP.classify(error, streaming: true)
            }
            var output = TranslatedOutput()
            if let chunk {
                try self.translator.push(chunk, into: &output)
            } else {
                self.finished = true
                try self.translator.finish(into: &output)
            }
            // Reversed so that popLast() yields usage first, then the bytes.
            if output.bytes.readableBytes > 0 { self.pending.append(.bytes(output.bytes, events: output.events)) }
            if let usage = output.usage { self.pending.append(.usage(usage)) }
        }
        return self.pending.popLast()
    }
}

/// Bounds the time a stream may go without an event while bytes still arrive.
struct IdleCheck {
    let deadline: ContinuousClock.Instant?

    init(limit: Duration?) { self.deadline = limit.map { ContinuousClock.now + $0 } }

    func check() throws(UpstreamError) {
        if let deadline = self.deadline, ContinuousClock.now >= deadline {
            throw UpstreamError(kind: .timeout, message: "the upstream sent only keep-alives (idle timeout)")
        }
    }
}

/// Starts a translated stream: reads until the first bytes for the client, so that any error
/// before them (a throttling exception frame, say) still fails over.
enum TranslatedStream {
    static func start<Translator: StreamTranslator>(
        _ response: HTTPClientResponse,
        translator: Translator
    ) async throws(UpstreamError) -> UpstreamChatResponse {
        var source = TranslatingStreamSource(upstream: response.body.makeAsyncIterator(), translator: translator)
        var first: [ChatStreamEvent] = []
        while let event = try await source.next(idleLimit: nil) {
            first.append(event)
            if case .bytes = event { break }
        }
        return .stream(ChatStream(buffered: first, source: source))
    }
}
