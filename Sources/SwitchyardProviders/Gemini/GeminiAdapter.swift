import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import SwitchyardCore

/// Google's Gemini API (API-key flavour): `models/{model}:generateContent` and
/// `:streamGenerateContent?alt=sse` with `x-goog-api-key`.
public struct GeminiAdapter: ProviderAdapter {
    let provider: ProviderConfig
    let httpClient: HTTPClient

    /// Creates the adapter for `provider`.
    public init(provider: ProviderConfig, httpClient: HTTPClient) {
        self.provider = provider
        self.httpClient = httpClient
    }

    /// The URL for `model` (with or without its `models/` prefix).
    static func url(base: String, model: String, stream: Bool) -> String {
        let name = model.hasPrefix("models/") ? String(model.dropFirst(7)) : model
        let encoded = SigV4.percentEncode(name)
        return stream
            ? "\(base)/models/\(encoded):streamGenerateContent?alt=sse" : "\(base)/models/\(encoded):generateContent"
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
        let body = try GeminiTranslation.requestBody(chat, defaultMaxTokens: self.provider.options.defaultMaxTokens)
            .jsonBytes
        let target = request.candidate.deployment.target
        var upstream = HTTPClientRequest(
            url: Self.url(base: self.provider.baseURL, model: target, stream: request.head.stream)
        )
        upstream.method = .POST
        upstream.headers.add(name: "content-type", value: "application/json")
        if let traceparent = request.traceparent { upstream.headers.add(name: "traceparent", value: traceparent) }
        if let apiKey = self.provider.apiKey { upstream.headers.add(name: "x-goog-api-key", value: apiKey.value) }
        upstream.body = .bytes(ByteBuffer(bytes: body))

        let response = try await UpstreamHTTP.execute(
            upstream,
            client: self.httpClient,
            timeout: request.firstByteTimeout,
            logger: logger
        )
        guard response.status == .ok else {
            throw await UpstreamHTTP.mappedStatusError(response) { status, _, body in
                GeminiMapping.httpError(status: status, body: body)
            }
        }
        let identity = OpenAIResponseIdentity.make(model: target)
        if request.head.stream {
            return try await TranslatedStream.start(
                response,
                translator: GeminiStreamTranslator(identity: identity, includeUsage: request.head.clientWantsUsage)
            )
        }
        return .complete(try GeminiTranslation.completion(try await UpstreamHTTP.collect(response), identity: identity))
    }
}
