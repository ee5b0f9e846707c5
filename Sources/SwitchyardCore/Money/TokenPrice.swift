/// A price in USD per one million tokens, held exactly as nano-dollars per million tokens.
///
/// `1.50` USD / 1M tokens is `1_500_000_000` nano-USD per million, i.e. 1,500 nano-USD per token.
public struct TokenPrice: Hashable, Sendable {
    /// Nano-dollars per one million tokens.
    public var nanosPerMillion: Int64

    /// Creates a price from nano-dollars per million tokens.
    public init(nanosPerMillion: Int64) { self.nanosPerMillion = nanosPerMillion }

    /// Parses a decimal USD amount such as `"1.50"` or `"0.075"` exactly (at most nine decimals).
    /// - Returns: `nil` when the text is not a non-negative decimal with at most nine decimals.
    public init?(usdPerMillion text: String) {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.allSatisfy(\.isASCIIDigit), whole.count <= 9 else {
            return nil
        }
        var fraction = parts.count == 2 ? String(parts[1]) : ""
        guard fraction.allSatisfy(\.isASCIIDigit), fraction.count <= 9, parts.count == 1 || !fraction.isEmpty else {
            return nil
        }
        fraction += String(repeating: "0", count: 9 - fraction.count)
        guard let wholeValue = Int64(whole), let fractionValue = Int64(fraction) else { return nil }
        self.nanosPerMillion = wholeValue * 1_000_000_000 + fractionValue
    }

    /// Free.
    public static let zero = TokenPrice(nanosPerMillion: 0)
}

/// Input and output prices of a model or a deployment.
public struct PriceSheet: Hashable, Sendable {
    /// Price of prompt tokens that were not served from a cache.
    public var input: TokenPrice
    /// Price of completion tokens.
    public var output: TokenPrice
    /// Price of prompt tokens served from the provider's cache (defaults to `input`).
    public var cachedInput: TokenPrice

    /// Creates a price sheet; cached input defaults to the input price.
    public init(input: TokenPrice, output: TokenPrice, cachedInput: TokenPrice? = nil) {
        self.input = input
        self.output = output
        self.cachedInput = cachedInput ?? input
    }

    /// Free.
    public static let zero = PriceSheet(input: .zero, output: .zero)

    /// The exact amount for `usage`, rounded half-to-even once, at the nano-dollar.
    ///
    /// Cached tokens are part of `promptTokens` (OpenAI convention) and priced at `cachedInput`.
    public func amount(for usage: TokenUsage) -> USDNanos {
        let cached = Int128(min(max(usage.cachedTokens, 0), max(usage.promptTokens, 0)))
        let uncached = Int128(max(usage.promptTokens, 0)) - cached
        let output = Int128(max(usage.completionTokens, 0))
        let numerator =
            uncached * Int128(self.input.nanosPerMillion) + cached * Int128(self.cachedInput.nanosPerMillion)
            + output * Int128(self.output.nanosPerMillion)
        return USDNanos(Int64(clamping: Self.divideRoundingHalfEven(numerator, by: 1_000_000)))
    }

    /// `numerator / denominator` for non-negative values, ties to even.
    static func divideRoundingHalfEven(_ numerator: Int128, by denominator: Int128) -> Int128 {
        let (quotient, remainder) = numerator.quotientAndRemainder(dividingBy: denominator)
        let twice = remainder * 2
        if twice > denominator || (twice == denominator && quotient % 2 != 0) {
            return quotient + 1
        }
        return quotient
    }
}

extension Character {
    var isASCIIDigit: Bool { self >= "0" && self <= "9" }
}
