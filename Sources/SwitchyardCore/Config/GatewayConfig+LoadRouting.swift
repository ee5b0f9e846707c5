import Foundation
import Yams

extension ConfigReader {
    mutating func strategy(_ node: Node?, _ path: String) -> RoutingStrategy? {
        guard let text = self.string(node, path) else { return nil }
        guard let strategy = RoutingStrategy(rawValue: text) else {
            let names = RoutingStrategy.allCases.map(\.rawValue).joined(separator: ", ")
            self.fail(path, "unknown strategy \"\(text)\" (supported: \(names))")
            return nil
        }
        return strategy
    }

    /// A duration that must be longer than zero.
    mutating func positiveDuration(_ node: Node?, _ path: String) -> Duration? {
        guard let value = self.duration(node, path) else { return nil }
        guard value > .zero else {
            self.fail(path, "must be longer than zero")
            return nil
        }
        return value
    }

    mutating func readRouting(_ node: Node) -> RoutingConfig {
        var routing = RoutingConfig()
        let allowed: Set = [
            "strategy", "retries", "timeouts", "retry_budget", "backoff", "breaker", "max_in_flight", "queue_timeout",
            "expected_output_tokens",
        ]
        guard let fields = self.fields(node, "routing", allowed: allowed) else { return routing }
        if let strategy = self.strategy(fields["strategy"], "routing.strategy") { routing.strategy = strategy }
        if let retries = self.int(fields["retries"], "routing.retries", range: 0...10) { routing.retries = retries }
        var idleSet = false
        if let timeouts = fields["timeouts"],
            let timeoutFields = self.fields(
                timeouts,
                "routing.timeouts",
                allowed: ["connect", "first_byte", "idle", "total"]
            )
        {
            if let value = self.positiveDuration(timeoutFields["connect"], "routing.timeouts.connect") {
                routing.connectTimeout = value
            }
            if let value = self.positiveDuration(timeoutFields["first_byte"], "routing.timeouts.first_byte") {
                routing.firstByteTimeout = value
            }
            if let value = self.positiveDuration(timeoutFields["idle"], "routing.timeouts.idle") {
                routing.idleTimeout = value
                idleSet = true
            }
            routing.totalTimeout = self.positiveDuration(timeoutFields["total"], "routing.timeouts.total")
        }
        if !idleSet { routing.idleTimeout = routing.firstByteTimeout }
        if let budget = fields["retry_budget"],
            let budgetFields = self.fields(budget, "routing.retry_budget", allowed: ["ratio", "burst"])
        {
            if let text = self.string(budgetFields["ratio"], "routing.retry_budget.ratio") {
                if let ratio = Double(text), (0...1).contains(ratio) {
                    routing.retryRatio = ratio
                } else {
                    self.fail("routing.retry_budget.ratio", "expected a number from 0 to 1, got \"\(text)\"")
                }
            }
            if let burst = self.int(budgetFields["burst"], "routing.retry_budget.burst", range: 0...1_000_000) {
                routing.retryBurst = burst
            }
        }
        if let backoff = fields["backoff"],
            let backoffFields = self.fields(backoff, "routing.backoff", allowed: ["base", "max"])
        {
            if let value = self.duration(backoffFields["base"], "routing.backoff.base") { routing.backoffBase = value }
            if let value = self.duration(backoffFields["max"], "routing.backoff.max") { routing.backoffMax = value }
        }
        if let breaker = fields["breaker"] {
            routing.breaker = self.readBreaker(breaker)
        }
        routing.maxInFlight = self.int(fields["max_in_flight"], "routing.max_in_flight", range: 1...1_000_000)
        if let value = self.duration(fields["queue_timeout"], "routing.queue_timeout") { routing.queueTimeout = value }
        if let tokens = self.int(
            fields["expected_output_tokens"],
            "routing.expected_output_tokens",
            range: 0...10_000_000
        ) {
            routing.expectedOutputTokens = tokens
        }
        return routing
    }

    mutating func readBreaker(_ node: Node) -> BreakerConfig {
        var breaker = BreakerConfig()
        let path = "routing.breaker"
        let allowed: Set = ["consecutive_failures", "error_rate", "window", "min_requests", "open_for"]
        guard let fields = self.fields(node, path, allowed: allowed) else { return breaker }
        if let value = self.int(fields["consecutive_failures"], path + ".consecutive_failures", range: 1...1_000_000) {
            breaker.consecutiveFailures = value
        }
        if let text = self.string(fields["error_rate"], path + ".error_rate") {
            if let rate = Double(text), rate > 0, rate <= 1 {
                breaker.errorRate = rate
            } else {
                self.fail(path + ".error_rate", "expected a number above 0 and at most 1, got \"\(text)\"")
            }
        }
        if let value = self.positiveDuration(fields["window"], path + ".window") { breaker.window = value }
        if let value = self.int(fields["min_requests"], path + ".min_requests", range: 1...1_000_000) {
            breaker.minimumRequests = value
        }
        if let value = self.positiveDuration(fields["open_for"], path + ".open_for") { breaker.openFor = value }
        return breaker
    }

    mutating func readDeploymentTimeouts(_ node: Node?, _ path: String) -> TimeoutOverrides {
        guard let node, let fields = self.fields(node, path, allowed: ["connect", "first_byte", "idle", "total"]) else {
            return TimeoutOverrides()
        }
        return TimeoutOverrides(
            connect: self.positiveDuration(fields["connect"], path + ".connect"),
            firstByte: self.positiveDuration(fields["first_byte"], path + ".first_byte"),
            idle: self.positiveDuration(fields["idle"], path + ".idle"),
            total: self.positiveDuration(fields["total"], path + ".total")
        )
    }
}
