/// An exact amount of money in nano-dollars (1e-9 USD).
public struct USDNanos: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The amount in nano-dollars.
    public var value: Int64

    /// Creates an amount from nano-dollars.
    public init(_ value: Int64) { self.value = value }

    /// Encoded as the integer number of nano-dollars.
    public init(from decoder: any Decoder) throws { self.value = try decoder.singleValueContainer().decode(Int64.self) }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.value)
    }

    /// Zero dollars.
    public static let zero = USDNanos(0)

    public static func < (lhs: USDNanos, rhs: USDNanos) -> Bool { lhs.value < rhs.value }
    public static func + (lhs: USDNanos, rhs: USDNanos) -> USDNanos { USDNanos(lhs.value + rhs.value) }

    /// The amount in dollars with nine decimals, e.g. `0.000123450`.
    public var description: String {
        let sign = self.value < 0 ? "-" : ""
        let magnitude = self.value.magnitude
        let dollars = magnitude / 1_000_000_000
        let fraction = String(magnitude % 1_000_000_000)
        return "\(sign)\(dollars).\(String(repeating: "0", count: 9 - fraction.count))\(fraction)"
    }
}
