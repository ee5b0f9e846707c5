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

/// A rule applied to one tenant or key, with what this request wants of it.
public struct LimitDemand: Hashable, Sendable {
    /// `tenant` or `key`.
    public var subjectKind: String
    /// The tenant or key id.
    public var subjectID: String
    /// The rule.
    public var rule: LimitRule
    /// Units to reserve now (the request's maximum), settled after.
    public var amount: Int64

    /// Creates a demand.
    public init(subjectKind: String, subjectID: String, rule: LimitRule, amount: Int64) {
        self.subjectKind = subjectKind
        self.subjectID = subjectID
        self.rule = rule
        self.amount = amount
    }

    /// The shared counter's name: `tenant:acme:requests:minute`.
    public var counterName: String {
        "\(self.subjectKind):\(self.subjectID):\(self.rule.meter.rawValue):\(self.rule.period.rawValue)"
    }
}

/// Where a limit stands after admission, for the `x-ratelimit-*` headers.
public struct LimitStatus: Hashable, Sendable {
    /// The demand's subject and rule.
    public var demand: LimitDemand
    /// Units left in the window, as far as this replica knows (other replicas' unused leases
    /// count as used).
    public var remaining: Int64
    /// When the window ends.
    public var reset: Date
}

/// A limit would be exceeded: the request is refused with 429.
public struct LimitRejection: Error, Sendable, Hashable {
    /// The limit that refused.
    public var status: LimitStatus

    /// The OpenAI-shaped error: `budget_exceeded` for budgets, `rate_limit_exceeded` otherwise,
    /// naming the window's reset instant.
    public func gatewayError(now: Date) -> GatewayError {
        let demand = self.status.demand
        let reset = InstantText.format(self.status.reset)
        let retry = max(1, Int((self.status.reset.timeIntervalSince(now)).rounded(.up)))
        let who = "\(demand.subjectKind) '\(demand.subjectID)'"
        switch demand.rule.meter {
        case .usd:
            let limit = USDNanos(demand.rule.limit)
            return GatewayError(
                code: .budgetExceeded,
                message:
                    "The \(demand.rule.period.rawValue)ly budget of \(who) (USD \(limit)) is spent or reserved by requests in flight; it resets at \(reset).",
                retryAfterSeconds: retry
            )
        case .requests, .tokens:
            let unit = demand.rule.meter == .requests ? "requests" : "tokens"
            return GatewayError(
                code: .rateLimited,
                message:
                    "Rate limit reached for \(who): \(demand.rule.limit) \(unit) per \(demand.rule.period.unitName). The window resets at \(reset).",
                retryAfterSeconds: retry
            )
        }
    }
}

extension GatewayError.Code {
    /// A tenant's or key's budget for the current window is spent.
    public static let budgetExceeded = GatewayError.Code(
        rawValue: "budget_exceeded",
        status: 429,
        type: "insufficient_quota"
    )
}
