import Foundation
import SwitchyardCore
import SwitchyardStore
import Testing

/// Tenants, keys, audit and limit counters: the same behaviour on SQLite and PostgreSQL.
@Suite(.timeLimit(.minutes(1))) struct ControlStoreSuiteTests {
    static let now = Date(timeIntervalSince1970: 1_795_996_800)

    static func withControl(
        _ engine: Engine,
        _ body: @escaping (any ControlStore & LimitCounterStore) async throws -> Void
    ) async throws {
        try await engine.withStore { store in
            let control = try #require(store as? any ControlStore & LimitCounterStore)
            try await body(control)
        }
    }

    static func audit(_ action: String, _ target: String, after: JSONValue? = nil) -> AuditRecord {
        AuditRecord(time: Self.now, actor: "admin:0123abcd", action: action, target: target, before: nil, after: after)
    }

    @Test(arguments: Engine.allCases)
    func tenantsAreCreatedUpdatedAndDeletedWithTheirAudit(engine: Engine) async throws {
        try await Self.withControl(engine) { store in
            let version = try await store.controlVersion()
            var tenant = TenantRecord(
                id: "acme",
                access: AccessRules(clouds: ["aws"]),
                limits: LimitSettings(
                    requestsPerMinute: 600,
                    budgets: [Budget(amount: USDNanos(500_000_000_001), period: .month)]
                ),
                metadata: ["team": "search"],
                createdAt: Self.now
            )
            try await store.createTenant(
                tenant,
                audit: Self.audit("tenant.create", "acme", after: TenancyJSON.encode(tenant))
            )
            #expect(try await store.tenants() == [tenant])
            #expect(try await store.controlVersion() > version)
            await #expect(throws: ControlStoreError.self) {
                try await store.createTenant(tenant, audit: Self.audit("tenant.create", "acme"))
            }
            tenant.limits.requestsPerMinute = 60
            tenant.updatedAt = Self.now.addingTimeInterval(5)
            try await store.updateTenant(tenant, audit: Self.audit("tenant.update", "acme"))
            #expect(try await store.tenants().first?.limits.requestsPerMinute == 60)
            try await store.deleteTenant(id: "acme", at: Self.now, audit: Self.audit("tenant.delete", "acme"))
            #expect(try await store.tenants().isEmpty)
            await #expect(throws: ControlStoreError.self) {
                try await store.deleteTenant(id: "acme", at: Self.now, audit: Self.audit("tenant.delete", "acme"))
            }
            // The failed attempts left no audit records: only the three changes are listed, newest first.
            let records = try await store.auditRecords(limit: 10, before: nil)
            #expect(records.map(\.action) == ["tenant.delete", "tenant.update", "tenant.create"])
            #expect(records.last?.after?["budgets"]?.arrayValue?.first?["usd_nanos"] == .number("500000000001"))
            #expect(
                try await store.auditRecords(limit: 10, before: records[1].sequence).map(\.action) == ["tenant.create"]
            )
        }
    }

    @Test(arguments: Engine.allCases)
    func keysAreFoundByDigestAndRevokedWithTheirTenant(engine: Engine) async throws {
        try await Self.withControl(engine) { store in
            let hasher = KeyHasher(secret: Secret("a-server-secret-of-some-length"))
            try await store.createTenant(
                TenantRecord(id: "acme", createdAt: Self.now),
                audit: Self.audit("tenant.create", "acme")
            )
            let first = StoredKey(
                record: KeyRecord(
                    id: "key_1",
                    prefix: "sk-sy-abcdef",
                    tenant: "acme",
                    name: "ci",
                    limits: LimitSettings(tokensPerMinute: 1000),
                    createdAt: Self.now,
                    expiresAt: Self.now.addingTimeInterval(3600)
                ),
                digest: hasher.digest("sk-sy-abcdef-secret-1")
            )
            let second = StoredKey(
                record: KeyRecord(
                    id: "key_2",
                    prefix: "sk-sy-ghijkl",
                    tenant: "acme",
                    createdAt: Self.now.addingTimeInterval(1)
                ),
                digest: hasher.digest("sk-sy-ghijkl-secret-2")
            )
            try await store.createKey(first, audit: Self.audit("key.create", "key_1"))
            try await store.createKey(second, audit: Self.audit("key.create", "key_2"))
            await #expect(throws: ControlStoreError.self) {
                try await store.createKey(first, audit: Self.audit("key.create", "key_1"))
            }
            #expect(try await store.keys(tenant: "acme") == [first, second])
            #expect(try await store.keys(tenant: "globex").isEmpty)
            try await store.revokeKey(id: "key_1", at: Self.now, audit: Self.audit("key.revoke", "key_1"))
            await #expect(throws: ControlStoreError.self) {
                try await store.revokeKey(id: "key_1", at: Self.now, audit: Self.audit("key.revoke", "key_1"))
            }
            #expect(try await store.keys(tenant: nil).map { $0.record.revokedAt } == [Self.now, nil])
            try await store.deleteTenant(
                id: "acme",
                at: Self.now.addingTimeInterval(9),
                audit: Self.audit("tenant.delete", "acme")
            )
            #expect(
                try await store.keys(tenant: nil).map { $0.record.revokedAt } == [
                    Self.now, Self.now.addingTimeInterval(9),
                ]
            )
        }
    }

    @Test(arguments: Engine.allCases)
    func concurrentGrantsNeverPassTheLimit(engine: Engine) async throws {
        try await Self.withControl(engine) { store in
            let granted = try await withThrowingTaskGroup(of: Int64.self) { group in
                for _ in 0..<40 {
                    group.addTask {
                        try await store.grant(
                            counter: "tenant:acme:requests:minute",
                            window: 60_000,
                            want: 3,
                            limit: 100
                        ).granted
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(granted == 100)
            let after = try await store.grant(
                counter: "tenant:acme:requests:minute",
                window: 60_000,
                want: 3,
                limit: 100
            )
            #expect(after == LimitGrant(granted: 0, used: 100))
            try await store.adjust(counter: "tenant:acme:requests:minute", window: 60_000, delta: -10)
            #expect(
                try await store.grant(counter: "tenant:acme:requests:minute", window: 60_000, want: 30, limit: 100)
                    == LimitGrant(granted: 10, used: 100)
            )
            // Another window counts from zero; settlement past the limit is recorded as it is.
            try await store.adjust(counter: "tenant:acme:requests:minute", window: 120_000, delta: 120)
            #expect(
                try await store.grant(counter: "tenant:acme:requests:minute", window: 120_000, want: 1, limit: 100)
                    == LimitGrant(granted: 0, used: 120)
            )
            try await store.pruneCounters(before: 120_000)
            #expect(
                try await store.grant(counter: "tenant:acme:requests:minute", window: 60_000, want: 1, limit: 100)
                    == LimitGrant(granted: 1, used: 1)
            )
        }
    }

    @Test(arguments: Engine.allCases)
    func aNewBudgetCounterStartsFromTheLedgersSpendInItsWindow(engine: Engine) async throws {
        try await engine.withStore { ledger in
            let store = try #require(ledger as? any ControlStore & LimitCounterStore)
            let november = LimitPeriod.month.window(containing: Self.now.addingTimeInterval(-86_400))
            try await ledger.insert([
                entry("n1", at: november.start, charge: 300),
                entry("n2", at: november.end.addingTimeInterval(-1), charge: 400),
                entry("d1", at: november.end, charge: 50_000),  // December: another window
            ])
            let window = Int64(november.start.timeIntervalSince1970 * 1000)
            let tenant = LedgerSpend(subjectKind: "tenant", subjectID: "acme", window: november)
            let first = try await store.grant(
                counter: "tenant:acme:usd:month",
                window: window,
                want: 100,
                limit: 1_000,
                seed: tenant
            )
            #expect(first == LimitGrant(granted: 100, used: 800))
            // Once the counter exists the ledger is not read again: settlements keep it current.
            let second = try await store.grant(
                counter: "tenant:acme:usd:month",
                window: window,
                want: 500,
                limit: 1_000,
                seed: tenant
            )
            #expect(second == LimitGrant(granted: 200, used: 1_000))
            let key = LedgerSpend(subjectKind: "key", subjectID: "key-1", window: november)
            let byKey = try await store.grant(
                counter: "key:key-1:usd:month",
                window: window,
                want: 1,
                limit: 1_000,
                seed: key
            )
            #expect(byKey == LimitGrant(granted: 1, used: 701))
        }
    }
}
