import Foundation
import SwitchyardCore
import Synchronization

/// Tenants, keys, audit and counters of the in-memory store (`store: memory`).
final class MemoryControlState: Sendable {
    struct State {
        var version: Int64 = 0
        var tenants: [String: TenantRecord] = [:]
        var keys: [String: StoredKey] = [:]
        var audit: [AuditRecord] = []
        var counters: [String: Int64] = [:]
    }

    let state = Mutex(State())
}

extension MemoryLedgerStore: ControlStore, LimitCounterStore {
    public func controlVersion() async throws -> Int64 { self.control.state.withLock { $0.version } }

    public func tenants() async throws -> [TenantRecord] {
        self.control.state.withLock { $0.tenants.values.sorted { $0.id < $1.id } }
    }

    public func keys(tenant: String?) async throws -> [StoredKey] {
        self.control.state.withLock { state in
            state.keys.values.filter { tenant == nil || $0.record.tenant == tenant }
                .sorted { ($0.record.createdAt, $0.record.id) < ($1.record.createdAt, $1.record.id) }
        }
    }

    public func createTenant(_ tenant: TenantRecord, audit: AuditRecord) async throws {
        try self.change(audit) { state in
            guard state.tenants[tenant.id] == nil else {
                throw ControlStoreError(code: .conflict, message: "tenant '\(tenant.id)' already exists")
            }
            state.tenants[tenant.id] = tenant
        }
    }

    public func updateTenant(_ tenant: TenantRecord, audit: AuditRecord) async throws {
        try self.change(audit) { state in
            guard state.tenants[tenant.id] != nil else {
                throw ControlStoreError(code: .notFound, message: "no tenant '\(tenant.id)'")
            }
            state.tenants[tenant.id] = tenant
        }
    }

    public func deleteTenant(id: String, at instant: Date, audit: AuditRecord) async throws {
        try self.change(audit) { state in
            guard state.tenants.removeValue(forKey: id) != nil else {
                throw ControlStoreError(code: .notFound, message: "no tenant '\(id)'")
            }
            for (keyID, key) in state.keys where key.record.tenant == id && key.record.revokedAt == nil {
                state.keys[keyID]?.record.revokedAt = instant
            }
        }
    }

    public func createKey(_ key: StoredKey, audit: AuditRecord) async throws {
        try self.change(audit) { state in
            guard state.keys[key.record.id] == nil, !state.keys.values.contains(where: { $0.digest == key.digest })
            else {
                throw ControlStoreError(code: .conflict, message: "key '\(key.record.id)' already exists")
            }
            state.keys[key.record.id] = key
        }
    }

    public func revokeKey(id: String, at instant: Date, audit: AuditRecord) async throws {
        try self.change(audit) { state in
            guard state.keys[id]?.record.revokedAt == nil, state.keys[id] != nil else {
                throw ControlStoreError(code: .notFound, message: "no active key '\(id)'")
            }
            state.keys[id]?.record.revokedAt = instant
        }
    }

    private func change(
        _ audit: AuditRecord,
        _ body: (inout MemoryControlState.State) throws -> Void
    ) throws {
        try self.control.state.withLock { state in
            try body(&state)
            var record = audit
            record.sequence = Int64(state.audit.count + 1)
            state.audit.append(record)
            state.version += 1
        }
    }

    public func auditRecords(limit: Int, before: Int64?) async throws -> [AuditRecord] {
        self.control.state.withLock { state in
            Array(state.audit.reversed().filter { $0.sequence < (before ?? Int64.max) }.prefix(limit))
        }
    }

    public func grant(
        counter: String,
        window: Int64,
        want: Int64,
        limit: Int64,
        seed: LedgerSpend?
    ) async throws
        -> LimitGrant
    {
        let spent = seed.map { seed in
            self.allEntries().filter { entry in
                let day = String(InstantText.format(entry.time).prefix(10))
                return day >= seed.fromDay && day < seed.untilDay
                    && (seed.subjectKind == "key" ? entry.keyID : entry.tenant) == seed.subjectID
            }
            .reduce(Int64(0)) { $0 + $1.charge.value }
        }
        return self.control.state.withLock { state in
            let key = "\(counter)@\(window)"
            let used = state.counters[key] ?? spent ?? 0
            let granted = max(0, min(want, limit - used))
            state.counters[key] = used + granted
            return LimitGrant(granted: granted, used: used + granted)
        }
    }

    public func adjust(counter: String, window: Int64, delta: Int64) async throws {
        self.control.state.withLock { state in
            let key = "\(counter)@\(window)"
            state.counters[key] = max(0, (state.counters[key] ?? 0) + delta)
        }
    }

    public func pruneCounters(before window: Int64) async throws {
        self.control.state.withLock { state in
            state.counters = state.counters.filter { key, _ in
                (key.split(separator: "@").last.flatMap { Int64($0) } ?? 0) >= window
            }
        }
    }
}
