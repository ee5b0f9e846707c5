import AsyncHTTPClient
import Logging
import NIOCore
import SwitchyardCore

/// One attempt of a chat completion on one deployment.
public struct UpstreamChatRequest: Sendable {
    /// The client's request, parsed for routing.
    public var head: ChatRequestHead
    /// Where to send it.
    public var candidate: RouteCandidate
    /// The gateway's request id, passed upstream for correlation.
    public var requestID: String
    /// Time allowed until the response head.
    public var firstByteTimeout: Duration
    /// The W3C `traceparent` to send upstream (this attempt's span), if any.
    public var traceparent: String?

    /// Creates an attempt.
    public init(head: ChatRequestHead, candidate: RouteCandidate, requestID: String, firstByteTimeout: Duration) {
        self.head = head
        self.candidate = candidate
        self.requestID = requestID
        self.firstByteTimeout = firstByteTimeout
    }
}

/// A complete (non-stream) chat completion in the OpenAI dialect.
public struct CompleteChatResponse: Sendable {
    /// The OpenAI `chat.completion` JSON body.
    public var body: ByteBuffer
    /// Token usage the upstream reported (nil when it reported none).
    public var usage: TokenUsage?
}

/// What a stream yields: bytes for the client (already OpenAI SSE), and usage as it is learned.
public enum ChatStreamEvent: Sendable {
    /// SSE bytes to forward to the client as they are, holding `events` stream chunks (used to
    /// estimate completion tokens when a stream breaks before its usage chunk).
    case bytes(ByteBuffer, events: Int)
    /// Usage the upstream reported; never forwarded by itself.
    case usage(TokenUsage)
}

/// The source of a translated stream: one per adapter kind.
public protocol ChatStreamSource: Sendable {
    /// The next event, or `nil` at the clean end of the stream.
    /// - Parameter idleLimit: when set, an upstream that keeps sending bytes without an event
    ///   (keep-alive comments, pings) for longer than this is a `timeout`. (Complete silence is
    ///   the HTTP client's read timeout.)
    /// - Throws: ``UpstreamError`` (`streamInterrupted`, `timeout`) when the stream breaks.
    mutating func next(idleLimit: Duration?) async throws(UpstreamError) -> ChatStreamEvent?
}

/// A stream whose upstream has already produced its first event (so it is safe to commit the
/// response to the client).
public struct ChatStream: Sendable {
    private var buffered: [ChatStreamEvent]
    private var source: any ChatStreamSource

    /// Wraps `source`, whose first events were already read into `buffered`.
    public init(buffered: [ChatStreamEvent], source: any ChatStreamSource) {
        self.buffered = buffered.reversed()
        self.source = source
    }

    /// The next event, or `nil` at the clean end.
    /// - Parameter idleLimit: longest time without an event while the upstream sends only
    ///   keep-alives (see ``ChatStreamSource/next(idleLimit:)``).
    public mutating func next(idleLimit: Duration? = nil) async throws(UpstreamError) -> ChatStreamEvent? {
        if let event = self.buffered.popLast() { return event }
        return try await self.source.next(idleLimit: idleLimit)
    }
}

/// The result of a successful attempt.
public enum UpstreamChatResponse: Sendable {
    /// A complete JSON answer.
    case complete(CompleteChatResponse)
    /// A stream that has produced its first event.
    case stream(ChatStream)
}

/// Talks to one kind of upstream. Every adapter has this shape: translate the OpenAI request,
/// send it, and translate the answer, the stream and the errors back to OpenAI's dialect.
public protocol ProviderAdapter: Sendable {
    /// Sends one attempt. Returns only once the upstream has committed to an answer: for streams,
    /// after the first event, so that any earlier failure can still fail over.
    /// - Throws: ``UpstreamError``.
    func chatCompletion(
        _ request: UpstreamChatRequest,
        logger: Logger
    ) async throws(UpstreamError) -> UpstreamChatResponse
}

/// The adapters of every configured provider: one per provider and connect timeout in use,
/// each on the HTTP client with that connect timeout.
public struct ProviderRegistry: Sendable {
    private struct Key: Hashable {
        var provider: String
        var connect: Duration
    }

    private let adapters: [Key: any ProviderAdapter]
    private let routing: RoutingConfig

    /// Builds the adapters on `clients`.
    public init(config: GatewayConfig, clients: UpstreamClients) {
        var keys: Set<Key> = []
        for provider in config.providers {
            keys.insert(Key(provider: provider.id, connect: config.routing.connectTimeout))
        }
        for model in config.models {
            for deployment in model.deployments {
                keys.insert(
                    Key(provider: deployment.provider, connect: config.routing.timeouts(for: deployment).connect)
                )
            }
        }
        let providers = Dictionary(config.providers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var adapters: [Key: any ProviderAdapter] = [:]
        for key in keys {
            guard let provider = providers[key.provider] else { continue }
            let client = clients.client(connect: key.connect)
            switch provider.kind {
            case .openAI: adapters[key] = OpenAIAdapter(provider: provider, httpClient: client)
            case .azureOpenAI: adapters[key] = AzureOpenAIAdapter(provider: provider, httpClient: client)
            case .bedrock: adapters[key] = BedrockAdapter(provider: provider, httpClient: client)
            case .anthropic: adapters[key] = AnthropicAdapter(provider: provider, httpClient: client)
            case .gemini: adapters[key] = GeminiAdapter(provider: provider, httpClient: client)
            default: preconditionFailure("configuration validation admits only supported provider kinds")
            }
        }
        self.adapters = adapters
        self.routing = config.routing
    }

    /// The adapter that serves `candidate`'s deployment.
    public func adapter(for candidate: RouteCandidate) -> (any ProviderAdapter)? {
        let connect = self.routing.timeouts(for: candidate.deployment).connect
        return self.adapters[Key(provider: candidate.provider.id, connect: connect)]
    }
}
