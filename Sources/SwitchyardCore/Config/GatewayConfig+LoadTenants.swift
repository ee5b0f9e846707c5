import Foundation
import Yams

extension ConfigReader {
    mutating func readTenants(_ node: Node) -> [TenantConfig] {
        var result: [TenantConfig] = []
        for (id, entry) in self.entries(node, "tenants") {
            let path = "tenants.\(id)"
            let allowed: Set = ["clouds", "regions", "models", "budget", "budgets", "rpm", "tpm", "alert_at", "prefer"]
            guard let fields = self.fields(entry, path, allowed: allowed) else { continue }
            var tenant = TenantConfig(id: id)
            tenant.clouds = self.stringList(fields["clouds"], path + ".clouds")
            tenant.regions = self.stringList(fields["regions"], path + ".regions")
            tenant.models = self.stringList(fields["models"], path + ".models")
            tenant.preferClouds = self.stringList(fields["prefer"], path + ".prefer")
            if !tenant.clouds.isEmpty {
                for cloud in tenant.preferClouds where !tenant.clouds.contains(cloud) {
                    self.fail(path + ".prefer", "prefers cloud \"\(cloud)\", which is not in its clouds")
                }
            }
            tenant.limits.requestsPerMinute = self.int(fields["rpm"], path + ".rpm", range: 1...10_000_000)
            tenant.limits.tokensPerMinute = self.int(fields["tpm"], path + ".tpm", range: 1...1_000_000_000)
            tenant.limits.alertPercent = self.int(fields["alert_at"], path + ".alert_at", range: 1...100)
            if let budget = fields["budget"], let parsed = self.budget(budget, path + ".budget") {
                tenant.limits.budgets.append(parsed)
            }
            if let list = fields["budgets"] {
                if let items = list.sequence {
                    for (index, item) in items.enumerated() {
                        if let parsed = self.budget(item, "\(path).budgets[\(index)]") {
                            tenant.limits.budgets.append(parsed)
                        }
                    }
                } else {
                    self.fail(path + ".budgets", "expected a list of {usd, per}")
                }
            }
            let periods = tenant.limits.budgets.map(\.period)
            if Set(periods).count != periods.count {
                self.fail(path + ".budgets", "at most one budget per period")
            }
            result.append(tenant)
        }
        return result
    }

    /// `{usd: 500, per: month}`: an exact USD amount per day, week or month (UTC windows).
    mutating func budget(_ node: Node, _ path: String) -> Budget? {
        guard let fields = self.fields(node, path, allowed: ["usd", "per"]) else { return nil }
        var amount: USDNanos?
        if let text = self.string(fields["usd"], path + ".usd") {
            if let price = TokenPrice(usdPerMillion: text) {
                amount = USDNanos(price.nanosPerMillion)
            } else {
                self.fail(path + ".usd", "expected a USD amount with at most 9 decimals, got \"\(text)\"")
            }
        } else {
            self.fail(path + ".usd", "is required")
        }
        var period = LimitPeriod.month
        if let text = self.string(fields["per"], path + ".per") {
            if let parsed = LimitPeriod(rawValue: text), parsed != .minute {
                period = parsed
            } else {
                self.fail(path + ".per", "expected day, week or month, got \"\(text)\"")
            }
        }
        return amount.map { Budget(amount: $0, period: period) }
    }

    mutating func readKeys(_ node: Node, tenants: Set<String>) -> [ClientKeyConfig] {
        guard let list = node.sequence else {
            self.fail("keys", "expected a list")
            return []
        }
        var result: [ClientKeyConfig] = []
        var seen = Set<String>()
        for (index, item) in list.enumerated() {
            let path = "keys[\(index)]"
            guard let fields = self.fields(item, path, allowed: ["id", "key", "tenant"]) else { continue }
            let key = self.requiredString(fields["key"], path + ".key")
            let tenant = self.requiredString(fields["tenant"], path + ".tenant")
            let id = self.string(fields["id"], path + ".id")
            if let tenant, !tenants.contains(tenant) { self.fail(path + ".tenant", "unknown tenant \"\(tenant)\"") }
            if let key, !seen.insert(key).inserted { self.fail(path + ".key", "the same key is listed twice") }
            guard let key, let tenant else { continue }
            result.append(ClientKeyConfig(id: id, key: Secret(key), tenant: tenant))
        }
        return result
    }
}
