import Foundation

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
