import AsyncHTTPClient
import Logging
import NIOHTTP1
import SwitchyardCore

/// Azure OpenAI: the OpenAI dialect at deployment URLs, with `api-key` or Entra ID auth, filter
/// results stripped from answers and Azure's error bodies normalised (§2 of the wire reference).
public struct AzureOpenAIAdapter: ProviderAdapter {
    private let inner: OpenAIAdapter

    /// The default `api-version` of the deployments URL form (the latest GA dated version).
    public static let defaultAPIVersion = "2024-10-21"

    /// Creates the adapter for `provider`.
    public init(provider: ProviderConfig, httpClient: HTTPClient) {
        let base = provider.baseURL
        let apiVersion = provider.options.apiVersion ?? Self.defaultAPIVersion
        let form = provider.options.azureURLForm
        let apiKey = provider.apiKey
        let bearer = provider.options.bearerToken
        self.inner = OpenAIAdapter(
            provider: provider,
            httpClient: httpClient,
            url: { target in Self.url(base: base, form: form, deployment: target, apiVersion: apiVersion) },
            azureQuirks: true,
            authorize: { request, _ in
                if let apiKey {
                    request.headers.add(name: "api-key", value: apiKey.value)
                } else if let bearer {
                    request.headers.add(name: "authorization", value: "Bearer \(bearer.value)")
                }
            },
            mapError: { status, response, body in
                AzureMapping.error(status: status, body: body)
            }
        )
    }

    /// The chat completions URL of `deployment`.
    static func url(
        base: String,
        form: ProviderOptions.AzureURLForm,
        deployment: String,
        apiVersion: String
    ) -> String {
        switch form {
        case .deployments:
            let name = SigV4.percentEncode(deployment)
            return "\(base)/openai/deployments/\(name)/chat/completions?api-version=\(SigV4.percentEncode(apiVersion))"
        case .v1:
            return "\(base)/openai/v1/chat/completions"
        }
    }

    public func chatCompletion(
        _ request: UpstreamChatRequest,
        logger: Logger
    ) async throws(UpstreamError) -> UpstreamChatResponse {
        try await self.inner.chatCompletion(request, logger: logger)
    }
}

/// Azure's departures from OpenAI answers.
enum AzureQuirks {
    private static let marker = Array("filter_result".utf8)

    /// The answer or chunk without `prompt_filter_results`, `content_filter_results` and
    /// `content_filter_result`; nil when it has none (the common, cheap case) or is not JSON.
    static func strip(_ data: [UInt8]) -> JSONValue? {
        guard Self.contains(data, Self.marker), case .object(var members) = try? JSONValue.parse(data) else {
            return nil
        }
        members.removeAll { $0.0 == "prompt_filter_results" || $0.0 == "prompt_annotations" }
        for index in members.indices where members[index].0 == "choices" {
            guard case .array(let choices) = members[index].1 else { continue }
            members[index].1 = .array(
                choices.map { choice in
                    guard case .object(var fields) = choice else { return choice }
                    fields.removeAll { $0.0 == "content_filter_results" || $0.0 == "content_filter_result" }
                    return .object(fields)
                }
            )
        }
        return .object(members)
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count, let first = needle.first else { return false }
        var index = 0
        while index + needle.count <= haystack.count {
            if haystack[index] == first && haystack[index..<(index + needle.count)].elementsEqual(needle) {
                return true
            }
            index += 1
        }
        return false
    }
}

/// Azure OpenAI error mapping (§2.4, §7.6).
enum AzureMapping {
    /// Maps an Azure error answer: status kept, message copied, Azure's `code` kept (numbers as
    /// text), content-filter rejections (`innererror` or `inner_error`) become 400 `content_filter`.
    static func error(status: Int, body: [UInt8]) -> MappedError {
        let error = (try? JSONValue.parse(body))?["error"]
        let message = error?["message"]?.stringValue ?? "The Azure OpenAI deployment answered HTTP \(status)."
        var code: String?
        switch error?["code"] {
        case .string(let text)?: code = text
        case .number(let text)?: code = text
        default: code = nil
        }
        let inner = error?["innererror"] ?? error?["inner_error"]
        var mapped = MappedError(
            status: status,
            type: MappedError.openAIType(status: status),
            code: code,
            message: message,
            param: error?["param"]?.stringValue
        )
        if code == "content_filter" || inner?["code"]?.stringValue == "ResponsibleAIPolicyViolation" {
            mapped.status = 400
            mapped.type = "invalid_request_error"
            mapped.code = "content_filter"
        } else if status == 429 {
            mapped.code = "rate_limit_exceeded"
        } else if status == 404 && code == "DeploymentNotFound" {
            mapped.code = "model_not_found"
        }
        return mapped
    }
}
