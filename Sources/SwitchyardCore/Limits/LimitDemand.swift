import Foundation

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
