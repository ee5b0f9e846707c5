import Foundation
import GRDB
import SwitchyardCore

extension SQLiteLedgerStore: ControlStore, LimitCounterStore {
    public func controlVersion() async throws -> Int64 {
        try await self.pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT version FROM control_version WHERE id = 1") ?? 0
        }
    }

    public func tenants() async throws -> [TenantRecord] {
        let specs = try await self.pool.read { db in
            try String.fetchAll(db, sql: "SELECT spec FROM tenants ORDER BY id")
        }
        return try Self.tenantRecords(specs)
    }

    /// Kept out of the async function for the same optimizer crash as ``storedKeys(_:)``.
    private static func tenantRecords(_ specs: [String]) throws -> [TenantRecord] {
        var tenants: [TenantRecord] = []
        for spec in specs { tenants.append(try TenancyJSON.decodeTenant(spec)) }
        return tenants
    }

    public func keys(tenant: String?) async throws -> [StoredKey] {
        let rows = try await self.pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT digest, spec FROM client_keys WHERE ? IS NULL OR tenant = ? ORDER BY created_ms, id",
                arguments: [tenant, tenant]
            )
            .map { (row: Row) -> (String, String) in (row["digest"], row["spec"]) }
        }
        return try Self.storedKeys(rows)
    }

    /// Decodes key rows. Kept out of the async function: Swift 6.3's optimizer crashed splitting
    /// that coroutine with a throwing closure inside (signal 11 in CoroSplit, release builds).
    private static func storedKeys(_ rows: [(String, String)]) throws -> [StoredKey] {
        var keys: [StoredKey] = []
        keys.reserveCapacity(rows.count)
        for (digest, spec) in rows {
            guard let bytes = KeyDigest(hex: digest) else {
                throw StoreError(message: "a stored key digest is not hex")
            }
            keys.append(StoredKey(record: try TenancyJSON.decodeKey(spec), digest: bytes))
        }
        return keys
    }

    public func createTenant(_ tenant: TenantRecord, audit: AuditRecord) async throws {
        try await self.change(audit) { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO tenants (id, spec, created_ms, updated_ms) VALUES (?, ?, ?, ?)",
                arguments: [
                    tenant.id, TenancyJSON.encode(tenant).jsonText, Self.millis(tenant.createdAt),
                    Self.millis(tenant.updatedAt),
                ]
            )
            if db.changesCount == 0 {
                throw ControlStoreError(code: .conflict, message: "tenant '\(tenant.id)' already exists")
            }
        }
    }

    public func updateTenant(_ tenant: TenantRecord, audit: AuditRecord) async throws {
        try await self.change(audit) { db in
            try db.execute(
                sql: "UPDATE tenants SET spec = ?, updated_ms = ? WHERE id = ?",
                arguments: [TenancyJSON.encode(tenant).jsonText, Self.millis(tenant.updatedAt), tenant.id]
            )
            if db.changesCount == 0 {
                throw ControlStoreError(code: .notFound, message: "no tenant '\(tenant.id)'")
            }
        }
    }

    public func deleteTenant(id: String, at instant: Date, audit: AuditRecord) async throws {
        try await self.change(audit) { db in
            try db.execute(sql: "DELETE FROM tenants WHERE id = ?", arguments: [id])
            if db.changesCount == 0 { throw ControlStoreError(code: .notFound, message: "no tenant '\(id)'") }
            try Self.revokeKeys(db, where: "tenant = ?", arguments: [id], at: instant)
        }
    }

    public func createKey(_ key: StoredKey, audit: AuditRecord) async throws {
        try await self.change(audit) { db in
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO client_keys (id, digest, prefix, tenant, spec, created_ms, expires_ms, revoked_ms)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    key.record.id, key.digest.hex, key.record.prefix, key.record.tenant,
                    TenancyJSON.encode(key.record).jsonText, Self.millis(key.record.createdAt),
                    key.record.expiresAt.map(Self.millis), key.record.revokedAt.map(Self.millis),
                ]
            )
            if db.changesCount == 0 {
                throw ControlStoreError(code: .conflict, message: "key '\(key.record.id)' already exists")
            }
        }
    }

    public func revokeKey(id: String, at instant: Date, audit: AuditRecord) async throws {
        try await self.change(audit) { db in
            let revoked = try Self.revokeKeys(db, where: "id = ?", arguments: [id], at: instant)
            if revoked == 0 { throw ControlStoreError(code: .notFound, message: "no active key '\(id)'") }
        }
    }

    @discardableResult
    private static func revokeKeys(
        _ db: Database,
        where condition: String,
        arguments: StatementArguments,
        at instant: Date
    )
        throws -> Int
    {
        let specs = try String.fetchAll(
            db,
            sql: "SELECT spec FROM client_keys WHERE revoked_ms IS NULL AND \(condition)",
            arguments: arguments
        )
        for spec in specs {
            var record = try TenancyJSON.decodeKey(spec)
            record.revokedAt = instant
            try db.execute(
                sql: "UPDATE client_keys SET revoked_ms = ?, spec = ? WHERE id = ?",
                arguments: [Self.millis(instant), TenancyJSON.encode(record).jsonText, record.id]
            )
        }
        return specs.count
    }

    /// Runs `body`, records `audit` and bumps the change counter, all in one transaction.
    private func change(_ audit: AuditRecord, _ body: @escaping @Sendable (Database) throws -> Void) async throws {
        try await self.pool.write { db in
            try body(db)
            try db.execute(
                sql: """
                    INSERT INTO admin_audit (time_ms, actor, action, target, before_json, after_json)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    Self.millis(audit.time), audit.actor, audit.action, audit.target, audit.before?.jsonText,
                    audit.after?.jsonText,
                ]
            )
            try db.execute(sql: "UPDATE control_version SET version = version + 1 WHERE id = 1")
        }
    }

    public func auditRecords(limit: Int, before: Int64?) async throws -> [AuditRecord] {
        let rows = try await self.pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT sequence, time_ms, actor, action, target, before_json, after_json FROM admin_audit
                    WHERE sequence < ? ORDER BY sequence DESC LIMIT ?
                    """,
                arguments: [before ?? Int64.max, limit]
            )
            .map { row in
                StoredAudit(
                    sequence: row["sequence"],
                    timeMillis: row["time_ms"],
                    actor: row["actor"],
                    action: row["action"],
                    target: row["target"],
                    before: row["before_json"],
                    after: row["after_json"]
                )
            }
        }
        return rows.map(\.record)
    }

    // MARK: limit counters

    public func grant(
        counter: String,
        window: Int64,
        want: Int64,
        limit: Int64,
        seed: LedgerSpend?
    ) async throws
        -> LimitGrant
    {
        try await self.pool.write { db in
            if let seed,
                try Int64.fetchOne(
                    db,
                    sql: "SELECT used FROM limit_counters WHERE counter = ? AND window_ms = ?",
                    arguments: [counter, window]
                ) == nil
            {
                // A new counter starts from what the ledger already holds for its window.
                let column = seed.subjectKind == "key" ? "key_id" : "tenant"
                let spent =
                    try Int64.fetchOne(
                        db,
                        sql: """
                            SELECT COALESCE(SUM(charge_nanos), 0) FROM ledger_daily
                            WHERE day >= ? AND day < ? AND \(column) = ?
                            """,
                        arguments: [seed.fromDay, seed.untilDay, seed.subjectID]
                    ) ?? 0
                try db.execute(
                    sql: "INSERT INTO limit_counters (counter, window_ms, used, last_grant) VALUES (?, ?, ?, 0)",
                    arguments: [counter, window, spent]
                )
            }
            let row = try Row.fetchOne(
                db,
                sql: """
                    INSERT INTO limit_counters (counter, window_ms, used, last_grant)
                    VALUES (?1, ?2, MAX(0, MIN(?3, ?4)), MAX(0, MIN(?3, ?4)))
                    ON CONFLICT (counter, window_ms) DO UPDATE SET
                        used = used + MAX(0, MIN(?3, ?4 - used)), last_grant = MAX(0, MIN(?3, ?4 - used))
                    RETURNING last_grant, used
                    """,
                arguments: [counter, window, want, limit]
            )
            guard let row else { throw StoreError(message: "the counter upsert returned nothing") }
            return LimitGrant(granted: row["last_grant"], used: row["used"])
        }
    }

    public func adjust(counter: String, window: Int64, delta: Int64) async throws {
        try await self.pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO limit_counters (counter, window_ms, used, last_grant) VALUES (?1, ?2, MAX(0, ?3), 0)
                    ON CONFLICT (counter, window_ms) DO UPDATE SET used = MAX(0, used + ?3)
                    """,
                arguments: [counter, window, delta]
            )
        }
    }

    public func pruneCounters(before window: Int64) async throws {
        try await self.pool.write { db in
            try db.execute(sql: "DELETE FROM limit_counters WHERE window_ms < ?", arguments: [window])
        }
    }

    /// Current counter values of `counter` (tests and diagnostics).
    public func counterValue(_ counter: String, window: Int64) async throws -> Int64 {
        try await self.pool.read { db in
            try Int64.fetchOne(
                db,
                sql: "SELECT used FROM limit_counters WHERE counter = ? AND window_ms = ?",
                arguments: [counter, window]
            ) ?? 0
        }
    }
}

/// An audit row as stored by either engine.
struct StoredAudit: Sendable {
    var sequence: Int64
    var timeMillis: Int64
    var actor: String
    var action: String
    var target: String
    var before: String?
    var after: String?

    var record: AuditRecord {
        AuditRecord(
            sequence: self.sequence,
            time: Date(timeIntervalSince1970: Double(self.timeMillis) / 1000),
            actor: self.actor,
            action: self.action,
            target: self.target,
            before: self.before.flatMap { try? JSONValue.parse($0) },
            after: self.after.flatMap { try? JSONValue.parse($0) }
        )
    }
}
