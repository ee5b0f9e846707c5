/// An exact percentage with up to six decimals, held as millionths of a percent.
public struct Percent: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Millionths of a percent: 20 % is `20_000_000`.
    public var millionths: Int64

    /// Creates a percentage from millionths of a percent.
    public init(millionths: Int64) { self.millionths = millionths }

    /// Parses `20`, `12.5` or `0.000001` (0 to 100, at most six decimals).
    public init?(parsing text: String) {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.count <= 3, whole.allSatisfy(\.isASCIIDigit) else {
            return nil
        }
        var fraction = parts.count == 2 ? String(parts[1]) : ""
        guard fraction.count <= 6, fraction.allSatisfy(\.isASCIIDigit), parts.count == 1 || !fraction.isEmpty else {
            return nil
        }
        fraction += String(repeating: "0", count: 6 - fraction.count)
        guard let wholeValue = Int64(whole), let fractionValue = Int64(fraction) else { return nil }
        let value = wholeValue * 1_000_000 + fractionValue
        guard value <= 100_000_000 else { return nil }
        self.millionths = value
    }

    /// `percent` of `amount`, rounded half-to-even at the nano-dollar.
    public func of(_ amount: USDNanos) -> USDNanos {
        let product = Int128(amount.value) * Int128(self.millionths)
        let negative = product < 0
        let rounded = PriceSheet.divideRoundingHalfEven(negative ? -product : product, by: 100_000_000)
        return USDNanos(Int64(clamping: negative ? -rounded : rounded))
    }

    public static func < (lhs: Percent, rhs: Percent) -> Bool { lhs.millionths < rhs.millionths }

    /// `20%`, `12.5%`.
    public var description: String {
        let whole = self.millionths / 1_000_000
        var fraction = String(self.millionths % 1_000_000)
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return fraction.isEmpty ? "\(whole)%" : "\(whole).\(fraction)%"
    }
}
