import Foundation
import Yams

extension ConfigReader {
    mutating func readProviders(_ node: Node) -> [ProviderConfig] {
        var result: [ProviderConfig] = []
        for (id, entry) in self.entries(node, "providers") {
            let path = "providers.\(id)"
            let allowed: Set = [
                "type", "cloud", "region", "base_url", "api_key", "api_version", "url_form", "entra_token",
                "access_key_id", "secret_access_key", "session_token", "api", "default_max_tokens",
            ]
            guard let fields = self.fields(entry, path, allowed: allowed) else { continue }
            let kindText = self.requiredString(fields["type"], path + ".type")
            let kind = kindText.map { ProviderKind(rawValue: $0) }
            if let kind, !ProviderKind.supported.contains(kind) {
                self.fail(
                    path + ".type",
                    "unknown provider type \"\(kind)\" (supported: \(ProviderKind.supported.map(\.rawValue).joined(separator: ", ")))"
                )
            }
            let cloud = self.requiredString(fields["cloud"], path + ".cloud")
            let region = self.string(fields["region"], path + ".region")
            var baseURL = self.string(fields["base_url"], path + ".base_url")
            if baseURL == nil { baseURL = Self.defaultBaseURL(kind: kind, region: region) }
            if let url = baseURL {
                if !(url.hasPrefix("http://") || url.hasPrefix("https://")) || URL(string: url)?.host == nil {
                    self.fail(path + ".base_url", "expected an http:// or https:// URL")
                }
                while baseURL?.hasSuffix("/") == true { baseURL?.removeLast() }
            } else {
                self.fail(path + ".base_url", kind == .bedrock ? "is required (or set region)" : "is required")
            }
            let apiKey = self.string(fields["api_key"], path + ".api_key").map(Secret.init)
            let options = self.readProviderOptions(fields, path: path, kind: kind, region: region, apiKey: apiKey)
            guard let kind, let cloud, let baseURL, let options else { continue }
            result.append(
                ProviderConfig(
                    id: id,
                    kind: kind,
                    cloud: cloud,
                    region: region,
                    baseURL: baseURL,
                    apiKey: apiKey,
                    options: options
                )
            )
        }
        return result
    }

    static func defaultBaseURL(kind: ProviderKind?, region: String?) -> String? {
        switch kind {
        case .openAI?: return "https://api.openai.com/v1"
        case .anthropic?: return "https://api.anthropic.com"
        case .gemini?: return "https://generativelanguage.googleapis.com/v1beta"
        case .bedrock?: return region.map { "https://bedrock-runtime.\($0).amazonaws.com" }
        default: return nil
        }
    }

    /// The kind-specific fields; fields that do not apply to the kind are errors, so typos show.
    mutating func readProviderOptions(
        _ fields: [String: Node],
        path: String,
        kind: ProviderKind?,
        region: String?,
        apiKey: Secret?
    ) -> ProviderOptions? {
        var options = ProviderOptions()
        let applies: [String: [ProviderKind]] = [
            "api_version": [.azureOpenAI, .anthropic], "url_form": [.azureOpenAI], "entra_token": [.azureOpenAI],
            "access_key_id": [.bedrock], "secret_access_key": [.bedrock], "session_token": [.bedrock],
            "api": [.bedrock], "default_max_tokens": [.bedrock, .anthropic, .gemini],
        ]
        var valid = true
        for (name, kinds) in applies.sorted(by: { $0.key < $1.key }) where fields[name] != nil {
            if let kind, !kinds.contains(kind) {
                self.fail(
                    "\(path).\(name)",
                    "does not apply to type \(kind) (only to \(kinds.map(\.rawValue).joined(separator: ", ")))"
                )
                valid = false
            }
        }
        options.apiVersion = self.string(fields["api_version"], path + ".api_version")
        if let text = self.string(fields["url_form"], path + ".url_form") {
            if let form = ProviderOptions.AzureURLForm(rawValue: text) {
                options.azureURLForm = form
            } else {
                self.fail(path + ".url_form", "expected deployments or v1, got \"\(text)\"")
                valid = false
            }
        }
        if let text = self.string(fields["api"], path + ".api") {
            if let api = ProviderOptions.BedrockAPI(rawValue: text) {
                options.bedrockAPI = api
            } else {
                self.fail(path + ".api", "expected converse or openai, got \"\(text)\"")
                valid = false
            }
        }
        options.defaultMaxTokens = self.int(
            fields["default_max_tokens"],
            path + ".default_max_tokens",
            range: 1...10_000_000
        )
        options.bearerToken = self.string(fields["entra_token"], path + ".entra_token").map(Secret.init)
        switch kind {
        case .azureOpenAI?:
            if apiKey != nil && options.bearerToken != nil {
                self.fail(path + ".entra_token", "set either api_key or entra_token, not both")
                valid = false
            } else if apiKey == nil && options.bearerToken == nil {
                self.fail(path + ".api_key", "is required (or entra_token)")
                valid = false
            }
        case .bedrock?:
            if region == nil {
                self.fail(path + ".region", "is required (SigV4 signs for a region)")
                valid = false
            }
            // Credentials: the file, then the standard AWS variables; a Bedrock API key (api_key or
            // AWS_BEARER_TOKEN_BEDROCK) is sent as a bearer token instead of signing.
            let accessKey =
                self.string(fields["access_key_id"], path + ".access_key_id") ?? self.environment["AWS_ACCESS_KEY_ID"]
            let secretKey =
                self.string(fields["secret_access_key"], path + ".secret_access_key")
                ?? self.environment["AWS_SECRET_ACCESS_KEY"]
            let sessionToken =
                self.string(fields["session_token"], path + ".session_token") ?? self.environment["AWS_SESSION_TOKEN"]
            if let bearer = apiKey ?? self.environment["AWS_BEARER_TOKEN_BEDROCK"].map(Secret.init) {
                options.bearerToken = bearer
            } else if let accessKey, let secretKey, !accessKey.isEmpty, !secretKey.isEmpty {
                options.awsCredentials = AWSCredentials(
                    accessKeyID: accessKey,
                    secretAccessKey: Secret(secretKey),
                    sessionToken: sessionToken.flatMap { $0.isEmpty ? nil : Secret($0) }
                )
            } else {
                self.fail(
                    path,
                    "needs AWS credentials: access_key_id and secret_access_key (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or api_key (or AWS_BEARER_TOKEN_BEDROCK)"
                )
                valid = false
            }
        case .anthropic?, .gemini?:
            if apiKey == nil {
                self.fail(path + ".api_key", "is required")
                valid = false
            }
        default: break
        }
        return valid ? options : nil
    }
}
