/// Token counts of one request, in OpenAI's convention (cached tokens are part of prompt tokens).
public struct TokenUsage: Hashable, Sendable, Codable {
    /// Prompt tokens, cached ones included.
    public var promptTokens: Int
    /// Completion tokens, reasoning tokens included.
    public var completionTokens: Int
    /// Prompt tokens that were served from the provider's cache.
    public var cachedTokens: Int

    /// Creates a usage record.
    public init(promptTokens: Int = 0, completionTokens: Int = 0, cachedTokens: Int = 0) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cachedTokens = cachedTokens
    }

    /// No tokens.
    public static let zero = TokenUsage()
}
