import SwitchyardCore
import Testing

@Suite struct MoneyTests {
    @Test(arguments: [
        ("1.50", Int64(1_500_000_000)), ("12", 12_000_000_000), ("0.075", 75_000_000), ("0.000000001", 1), ("0", 0),
    ])
    func pricesParseExactly(text: String, nanos: Int64) {
        #expect(TokenPrice(usdPerMillion: text)?.nanosPerMillion == nanos)
    }

    @Test(arguments: ["", "1.", ".5", "-1", "1e3", "0.0000000001", "1,5", "abc"])
    func badPricesAreRejected(text: String) {
        #expect(TokenPrice(usdPerMillion: text) == nil)
    }

    @Test func amountIsExactForTheDemoPrices() throws {
        let price = PriceSheet(
            input: try #require(TokenPrice(usdPerMillion: "1.50")),
            output: try #require(TokenPrice(usdPerMillion: "12.00"))
        )
        // 6 × 1.5 USD/M = 9,000 nano-USD; 16 × 12 USD/M = 192,000 nano-USD.
        #expect(price.amount(for: TokenUsage(promptTokens: 6, completionTokens: 16)) == USDNanos(201_000))
    }

    @Test func roundingIsHalfEvenOncePerEntry() {
        // 0.0005 USD per million tokens is 0.5 nano-USD per token.
        let half = PriceSheet(input: TokenPrice(nanosPerMillion: 500_000), output: .zero)
        #expect(half.amount(for: TokenUsage(promptTokens: 1)) == USDNanos(0))  // 0.5 → 0 (even)
        #expect(half.amount(for: TokenUsage(promptTokens: 3)) == USDNanos(2))  // 1.5 → 2 (even)
        #expect(half.amount(for: TokenUsage(promptTokens: 5)) == USDNanos(2))  // 2.5 → 2 (even)
        let third = PriceSheet(
            input: TokenPrice(nanosPerMillion: 333_333),
            output: TokenPrice(nanosPerMillion: 333_333)
        )
        // Summed before rounding: (1 + 1) × 0.333333 = 0.666666 → 1, not 0 + 0.
        #expect(third.amount(for: TokenUsage(promptTokens: 1, completionTokens: 1)) == USDNanos(1))
    }

    @Test func cachedTokensArePartOfPromptTokensAndPricedApart() throws {
        let price = PriceSheet(
            input: TokenPrice(nanosPerMillion: 1_000_000_000),
            output: .zero,
            cachedInput: TokenPrice(nanosPerMillion: 100_000_000)
        )
        // 1,000 prompt tokens of which 800 cached: 200 × 1,000 + 800 × 100 nano-USD.
        #expect(price.amount(for: TokenUsage(promptTokens: 1000, cachedTokens: 800)) == USDNanos(280_000))
    }

    @Test func hugeVolumesDoNotOverflow() {
        let price = PriceSheet(
            input: TokenPrice(nanosPerMillion: 999_000_000_000),
            output: TokenPrice(nanosPerMillion: 999_000_000_000)
        )
        let amount = price.amount(for: TokenUsage(promptTokens: 100_000_000, completionTokens: 100_000_000))
        #expect(amount == USDNanos(199_800_000_000_000))
    }

    @Test func nanosPrintAsDollars() {
        #expect(USDNanos(201_000).description == "0.000201000")
        #expect(USDNanos(12_500_000_000).description == "12.500000000")
        #expect(USDNanos(-5).description == "-0.000000005")
    }
}
