import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import SwitchyardCore

/// Anthropic's Messages API: `x-api-key` and `anthropic-version` headers, named SSE events.
public struct AnthropicAdapter: ProviderAdapter {
    let provider: ProviderConfig
    let httpClient: HTTPClient

    /// The `anthropic-version` sent when the configuration names none.
    public static let defaultVersion = "2023-06-01"

    /// Creates the adapter for `provider`.
    public init(provider: ProviderConfig, httpClient: HTTPClient) {
        self.provider = provider
        self.httpClient = httpClient
    }

    public func chatCompletion(
        _ request: UpstreamChatRequest,
        logger: Logger
    ) async throws(UpstreamError) -> UpstreamChatResponse {
        let chat: OpenAIChatRequest
        do {
            chat = try OpenAIChatRequest.parse(request.head.body)
        } catch {
            throw .untranslatable(error)
        }
        let target = request.candidate.deployment.target
        let body = try AnthropicTranslation.requestBody(
            chat,
            model: target,
            defaultMaxTokens: self.provider.options.defaultMaxTokens
        ).jsonBytes
        var upstream = HTTPClientRequest(url: self.provider.baseURL + "/v1/messages")
        upstream.method = .POST
        upstream.headers.add(name: "content-type", value: "application/json")
        if let traceparent = request.traceparent { upstream.headers.add(name: "traceparent", value: traceparent) }
        upstream.headers.add(name: "accept", value: request.head.stream ? "text/event-stream" : "application/json")
        upstream.headers.add(name: "anthropic-version", value: self.provider.options.apiVersion ?? Self.defaultVersion)
        if let apiKey = self.provider.apiKey { upstream.headers.add(name: "x-api-key", value: apiKey.value) }
        upstream.body = .bytes(ByteBuffer(bytes: body))

        let response = try await UpstreamHTTP.execute(
            upstream,
            client: self.httpClient,
            timeout: request.firstByteTimeout,
            logger: logger
        )
        guard response.status == .ok else {
            throw await UpstreamHTTP.mappedStatusError(response) { status, _, body in
                AnthropicMapping.httpError(status: status, body: body)
            }
        }
        let identity = OpenAIResponseIdentity.make(model: target)
        if request.head.stream {
            return try await TranslatedStream.start(
                response,
                translator: AnthropicStreamTranslator(identity: identity, includeUsage: request.head.clientWantsUsage)
            )
        }
        return .complete(
            try AnthropicTranslation.completion(try await UpstreamHTTP.collect(response), identity: identity)
        )
    }
}
