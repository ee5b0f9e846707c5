import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import SwitchyardCore

/// Any OpenAI-compatible upstream (OpenAI, vLLM, Ollama, the simulator): the body is forwarded
/// untouched except for the model name and `stream_options.include_usage`.
public struct OpenAIAdapter: ProviderAdapter {
    let provider: ProviderConfig
    let httpClient: HTTPClient
    /// The chat completions URL for a deployment target.
    let url: @Sendable (String) -> String
    /// Adds credentials (a bearer key, Azure's `api-key`, a SigV4 signature) once the body is final.
    let authorize: @Sendable (inout HTTPClientRequest, [UInt8]) -> Void
    /// Azure's stream and body quirks: filter results stripped, filter-only chunks skipped.
    let azureQuirks: Bool
    /// Maps error answers; nil passes OpenAI-shaped client errors through.
    let mapError: (@Sendable (Int, HTTPClientResponse, [UInt8]) -> MappedError)?

    /// Creates the adapter for `provider`.
    public init(provider: ProviderConfig, httpClient: HTTPClient) {
        let url = provider.baseURL + "/chat/completions"
        self.init(
            provider: provider,
            httpClient: httpClient,
            url: { _ in url },
            authorize: { request, _ in
                if let apiKey = provider.apiKey {
                    request.headers.add(name: "authorization", value: "Bearer \(apiKey.value)")
                }
            }
        )
    }

    init(
        provider: ProviderConfig,
        httpClient: HTTPClient,
        url: @escaping @Sendable (String) -> String,
        azureQuirks: Bool = false,
        authorize: @escaping @Sendable (inout HTTPClientRequest, [UInt8]) -> Void,
        mapError: (@Sendable (Int, HTTPClientResponse, [UInt8]) -> MappedError)? = nil
    ) {
        self.provider = provider
        self.httpClient = httpClient
        self.url = url
        self.azureQuirks = azureQuirks
        self.authorize = authorize
        self.mapError = mapError
    }

    /// The largest complete answer accepted from an upstream.
    static let maxResponseBytes = 64 << 20

    public func chatCompletion(
        _ request: UpstreamChatRequest,
        logger: Logger
    ) async throws(UpstreamError) -> UpstreamChatResponse {
        var upstreamRequest = HTTPClientRequest(url: self.url(request.candidate.deployment.target))
        upstreamRequest.method = .POST
        upstreamRequest.headers.add(name: "content-type", value: "application/json")
        upstreamRequest.headers.add(
            name: "accept",
            value: request.head.stream ? "text/event-stream" : "application/json"
        )
        upstreamRequest.headers.add(name: "x-request-id", value: request.requestID)
        if let traceparent = request.traceparent {
            upstreamRequest.headers.add(name: "traceparent", value: traceparent)
        }
        let body = request.head.upstreamBody(model: request.candidate.deployment.target, includeUsage: true)
        self.authorize(&upstreamRequest, body)
        upstreamRequest.body = .bytes(ByteBuffer(bytes: body))

        let response = try await UpstreamHTTP.execute(
            upstreamRequest,
            client: self.httpClient,
            timeout: request.firstByteTimeout,
            logger: logger
        )
        guard response.status == .ok else {
            if let mapError = self.mapError {
                throw await UpstreamHTTP.mappedStatusError(response, map: mapError)
            }
            throw await UpstreamHTTP.statusError(response)
        }

        if request.head.stream {
            var source = OpenAIStreamSource(
                upstream: response.body.makeAsyncIterator(),
                stripUsageChunk: !request.head.clientWantsUsage,
                azureQuirks: self.azureQuirks
            )
            var first: [ChatStreamEvent] = []
            // Wait for the first bytes for the client: until then the request may still fail over.
            while true {
                guard let event = try await source.next(idleLimit: nil) else { break }
                first.append(event)
                if case .bytes = event { break }
            }
            return .stream(ChatStream(buffered: first, source: source))
        }

        var bytes: ByteBuffer
        do {
            bytes = try await response.body.collect(upTo: Self.maxResponseBytes)
        } catch {
            throw UpstreamHTTP.classify(error)
        }
        guard case .valid(let usage) = OpenAIUsage.scanResponse(Array(bytes.readableBytesView)) else {
            throw UpstreamError(kind: .malformedResponse, message: "the upstream answered invalid JSON")
        }
        if self.azureQuirks, let stripped = AzureQuirks.strip(Array(bytes.readableBytesView)) {
            bytes = ByteBuffer(bytes: stripped.jsonBytes)
        }
        return .complete(CompleteChatResponse(body: bytes, usage: usage))
    }
}

/// Reads an upstream OpenAI SSE stream, captures usage and re-frames the events for the client.
struct OpenAIStreamSource: ChatStreamSource {
    private var upstream: SequentialIterator
    private var decoder = SSEDecoder()
    private var events: [SSEEvent] = []
    private var pending: [ChatStreamEvent] = []
    private var pendingIndex = 0
    private var sawDone = false
    private var sawEvent = false
    private var finished = false
    let stripUsageChunk: Bool
    let azureQuirks: Bool

    init(upstream: HTTPClientResponse.Body.AsyncIterator, stripUsageChunk: Bool, azureQuirks: Bool = false) {
        self.upstream = SequentialIterator(upstream)
        self.stripUsageChunk = stripUsageChunk
        self.azureQuirks = azureQuirks
    }

    private static let prefix = Array("data: ".utf8)
    private static let separator = Array("\n\n".utf8)

    mutating func next(idleLimit: Duration?) async throws(UpstreamError) -> ChatStreamEvent? {
        let waiting = IdleCheck(limit: idleLimit)
        while self.pendingIndex == self.pending.count {
            try waiting.check()
            self.pending.removeAll(keepingCapacity: true)
            self.pendingIndex = 0
            if self.finished { return nil }
            let chunk: ByteBuffer?
            do {
                chunk = try await self.upstream.iterator.next()
            } catch {
                throw UpstreamHTTP.classify(error, streaming: true)
            }
            guard let chunk else {
                self.finished = true
                if !self.sawDone {
                    throw UpstreamError(kind: .streamInterrupted, message: "the upstream stream ended before [DONE]")
                }
                return nil
            }
            try self.translate(chunk)
        }
        defer { self.pendingIndex += 1 }
        return self.pending[self.pendingIndex]
    }

    /// Turns one upstream chunk into at most one client write plus any usage events.
    private mutating func translate(_ chunk: ByteBuffer) throws(UpstreamError) {
        self.events.removeAll(keepingCapacity: true)
        self.decoder.push(chunk.readableBytesView, into: &self.events)
        guard !self.events.isEmpty else { return }
        var out = ByteBuffer()
        var count = 0
        out.reserveCapacity(chunk.readableBytes + 16)
        for event in self.events {
            let info = OpenAIUsage.inspectChunk(event.data)
            if !self.sawEvent {
                // Only the first event is validated: it decides whether the response is committed
                // (a broken first event still fails over); later events are passed on unparsed.
                self.sawEvent = true
                if !info.isDone && !JSONValidation.isObject(event.data) {
                    throw UpstreamError(
                        kind: .malformedResponse,
                        message: "the upstream stream began with invalid JSON"
                    )
                }
            }
            if info.isDone { self.sawDone = true }
            var data = event.data
            if self.azureQuirks && !info.isDone, let stripped = AzureQuirks.strip(data) {
                // Filter-only chunks (Azure's leading `choices: []` chunk) carry nothing for the client.
                if (stripped["choices"]?.arrayValue ?? []).isEmpty && info.usage == nil { continue }
                data = stripped.jsonBytes
            }
            if let usage = info.usage {
                self.pending.append(.usage(usage))
                if info.isUsageOnly && self.stripUsageChunk { continue }
            }
            out.writeBytes(Self.prefix)
            out.writeBytes(data)
            out.writeBytes(Self.separator)
            if !info.isDone { count += 1 }
        }
        if out.readableBytes > 0 { self.pending.append(.bytes(out, events: count)) }
    }
}

/// Carries AHC's body iterator from the handler to the response body writer.
///
/// `@unchecked Sendable` is sound because the iterator is only ever used by one task at a time:
/// the adapter reads the first event in the handler, and the response body writer, which the
/// server runs only after the handler has returned, reads the rest. A `ChatStream` is never
/// iterated from two tasks.
struct SequentialIterator: @unchecked Sendable {
    var iterator: HTTPClientResponse.Body.AsyncIterator

    init(_ iterator: HTTPClientResponse.Body.AsyncIterator) { self.iterator = iterator }
}
