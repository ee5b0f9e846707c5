import Foundation
import SwitchyardCore
import Synchronization
import Testing

/// Shared counters in memory, as a replica sees PostgreSQL's: grants are atomic.
final class CountersDouble: LimitCounterStore {
    let counters = Mutex<[String: Int64]>([:])
    let failing = Mutex(false)
    let calls = Mutex(0)

    func grant(
        counter: String,
        window: Int64,
        want: Int64,
        limit: Int64,
        seed: LedgerSpend?
    ) async throws
        -> LimitGrant
    {
        self.calls.withLock { $0 += 1 }
        if self.failing.withLock({ $0 }) { throw CancellationError() }
        return self.counters.withLock { counters in
            let used = counters["\(counter)@\(window)"] ?? 0
            let granted = max(0, min(want, limit - used))
            counters["\(counter)@\(window)"] = used + granted
            return LimitGrant(granted: granted, used: used + granted)
        }
    }

    func adjust(counter: String, window: Int64, delta: Int64) async throws {
        self.counters.withLock {
            $0["\(counter)@\(window)", default: 0] = max(0, $0["\(counter)@\(window)", default: 0] + delta)
        }
    }

    func pruneCounters(before window: Int64) async throws {}

    func value(_ counter: String, window: DateInterval) -> Int64 {
        self.counters.withLock { $0["\(counter)@\(Int64(window.start.timeIntervalSince1970 * 1000))"] ?? 0 }
    }
}

@Suite struct LimitPeriodTests {
    static func instant(_ text: String) throws -> Date { try #require(InstantText.parse(text)) }

    @Test(arguments: [
        ("2026-01-31T23:59:59Z", "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"),
        ("2026-02-01T00:00:00Z", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"),
        ("2028-02-29T12:00:00Z", "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z"),
        ("2026-12-31T23:59:59.999Z", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"),
        ("2027-01-01T00:00:00Z", "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z"),
        ("1969-12-31T23:00:00Z", "1969-12-01T00:00:00Z", "1970-01-01T00:00:00Z"),
    ])
    func monthWindowsFollowUTCCalendarMonths(at: String, start: String, end: String) throws {
        let window = LimitPeriod.month.window(containing: try Self.instant(at))
        #expect(window.start == (try Self.instant(start)))
        #expect(window.end == (try Self.instant(end)))
    }

    @Test func weeksRunMondayToMondayInUTC() throws {
        // 2026-11-30 is a Monday; 2027-01-01 a Friday (a week across a year end).
        let monday = LimitPeriod.week.window(containing: try Self.instant("2026-11-30T00:00:00Z"))
        #expect(monday.start == (try Self.instant("2026-11-30T00:00:00Z")))
        #expect(monday.end == (try Self.instant("2026-12-07T00:00:00Z")))
        let sunday = LimitPeriod.week.window(containing: try Self.instant("2026-11-29T23:59:59Z"))
        #expect(sunday.start == (try Self.instant("2026-11-23T00:00:00Z")))
        let newYear = LimitPeriod.week.window(containing: try Self.instant("2027-01-01T10:00:00Z"))
        #expect(newYear.start == (try Self.instant("2026-12-28T00:00:00Z")))
        #expect(newYear.end == (try Self.instant("2027-01-04T00:00:00Z")))
    }

    @Test func daysAndMinutesAreAlignedToUTC() throws {
        let day = LimitPeriod.day.window(containing: try Self.instant("2026-02-28T23:59:59Z"))
        #expect(day.start == (try Self.instant("2026-02-28T00:00:00Z")))
        #expect(day.end == (try Self.instant("2026-03-01T00:00:00Z")))
        let minute = LimitPeriod.minute.window(containing: try Self.instant("2026-11-30T10:15:59.900Z"))
        #expect(minute.start == (try Self.instant("2026-11-30T10:15:00Z")))
        #expect(minute.duration == 60)
    }
}

@Suite struct LimiterTests {
    static let now = Date(timeIntervalSince1970: 1_795_996_800 + 10)
    static let rpm = LimitRule(meter: .requests, period: .minute, limit: 100)

    static func demand(_ rule: LimitRule, amount: Int64 = 1, tenant: String = "acme") -> LimitDemand {
        LimitDemand(subjectKind: "tenant", subjectID: tenant, rule: rule, amount: amount)
    }

    @Test func threeReplicasTogetherAdmitExactlyTheLimit() async throws {
        let counters = CountersDouble()
        let replicas = (0..<3).map { _ in Limiter(store: counters) }
        var admitted = 0
        var refused = 0
        for index in 0..<150 {
            do {
                _ = try await replicas[index % 3].admit([Self.demand(Self.rpm)], now: Self.now)
                admitted += 1
            } catch let rejection as LimitRejection {
                refused += 1
                #expect(rejection.status.reset == Self.now.addingTimeInterval(50))
            }
        }
        // Leases are a fiftieth of the limit; the counter never grants past it.
        #expect(admitted == 100)
        #expect(refused == 50)
        #expect(
            counters.value("tenant:acme:requests:minute", window: LimitPeriod.minute.window(containing: Self.now))
                == 100
        )
    }

    @Test func aNewWindowStartsFromZero() async throws {
        let limiter = Limiter(store: CountersDouble())
        let rule = LimitRule(meter: .requests, period: .minute, limit: 2)
        _ = try await limiter.admit([Self.demand(rule)], now: Self.now)
        _ = try await limiter.admit([Self.demand(rule)], now: Self.now)
        await #expect(throws: LimitRejection.self) { _ = try await limiter.admit([Self.demand(rule)], now: Self.now) }
        _ = try await limiter.admit([Self.demand(rule)], now: Self.now.addingTimeInterval(50))
    }

    @Test func unusedReservationsGoBackAndOveragesAreCharged() async throws {
        let counters = CountersDouble()
        let limiter = Limiter(store: counters)
        let budget = LimitRule(meter: .usd, period: .month, limit: 1_000)
        let window = LimitPeriod.month.window(containing: Self.now)
        let first = try await limiter.admit([Self.demand(budget, amount: 600)], now: Self.now)
        // 600 reserved: a second request of 600 does not fit while the first is in flight.
        await #expect(throws: LimitRejection.self) {
            _ = try await limiter.admit([Self.demand(budget, amount: 600)], now: Self.now)
        }
        limiter.settle(first, actual: [.usd: 100])
        // 100 spent: 900 left, so 600 fits now.
        let second = try await limiter.admit([Self.demand(budget, amount: 600)], now: Self.now)
        limiter.settle(second, actual: [.usd: 700])  // 100 above its reservation
        await limiter.sync(now: Self.now, returningAll: true)
        #expect(counters.value("tenant:acme:usd:month", window: window) == 800)
    }

    @Test func aRejectionReleasesWhatOtherLimitsReserved() async throws {
        let counters = CountersDouble()
        let limiter = Limiter(store: counters)
        let rpm = LimitRule(meter: .requests, period: .minute, limit: 10)
        let budget = LimitRule(meter: .usd, period: .day, limit: 50)
        _ = try await limiter.admit([Self.demand(rpm), Self.demand(budget, amount: 40)], now: Self.now)
        await #expect(throws: LimitRejection.self) {
            _ = try await limiter.admit([Self.demand(rpm), Self.demand(budget, amount: 40)], now: Self.now)
        }
        await limiter.sync(now: Self.now, returningAll: true)
        let minute = LimitPeriod.minute.window(containing: Self.now)
        #expect(counters.value("tenant:acme:requests:minute", window: minute) == 1)
    }

    @Test func idleLeasesReturnSoAnotherReplicaCanUseThem() async throws {
        let counters = CountersDouble()
        let busy = Limiter(store: counters, idleReturn: .zero)
        let other = Limiter(store: counters)
        let rule = LimitRule(meter: .requests, period: .minute, limit: 100)  // leases of 2
        _ = try await busy.admit([Self.demand(rule)], now: Self.now)
        #expect(busy.leased(counter: "tenant:acme:requests:minute", now: Self.now, period: .minute) == 1)
        var admitted = 0
        while (try? await other.admit([Self.demand(rule)], now: Self.now)) != nil { admitted += 1 }
        #expect(admitted == 98)
        await busy.sync(now: Self.now)
        #expect(busy.leased(counter: "tenant:acme:requests:minute", now: Self.now, period: .minute) == 0)
        _ = try await other.admit([Self.demand(rule)], now: Self.now)
    }

    @Test func budgetRejectionsNameTheResetInstant() async throws {
        let limiter = Limiter(store: CountersDouble())
        let budget = LimitRule(meter: .usd, period: .month, limit: 5_000_000_000)
        do {
            _ = try await limiter.admit([Self.demand(budget, amount: 6_000_000_000)], now: Self.now)
            Issue.record("expected a rejection")
        } catch let rejection as LimitRejection {
            let error = rejection.gatewayError(now: Self.now)
            #expect(error.code == .budgetExceeded)
            #expect(error.code.status == 429)
            #expect(error.message.contains("2026-12-01T00:00:00Z"))
            #expect(error.retryAfterSeconds == 86_400 - 10)
        }
    }

    @Test func limitsFailOpenWhileTheStoreIsDown() async throws {
        let counters = CountersDouble()
        counters.failing.withLock { $0 = true }
        let limiter = Limiter(store: counters)
        let rule = LimitRule(meter: .requests, period: .minute, limit: 1)
        _ = try await limiter.admit([Self.demand(rule)], now: Self.now)
        // Right after a failure, requests do not wait on the store again.
        _ = try await limiter.admit([Self.demand(rule, tenant: "globex")], now: Self.now)
        #expect(counters.calls.withLock { $0 } == 1)
        counters.failing.withLock { $0 = false }
        await limiter.sync(now: Self.now)
        // The admitted request is charged once the store is back.
        #expect(
            counters.value("tenant:acme:requests:minute", window: LimitPeriod.minute.window(containing: Self.now)) == 1
        )
    }
}

@Suite struct TenancyTests {
    @Test func storedKeysAreHashedWithHMACSHA256() {
        // RFC 4231, test case 2.
        let digest = KeyHasher(secret: Secret("Jefe")).digest("what do ya want for nothing?")
        #expect(digest.hex == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(KeyDigest(hex: digest.hex) == digest)
    }

    @Test func budgetsAreReadExactly() throws {
        var access = AccessRules.any
        var limits = LimitSettings.none
        var metadata: [String: String] = [:]
        let body = try JSONValue.parse(#"{"budgets":[{"usd":0.10,"per":"day"},{"usd":"500","per":"month"}],"rpm":60}"#)
        try TenancyJSON.apply(
            try TenancyJSON.members(body, allowed: TenancyJSON.tenantFields),
            access: &access,
            limits: &limits,
            metadata: &metadata
        )
        #expect(
            limits.budgets == [
                Budget(amount: USDNanos(100_000_000), period: .day),
                Budget(amount: USDNanos(500_000_000_000), period: .month),
            ]
        )
        #expect(limits.requestsPerMinute == 60)
    }

    @Test(arguments: [
        #"{"rpm":0}"#, #"{"budget":{"usd":"-1"}}"#, #"{"budget":{"usd":"1","per":"minute"}}"#, #"{"colour":"red"}"#,
        #"{"models":"gpt-5"}"#, #"{"budgets":[{"usd":"1","per":"day"},{"usd":"2","per":"day"}]}"#,
    ])
    func badFieldsAreRefused(body: String) throws {
        var access = AccessRules.any
        var limits = LimitSettings.none
        var metadata: [String: String] = [:]
        let json = try JSONValue.parse(body)
        #expect(throws: GatewayError.self) {
            try TenancyJSON.apply(
                try TenancyJSON.members(json, allowed: TenancyJSON.tenantFields),
                access: &access,
                limits: &limits,
                metadata: &metadata
            )
        }
    }

    @Test func aTokenReservationIsCutToTheLimitButAChargeNever() {
        let caller = Caller(
            identity: ClientIdentity(tenant: "acme", keyID: "k"),
            tenantLimits: LimitSettings(
                requestsPerMinute: 10,
                tokensPerMinute: 1_000,
                budgets: [Budget(amount: USDNanos(500), period: .day)]
            )
        )
        let demands = caller.demands(tokens: 4_200, charge: USDNanos(900))
        #expect(demands.map(\.amount) == [1, 1_000, 900])
        #expect(
            demands.map(\.counterName) == [
                "tenant:acme:requests:minute", "tenant:acme:tokens:minute", "tenant:acme:usd:day",
            ]
        )
    }

    @Test func aKeyNarrowsItsTenant() {
        let tenant = AccessRules(models: nil, clouds: ["aws", "azure"])
        let key = AccessRules(models: ["gpt-5"], clouds: ["azure", "gcp"])
        let merged = tenant.narrowed(by: key)
        #expect(merged.models == ["gpt-5"])
        #expect(merged.clouds == ["azure"])
        #expect(merged.regions == nil)
        #expect(AccessRules(clouds: ["aws"]).narrowed(by: AccessRules(clouds: ["gcp"])).clouds == [])
    }

    @Test func configuredTenantsReadLimitsAndBudgets() throws {
        let yaml = """
            key_secret: 0123456789abcdef0123
            providers:
              p: {type: openai, cloud: aws, base_url: "http://127.0.0.1:1/v1"}
            models:
              m: {deployments: [{provider: p, rpm: 100, tpm: 50000}]}
            tenants:
              acme: {models: [m], rpm: 60, tpm: 1000, alert_at: 90, budgets: [{usd: "5.5", per: day}, {usd: 100, per: week}]}
            """
        let config = try GatewayConfig.load(yaml: yaml, environment: [:])
        let tenant = try #require(config.tenant("acme"))
        #expect(config.keySecret?.value == "0123456789abcdef0123")
        #expect(tenant.models == ["m"])
        let deployment = try #require(config.model("m")?.deployments.first)
        #expect(deployment.requestsPerMinute == 100 && deployment.tokensPerMinute == 50000)
        #expect(tenant.limits.tokensPerMinute == 1000)
        #expect(tenant.limits.alertPercent == 90)
        #expect(tenant.limits.budgets.map(\.amount) == [USDNanos(5_500_000_000), USDNanos(100_000_000_000)])
        #expect(throws: ConfigError.self) {
            try GatewayConfig.load(yaml: yaml.replacingOccurrences(of: "per: day", with: "per: hour"), environment: [:])
        }
        #expect(throws: ConfigError.self) {
            try GatewayConfig.load(
                yaml: yaml.replacingOccurrences(of: "0123456789abcdef0123", with: "short"),
                environment: [:]
            )
        }
    }
}

@Suite struct ClientDirectoryTests {
    static let now = Date(timeIntervalSince1970: 1_795_996_800)
    static let secret = Secret("directory-test-secret")

    static func config() -> GatewayConfig {
        var config = GatewayConfig(
            providers: [],
            models: [],
            tenants: [TenantConfig(id: "acme", clouds: ["aws"], limits: LimitSettings(requestsPerMinute: 60))],
            keys: [ClientKeyConfig(id: "acme-file", key: Secret("sk-file-key"), tenant: "acme")]
        )
        config.keySecret = Self.secret
        return config
    }

    static func stored(_ id: String, tenant: String, expires: Date? = nil, revoked: Date? = nil) -> StoredKey {
        StoredKey(
            record: KeyRecord(
                id: id,
                prefix: "sk-sy-\(id)",
                tenant: tenant,
                access: AccessRules(models: ["gpt-5"]),
                limits: LimitSettings(tokensPerMinute: 100),
                createdAt: Self.now,
                expiresAt: expires,
                revokedAt: revoked
            ),
            digest: KeyHasher(secret: Self.secret).digest("secret-of-\(id)")
        )
    }

    @Test func fileKeysAndStoredKeysResolveToTheirTenantsRulesAndLimits() throws {
        let directory = ClientDirectory(
            config: Self.config(),
            tenants: [TenantRecord(id: "globex", access: AccessRules(clouds: ["azure"]), createdAt: Self.now)],
            keys: [
                Self.stored("live", tenant: "globex"),
                Self.stored("expiring", tenant: "globex", expires: Self.now.addingTimeInterval(60)),
                Self.stored("revoked", tenant: "globex", revoked: Self.now),
                Self.stored("orphan", tenant: "gone"),
                Self.stored("on-file-tenant", tenant: "acme"),
            ],
            version: 7
        )
        let file = try #require(directory.identify("sk-file-key", at: Self.now))
        #expect(file.identity == ClientIdentity(tenant: "acme", keyID: "acme-file") && file.keyPrefix == nil)
        #expect(file.access.clouds == ["aws"] && file.tenantLimits.requestsPerMinute == 60)

        let live = try #require(directory.identify("secret-of-live", at: Self.now))
        #expect(live.identity == ClientIdentity(tenant: "globex", keyID: "live"))
        #expect(live.access == AccessRules(models: ["gpt-5"], clouds: ["azure"]))
        #expect(live.keyLimits.tokensPerMinute == 100 && live.keyPrefix == "sk-sy-live")
        #expect(directory.identify("secret-of-on-file-tenant", at: Self.now)?.tenantLimits.requestsPerMinute == 60)

        #expect(directory.identify("secret-of-expiring", at: Self.now.addingTimeInterval(59)) != nil)
        #expect(directory.identify("secret-of-expiring", at: Self.now.addingTimeInterval(60)) == nil)
        #expect(directory.identify("secret-of-revoked", at: Self.now) == nil)
        #expect(directory.identify("secret-of-orphan", at: Self.now) == nil)
        #expect(directory.identify("secret-of-nothing", at: Self.now) == nil)
        // Without key_secret stored keys are not accepted at all.
        var noSecret = Self.config()
        noSecret.keySecret = nil
        let blind = ClientDirectory(config: noSecret, keys: [Self.stored("live", tenant: "acme")])
        #expect(blind.identify("secret-of-live", at: Self.now) == nil)
    }
}
