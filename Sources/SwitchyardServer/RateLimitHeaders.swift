import Foundation
import SwitchyardCore

/// OpenAI-style rate-limit headers: `x-ratelimit-limit-requests`, `-remaining-requests`,
/// `-reset-requests` (a duration such as `12s` or `1m3s`) and the same for tokens; for budgets
/// `x-switchyard-budget-limit-usd`, `-remaining-usd` and `-reset` (a UTC instant). Where a key
/// and its tenant both limit a meter, the one with less left is reported.
enum RateLimitHeaders {
    static func fields(_ statuses: [LimitStatus], now: Date) -> [String: String] {
        var tightest: [LimitMeter: LimitStatus] = [:]
        for status in statuses {
            let meter = status.demand.rule.meter
            if let current = tightest[meter], current.remaining <= status.remaining { continue }
            tightest[meter] = status
        }
        var fields: [String: String] = [:]
        for (meter, status) in tightest {
            switch meter {
            case .requests, .tokens:
                let unit = meter == .requests ? "requests" : "tokens"
                fields["x-ratelimit-limit-\(unit)"] = String(status.demand.rule.limit)
                fields["x-ratelimit-remaining-\(unit)"] = String(status.remaining)
                fields["x-ratelimit-reset-\(unit)"] = Self.duration(status.reset.timeIntervalSince(now))
            case .usd:
                fields["x-switchyard-budget-limit-usd"] = USDNanos(status.demand.rule.limit).description
                fields["x-switchyard-budget-remaining-usd"] = USDNanos(status.remaining).description
                fields["x-switchyard-budget-reset"] = InstantText.format(status.reset)
            }
        }
        return fields
    }

    /// `45s`, `1m3s`, `2h0m5s`: whole seconds, rounded up.
    static func duration(_ interval: TimeInterval) -> String {
        let total = max(0, Int(interval.rounded(.up)))
        let (hours, minutes, seconds) = (total / 3600, total % 3600 / 60, total % 60)
        if hours > 0 { return "\(hours)h\(minutes)m\(seconds)s" }
        if minutes > 0 { return "\(minutes)m\(seconds)s" }
        return "\(seconds)s"
    }
}
