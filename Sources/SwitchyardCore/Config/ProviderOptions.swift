/// Provider settings beyond URL and key, by kind.
public struct ProviderOptions: Sendable, Hashable {
    /// Azure `api-version` (deployments URL form; default `2024-10-21`), or Anthropic's
    /// `anthropic-version` header (default `2023-06-01`).
    public var apiVersion: String?
    /// How Azure URLs are formed.
    public var azureURLForm: AzureURLForm
    /// A bearer token sent as `Authorization: Bearer` (Azure Entra ID token; Bedrock API key).
    public var bearerToken: Secret?
    /// AWS credentials for SigV4 (Bedrock).
    public var awsCredentials: AWSCredentials?
    /// Which Bedrock API to call.
    public var bedrockAPI: BedrockAPI
    /// `max_tokens` sent when the client sets none (Anthropic requires one; Bedrock and Gemini use it too).
    public var defaultMaxTokens: Int?

    /// Creates options.
    public init(
        apiVersion: String? = nil,
        azureURLForm: AzureURLForm = .deployments,
        bearerToken: Secret? = nil,
        awsCredentials: AWSCredentials? = nil,
        bedrockAPI: BedrockAPI = .converse,
        defaultMaxTokens: Int? = nil
    ) {
        self.apiVersion = apiVersion
        self.azureURLForm = azureURLForm
        self.bearerToken = bearerToken
        self.awsCredentials = awsCredentials
        self.bedrockAPI = bedrockAPI
        self.defaultMaxTokens = defaultMaxTokens
    }

    /// Azure OpenAI URL forms.
    public enum AzureURLForm: String, Sendable, Hashable, CaseIterable {
        /// `/openai/deployments/{deployment}/chat/completions?api-version=…`.
        case deployments
        /// `/openai/v1/chat/completions`, the deployment in the body's `model`.
        case v1
    }

    /// Bedrock Runtime APIs.
    public enum BedrockAPI: String, Sendable, Hashable, CaseIterable {
        /// `POST /model/{id}/converse` and `/converse-stream`.
        case converse
        /// The OpenAI-compatible `POST /openai/v1/chat/completions` (open-weight models).
        case openai
    }
}

/// AWS credentials for SigV4 signing.
public struct AWSCredentials: Sendable, Hashable {
    /// The access key id (not secret, but not logged either).
    public var accessKeyID: String
    /// The secret access key.
    public var secretAccessKey: Secret
    /// The session token of temporary credentials.
    public var sessionToken: Secret?

    /// Creates credentials.
    public init(accessKeyID: String, secretAccessKey: Secret, sessionToken: Secret? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }
}
