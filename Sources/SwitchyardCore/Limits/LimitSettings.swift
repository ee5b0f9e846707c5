/// A spending limit over a fixed UTC window.
public struct Budget: Hashable, Sendable {
    /// The most that may be charged in one window.
    public var amount: USDNanos
    /// The window: day, week or month.
    public var period: LimitPeriod

    /// Creates a budget.
    public init(amount: USDNanos, period: LimitPeriod) {
        self.amount = amount
        self.period = period
    }
}

/// Rate limits and budgets of a tenant or a key.
public struct LimitSettings: Hashable, Sendable {
    /// Requests per UTC minute.
    public var requestsPerMinute: Int?
    /// Tokens (prompt + completion) per UTC minute.
    public var tokensPerMinute: Int?
    /// Spending limits.
    public var budgets: [Budget]
    /// Spend, in percent of a budget, at which an alert is logged (default 80).
    public var alertPercent: Int?

    /// Creates settings; none limit anything by default.
    public init(
        requestsPerMinute: Int? = nil,
        tokensPerMinute: Int? = nil,
        budgets: [Budget] = [],
        alertPercent: Int? = nil
    ) {
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
        self.budgets = budgets
        self.alertPercent = alertPercent
    }

    /// No limits.
    public static let none = LimitSettings()

    /// What a request using at most `tokens` and `charge` demands of each of these rules, for
    /// the subject (`tenant`, `key`, `deployment`) that has them.
    public func demands(of subjectKind: String, _ subjectID: String, tokens: Int64, charge: USDNanos) -> [LimitDemand] {
        self.rules.map { rule in
            LimitDemand(
                subjectKind: subjectKind,
                subjectID: subjectID,
                rule: rule,
                amount: rule.amount(tokens: tokens, charge: charge)
            )
        }
    }

    /// Whether nothing is limited.
    public var isEmpty: Bool { self.requestsPerMinute == nil && self.tokensPerMinute == nil && self.budgets.isEmpty }

    /// The rules these settings impose, per meter and window.
    public var rules: [LimitRule] {
        var rules: [LimitRule] = []
        if let rpm = self.requestsPerMinute {
            rules.append(LimitRule(meter: .requests, period: .minute, limit: Int64(rpm)))
        }
        if let tpm = self.tokensPerMinute {
            rules.append(LimitRule(meter: .tokens, period: .minute, limit: Int64(tpm)))
        }
        for budget in self.budgets {
            rules.append(
                LimitRule(
                    meter: .usd,
                    period: budget.period,
                    limit: budget.amount.value,
                    alertPercent: self.alertPercent ?? 80
                )
            )
        }
        return rules
    }
}
