import Foundation
import Logging
import PostgresNIO
import SwitchyardCore

extension PostgresLedgerStore: ControlStore, LimitCounterStore {
    public func controlVersion() async throws -> Int64 {
        try await withDeadline(.seconds(3)) {
            let rows = try await self.client.query(
                "SELECT version FROM control_version WHERE id = 1",
                logger: self.logger
            )
            for try await version in rows.decode(Int64.self) { return version }
            return 0
        }
    }

    public func tenants() async throws -> [TenantRecord] {
        var tenants: [TenantRecord] = []
        let rows = try await self.client.query("SELECT spec FROM tenants ORDER BY id", logger: self.logger)
        for try await spec in rows.decode(String.self) { tenants.append(try TenancyJSON.decodeTenant(spec)) }
        return tenants
    }

    public func keys(tenant: String?) async throws -> [StoredKey] {
        var keys: [StoredKey] = []
        let rows = try await self.client.query(
            """
            SELECT digest, spec FROM client_keys WHERE \(tenant ?? "")::text = '' OR tenant = \(tenant ?? "")::text
            ORDER BY created_ms, id
            """,
            logger: self.logger
        )
        for try await (digest, spec) in rows.decode((String, String).self) {
            guard let bytes = KeyDigest(hex: digest) else {
                throw StoreError(message: "a stored key digest is not hex")
            }
            keys.append(StoredKey(record: try TenancyJSON.decodeKey(spec), digest: bytes))
        }
        return keys
    }

    public func createTenant(_ tenant: TenantRecord, audit: AuditRecord) async throws {
        let spec = TenancyJSON.encode(tenant).jsonText
        let created = SQLiteLedgerStore.millis(tenant.createdAt)
        let updated = SQLiteLedgerStore.millis(tenant.updatedAt)
        try await self.change(audit) { connection, logger in
            let rows = try await connection.query(
                """
                INSERT INTO tenants (id, spec, created_ms, updated_ms) VALUES (\(tenant.id), \(spec), \(created), \(updated))
                ON CONFLICT DO NOTHING RETURNING id
                """,
                logger: logger
            )
            if try await Self.isEmpty(rows) {
                throw ControlStoreError(code: .conflict, message: "tenant '\(tenant.id)' already exists")
            }
        }
    }

    public func updateTenant(_ tenant: TenantRecord, audit: AuditRecord) async throws {
        let spec = TenancyJSON.encode(tenant).jsonText
        let updated = SQLiteLedgerStore.millis(tenant.updatedAt)
        try await self.change(audit) { connection, logger in
            let rows = try await connection.query(
                "UPDATE tenants SET spec = \(spec), updated_ms = \(updated) WHERE id = \(tenant.id) RETURNING id",
                logger: logger
            )
            if try await Self.isEmpty(rows) {
                throw ControlStoreError(code: .notFound, message: "no tenant '\(tenant.id)'")
            }
        }
    }

    public func deleteTenant(id: String, at instant: Date, audit: AuditRecord) async throws {
        try await self.change(audit) { connection, logger in
            let rows = try await connection.query("DELETE FROM tenants WHERE id = \(id) RETURNING id", logger: logger)
            if try await Self.isEmpty(rows) { throw ControlStoreError(code: .notFound, message: "no tenant '\(id)'") }
            let keys = try await connection.query(
                "SELECT spec FROM client_keys WHERE revoked_ms IS NULL AND tenant = \(id) FOR UPDATE",
                logger: logger
            )
            try await Self.revoke(try await Self.specs(keys), at: instant, connection: connection, logger: logger)
        }
    }

    public func createKey(_ key: StoredKey, audit: AuditRecord) async throws {
        let record = key.record
        let spec = TenancyJSON.encode(record).jsonText
        let created = SQLiteLedgerStore.millis(record.createdAt)
        let expires = record.expiresAt.map(SQLiteLedgerStore.millis)
        try await self.change(audit) { connection, logger in
            let rows = try await connection.query(
                """
                INSERT INTO client_keys (id, digest, prefix, tenant, spec, created_ms, expires_ms, revoked_ms)
                VALUES (\(record.id), \(key.digest.hex), \(record.prefix), \(record.tenant), \(spec), \(created), \(expires), NULL)
                ON CONFLICT DO NOTHING RETURNING id
                """,
                logger: logger
            )
            if try await Self.isEmpty(rows) {
                throw ControlStoreError(code: .conflict, message: "key '\(record.id)' already exists")
            }
        }
    }

    public func revokeKey(id: String, at instant: Date, audit: AuditRecord) async throws {
        try await self.change(audit) { connection, logger in
            let rows = try await connection.query(
                "SELECT spec FROM client_keys WHERE revoked_ms IS NULL AND id = \(id) FOR UPDATE",
                logger: logger
            )
            let specs = try await Self.specs(rows)
            if specs.isEmpty { throw ControlStoreError(code: .notFound, message: "no active key '\(id)'") }
            try await Self.revoke(specs, at: instant, connection: connection, logger: logger)
        }
    }

    private static func specs(_ rows: PostgresRowSequence) async throws -> [String] {
        var specs: [String] = []
        for try await spec in rows.decode(String.self) { specs.append(spec) }
        return specs
    }

    private static func isEmpty(_ rows: PostgresRowSequence) async throws -> Bool {
        for try await _ in rows { return false }
        return true
    }

    private static func revoke(
        _ specs: [String],
        at instant: Date,
        connection: PostgresConnection,
        logger: Logger
    )
        async throws
    {
        for spec in specs {
            var record = try TenancyJSON.decodeKey(spec)
            record.revokedAt = instant
            let revoked = SQLiteLedgerStore.millis(instant)
            let text = TenancyJSON.encode(record).jsonText
            try await connection.query(
                "UPDATE client_keys SET revoked_ms = \(revoked), spec = \(text) WHERE id = \(record.id)",
                logger: logger
            )
        }
    }

    /// Runs `body`, records `audit` and bumps the change counter, all in one transaction.
    private func change(
        _ audit: AuditRecord,
        _ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> Void
    ) async throws {
        let time = SQLiteLedgerStore.millis(audit.time)
        let before = audit.before?.jsonText
        let after = audit.after?.jsonText
        do {
            try await self.transaction(audit: audit, time: time, before: before, after: after, body)
        } catch let error as PostgresTransactionError {
            // A refusal inside the transaction (conflict, not found) is the caller's answer.
            if let refusal = error.closureError as? ControlStoreError { throw refusal }
            throw error
        }
    }

    private func transaction(
        audit: AuditRecord,
        time: Int64,
        before: String?,
        after: String?,
        _ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> Void
    ) async throws {
        try await withDeadline(.seconds(5)) {
            try await self.client.withTransaction(logger: self.logger) { connection in
                try await body(connection, self.logger)
                try await connection.query(
                    """
                    INSERT INTO admin_audit (time_ms, actor, action, target, before_json, after_json)
                    VALUES (\(time), \(audit.actor), \(audit.action), \(audit.target), \(before), \(after))
                    """,
                    logger: self.logger
                )
                try await connection.query(
                    "UPDATE control_version SET version = version + 1 WHERE id = 1",
                    logger: self.logger
                )
            }
        }
    }

    public func auditRecords(limit: Int, before: Int64?) async throws -> [AuditRecord] {
        let rows = try await self.client.query(
            """
            SELECT sequence, time_ms, actor, action, target, before_json, after_json FROM admin_audit
            WHERE sequence < \(before ?? Int64.max) ORDER BY sequence DESC LIMIT \(Int64(limit))
            """,
            logger: self.logger
        )
        var records: [AuditRecord] = []
        for try await (sequence, time, actor, action, target, before, after) in rows.decode(
            (Int64, Int64, String, String, String, String?, String?).self
        ) {
            records.append(
                StoredAudit(
                    sequence: sequence,
                    timeMillis: time,
                    actor: actor,
                    action: action,
                    target: target,
                    before: before,
                    after: after
                )
                .record
            )
        }
        return records
    }

    // MARK: limit counters

    /// One statement: concurrent grants on the same counter serialise on its row, so the sum
    /// granted never passes `limit`.
    ///
    /// With a `seed`, a counter created by this grant starts from the ledger's spend for its
    /// window (read in the same statement; a concurrent creator takes the update path instead).
    public func grant(
        counter: String,
        window: Int64,
        want: Int64,
        limit: Int64,
        seed: LedgerSpend?
    ) async throws
        -> LimitGrant
    {
        // Without a seed, or once the counter exists, the subquery sums nothing (the existence
        // test is evaluated once, before the ledger is read).
        let kind = seed?.subjectKind ?? ""
        let subject = seed?.subjectID ?? ""
        let fromDay = seed?.fromDay ?? ""
        let untilDay = seed?.untilDay ?? ""
        return try await withDeadline(.seconds(2)) {
            let rows = try await self.client.query(
                """
                INSERT INTO limit_counters AS c (counter, window_ms, used, last_grant)
                SELECT \(counter), \(window), s.spent + GREATEST(0, LEAST(\(want), \(limit) - s.spent)),
                    GREATEST(0, LEAST(\(want), \(limit) - s.spent))
                FROM (SELECT COALESCE(SUM(charge_nanos), 0)::bigint AS spent FROM ledger_daily
                    WHERE \(subject)::text <> ''
                        AND NOT EXISTS (SELECT 1 FROM limit_counters x WHERE x.counter = \(counter) AND x.window_ms = \(window))
                        AND day >= \(fromDay)::text AND day < \(untilDay)::text
                        AND CASE WHEN \(kind)::text = 'key' THEN key_id ELSE tenant END = \(subject)::text) AS s
                ON CONFLICT (counter, window_ms) DO UPDATE SET
                    used = c.used + GREATEST(0, LEAST(\(want), \(limit) - c.used)),
                    last_grant = GREATEST(0, LEAST(\(want), \(limit) - c.used))
                RETURNING last_grant, used
                """,
                logger: self.logger
            )
            for try await (granted, used) in rows.decode((Int64, Int64).self) {
                return LimitGrant(granted: granted, used: used)
            }
            throw StoreError(message: "the counter upsert returned nothing")
        }
    }

    public func adjust(counter: String, window: Int64, delta: Int64) async throws {
        _ = try await withDeadline(.seconds(2)) {
            try await self.client.query(
                """
                INSERT INTO limit_counters AS c (counter, window_ms, used, last_grant) VALUES (\(counter), \(window), GREATEST(0, \(delta)), 0)
                ON CONFLICT (counter, window_ms) DO UPDATE SET used = GREATEST(0, c.used + \(delta))
                """,
                logger: self.logger
            )
        }
    }

    public func pruneCounters(before window: Int64) async throws {
        try await self.client.query("DELETE FROM limit_counters WHERE window_ms < \(window)", logger: self.logger)
    }
}
