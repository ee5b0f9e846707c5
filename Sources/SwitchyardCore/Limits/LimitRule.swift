import Foundation

/// What a limit counts.
public enum LimitMeter: String, Sendable, Hashable, CaseIterable {
    /// Requests admitted.
    case requests
    /// Prompt plus completion tokens.
    case tokens
    /// Charge in nano-dollars.
    case usd
}

/// One limit: at most `limit` units of `meter` per `period` window.
public struct LimitRule: Hashable, Sendable {
    /// What is counted.
    public var meter: LimitMeter
    /// The window.
    public var period: LimitPeriod
    /// The most units per window.
    public var limit: Int64
    /// Percent of the limit at which an alert is raised (budgets only).
    public var alertPercent: Int

    /// Creates a rule.
    public init(meter: LimitMeter, period: LimitPeriod, limit: Int64, alertPercent: Int = 80) {
        self.meter = meter
        self.period = period
        self.limit = limit
        self.alertPercent = alertPercent
    }
}

extension LimitRule {
    /// What one request reserves under this rule: one request; its token estimate, at most the
    /// whole limit (so a request without `max_tokens` still fits a small TPM limit, settled with
    /// its real tokens after); its maximum charge, never clamped (a budget is never overspent by
    /// a reservation that was cut short).
    public func amount(tokens: Int64, charge: USDNanos) -> Int64 {
        switch self.meter {
        case .requests: 1
        case .tokens: min(tokens, self.limit)
        case .usd: charge.value
        }
    }
}
