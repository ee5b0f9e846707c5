import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import SwitchyardCore

/// AWS Bedrock Runtime: Converse / ConverseStream with SigV4 (or a Bedrock API key as bearer),
/// or, with `api: openai`, Bedrock's OpenAI-compatible chat endpoint.
public struct BedrockAdapter: ProviderAdapter {
    let provider: ProviderConfig
    let httpClient: HTTPClient
    let authorizer: BedrockAuthorizer
    let openAICompatible: OpenAIAdapter?

    /// Creates the adapter for `provider`.
    public init(provider: ProviderConfig, httpClient: HTTPClient, now: @escaping @Sendable () -> Date = Date.init) {
        self.provider = provider
        self.httpClient = httpClient
        let authorizer = BedrockAuthorizer(provider: provider, now: now)
        self.authorizer = authorizer
        if provider.options.bedrockAPI == .openai {
            let url = provider.baseURL + "/openai/v1/chat/completions"
            self.openAICompatible = OpenAIAdapter(
                provider: provider,
                httpClient: httpClient,
                url: { _ in url },
                authorize: { request, body in authorizer.authorize(&request, body: body) },
                mapError: { status, response, body in
                    BedrockMapping.httpError(
                        status: status,
                        errorTypeHeader: response.headers.first(name: "x-amzn-errortype"),
                        body: body
                    )
                }
            )
        } else {
            self.openAICompatible = nil
        }
    }

    /// The Converse URL of `modelID`: the id is one percent-encoded path label (`:` → `%3A`).
    static func url(base: String, modelID: String, stream: Bool) -> String {
        "\(base)/model/\(SigV4.percentEncode(modelID))/\(stream ? "converse-stream" : "converse")"
    }

    public func chatCompletion(
        _ request: UpstreamChatRequest,
        logger: Logger
    ) async throws(UpstreamError) -> UpstreamChatResponse {
        if let openAICompatible { return try await openAICompatible.chatCompletion(request, logger: logger) }
        let chat: OpenAIChatRequest
        do {
            chat = try OpenAIChatRequest.parse(request.head.body)
        } catch {
            throw .untranslatable(error)
        }
        let body = try ConverseTranslation.requestBody(chat, defaultMaxTokens: self.provider.options.defaultMaxTokens)
            .jsonBytes
        let stream = request.head.stream
        var upstream = HTTPClientRequest(
            url: Self.url(base: self.provider.baseURL, modelID: request.candidate.deployment.target, stream: stream)
        )
        upstream.method = .POST
        upstream.headers.add(name: "content-type", value: "application/json")
        if let traceparent = request.traceparent { upstream.headers.add(name: "traceparent", value: traceparent) }
        upstream.headers.add(name: "accept", value: stream ? "application/vnd.amazon.eventstream" : "application/json")
        self.authorizer.authorize(&upstream, body: body)
        upstream.body = .bytes(ByteBuffer(bytes: body))

        let response = try await UpstreamHTTP.execute(
            upstream,
            client: self.httpClient,
            timeout: request.firstByteTimeout,
            logger: logger
        )
        guard response.status == .ok else {
            throw await UpstreamHTTP.mappedStatusError(response) { status, response, body in
                BedrockMapping.httpError(
                    status: status,
                    errorTypeHeader: response.headers.first(name: "x-amzn-errortype"),
                    body: body
                )
            }
        }
        let identity = OpenAIResponseIdentity.make(model: request.candidate.deployment.target)
        if stream {
            return try await TranslatedStream.start(
                response,
                translator: ConverseStreamTranslator(identity: identity, includeUsage: request.head.clientWantsUsage)
            )
        }
        return .complete(
            try ConverseTranslation.completion(try await UpstreamHTTP.collect(response), identity: identity)
        )
    }
}

/// Adds Bedrock credentials to a request whose body is final: a bearer API key, or a SigV4
/// signature over `content-type`, `host`, `x-amz-date` (and `x-amz-security-token`).
struct BedrockAuthorizer: Sendable {
    let signer: SigV4?
    let bearer: Secret?
    let now: @Sendable () -> Date

    init(provider: ProviderConfig, now: @escaping @Sendable () -> Date) {
        self.bearer = provider.options.bearerToken
        self.signer = provider.options.awsCredentials.map {
            SigV4(credentials: $0, region: provider.region ?? "us-east-1", service: "bedrock")
        }
        self.now = now
    }

    func authorize(_ request: inout HTTPClientRequest, body: [UInt8]) {
        if let bearer {
            request.headers.add(name: "authorization", value: "Bearer \(bearer.value)")
            return
        }
        guard let signer, let url = URL(string: request.url), let host = url.host else { return }
        let defaultPort = url.scheme == "https" ? 443 : 80
        let hostHeader = url.port.map { $0 == defaultPort ? host : "\(host):\($0)" } ?? host
        let components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        let path = components?.percentEncodedPath ?? url.path
        let query = components?.percentEncodedQuery ?? ""
        let date = self.now()
        let (amzDate, _) = SigV4.timestamps(date)
        request.headers.replaceOrAdd(name: "host", value: hostHeader)
        request.headers.replaceOrAdd(name: "x-amz-date", value: amzDate)
        var signed: [(String, String)] = [
            ("content-type", request.headers.first(name: "content-type") ?? "application/json"),
            ("host", hostHeader),
            ("x-amz-date", amzDate),
        ]
        if let token = signer.credentials.sessionToken {
            request.headers.replaceOrAdd(name: "x-amz-security-token", value: token.value)
            signed.append(("x-amz-security-token", token.value))
        }
        let signature = signer.sign(
            method: "POST",
            path: path.isEmpty ? "/" : path,
            query: query,
            headers: signed,
            payloadHash: SigV4.sha256Hex(body),
            date: date
        )
        request.headers.replaceOrAdd(name: "authorization", value: signature.authorization)
    }
}
