import Foundation
import NIOHTTP1
import SwitchyardCore
import SwitchyardStore
import Synchronization
import Testing

/// A store that counts how often keys and tenants are read.
final class CountingStore: LedgerStore, ControlStore, LimitCounterStore {
    let inner = MemoryLedgerStore()
    let reads = Mutex(0)

    func insert(_ entries: [LedgerEntry]) async throws { try await self.inner.insert(entries) }
    func ping() async throws {}
    func count() async throws -> Int { try await self.inner.count() }
    func revenueShareTotals(beneficiary: String?, from: Date, until: Date) async throws -> [RevenueShareTotal] {
        try await self.inner.revenueShareTotals(beneficiary: beneficiary, from: from, until: until)
    }
    func usage(by dimension: UsageDimension, from: Date, until: Date) async throws -> [UsageTotal] {
        try await self.inner.usage(by: dimension, from: from, until: until)
    }

    func controlVersion() async throws -> Int64 { try await self.inner.controlVersion() }
    func tenants() async throws -> [TenantRecord] {
        self.reads.withLock { $0 += 1 }
        return try await self.inner.tenants()
    }
    func keys(tenant: String?) async throws -> [StoredKey] {
        self.reads.withLock { $0 += 1 }
        return try await self.inner.keys(tenant: tenant)
    }
    func createTenant(_ tenant: TenantRecord, audit: AuditRecord) async throws {
        try await self.inner.createTenant(tenant, audit: audit)
    }
    func updateTenant(_ tenant: TenantRecord, audit: AuditRecord) async throws {
        try await self.inner.updateTenant(tenant, audit: audit)
    }
    func deleteTenant(id: String, at instant: Date, audit: AuditRecord) async throws {
        try await self.inner.deleteTenant(id: id, at: instant, audit: audit)
    }
    func createKey(_ key: StoredKey, audit: AuditRecord) async throws {
        try await self.inner.createKey(key, audit: audit)
    }
    func revokeKey(id: String, at instant: Date, audit: AuditRecord) async throws {
        try await self.inner.revokeKey(id: id, at: instant, audit: audit)
    }
    func auditRecords(limit: Int, before: Int64?) async throws -> [AuditRecord] {
        try await self.inner.auditRecords(limit: limit, before: before)
    }
    func grant(
        counter: String,
        window: Int64,
        want: Int64,
        limit: Int64,
        seed: LedgerSpend?
    ) async throws
        -> LimitGrant
    {
        try await self.inner.grant(counter: counter, window: window, want: want, limit: limit, seed: seed)
    }
    func adjust(counter: String, window: Int64, delta: Int64) async throws {
        try await self.inner.adjust(counter: counter, window: window, delta: delta)
    }
    func pruneCounters(before window: Int64) async throws { try await self.inner.pruneCounters(before: window) }
}

@Suite(.timeLimit(.minutes(1))) struct KeyCacheTests {
    @Test func authenticatingAStoredKeyReadsNothingFromTheStore() async throws {
        let store = CountingStore()
        let configure: ([String]) -> GatewayConfig = { urls in
            var config = Harness.config(simulatorURLs: urls)
            config.adminKey = Secret("admin-key")
            config.keySecret = Secret("server-secret-for-key-hashes")
            return config
        }
        try await Harness.run(simulators: 1, configure: configure, store: store) { harness in
            let created = try await harness.request("/admin/v1/keys", body: #"{"tenant":"acme"}"#, key: "admin-key")
            let key = try #require(created.json?["key"] as? String)
            #expect(try await harness.request("/v1/models", method: .GET, key: key).status == 200)
            let before = store.reads.withLock { $0 }
            for _ in 0..<20 {
                let body = #"{"model":"gpt-5","messages":[{"role":"user","content":"Hi"}]}"#
                #expect(try await harness.request(body: body, key: key).status == 200)
                #expect(try await harness.request("/v1/models", method: .GET, key: key).status == 200)
            }
            #expect(store.reads.withLock { $0 } == before)
        }
    }
}
