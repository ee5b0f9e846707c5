import Foundation
import GRDB
import SwitchyardCore

/// The embedded ledger: one SQLite file in WAL mode, versioned migrations.
public final class SQLiteLedgerStore: LedgerStore {
    let pool: DatabasePool

    /// Opens (creating if needed) the database at `path` and migrates it to the latest schema.
    /// - Throws: when the file cannot be opened or migrated.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // WAL + NORMAL: a commit survives a process crash; only an OS crash can lose the last commits.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        self.pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(self.pool)
    }

    /// The schema, one registered migration per version. Never edit a released migration.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-ledger") { db in
            try db.execute(
                sql: """
                    CREATE TABLE ledger_entries (
                        request_id TEXT PRIMARY KEY NOT NULL,
                        time_ms INTEGER NOT NULL,
                        tenant TEXT NOT NULL,
                        key_id TEXT NOT NULL,
                        model TEXT NOT NULL,
                        provider TEXT,
                        deployment TEXT,
                        cloud TEXT,
                        region TEXT,
                        status INTEGER NOT NULL,
                        stream INTEGER NOT NULL,
                        attempts INTEGER NOT NULL,
                        latency_ms INTEGER NOT NULL,
                        ttfb_ms INTEGER,
                        prompt_tokens INTEGER NOT NULL,
                        completion_tokens INTEGER NOT NULL,
                        cached_tokens INTEGER NOT NULL,
                        usage_estimated INTEGER NOT NULL,
                        cost_nanos INTEGER NOT NULL,
                        charge_nanos INTEGER NOT NULL,
                        error_code TEXT
                    );
                    CREATE INDEX ledger_entries_time ON ledger_entries (time_ms);
                    CREATE INDEX ledger_entries_tenant_time ON ledger_entries (tenant, time_ms);
                    """
            )
        }
        migrator.registerMigration("v2-revenue-shares") { db in
            try db.execute(
                sql: """
                    CREATE TABLE ledger_revenue_shares (
                        -- No foreign key to ledger_entries: both are written in one transaction,
                        -- and the per-row check cost a fifth of the insert throughput.
                        request_id TEXT NOT NULL,
                        beneficiary TEXT NOT NULL,
                        agreement_id TEXT NOT NULL,
                        time_ms INTEGER NOT NULL,
                        amount_nanos INTEGER NOT NULL,
                        PRIMARY KEY (request_id, beneficiary, agreement_id)
                    );
                    CREATE INDEX ledger_revenue_shares_beneficiary_time ON ledger_revenue_shares (beneficiary, time_ms);
                    """
            )
        }
        migrator.registerMigration("v3-daily-rollup") { db in
            try db.execute(
                sql: """
                    CREATE TABLE ledger_daily (
                        day TEXT NOT NULL,
                        tenant TEXT NOT NULL,
                        key_id TEXT NOT NULL,
                        model TEXT NOT NULL,
                        provider TEXT NOT NULL,
                        cloud TEXT NOT NULL,
                        requests INTEGER NOT NULL,
                        errors INTEGER NOT NULL,
                        prompt_tokens INTEGER NOT NULL,
                        completion_tokens INTEGER NOT NULL,
                        cost_nanos INTEGER NOT NULL,
                        charge_nanos INTEGER NOT NULL,
                        PRIMARY KEY (day, tenant, key_id, model, provider, cloud)
                    );
                    INSERT INTO ledger_daily
                    SELECT strftime('%Y-%m-%d', time_ms / 1000, 'unixepoch'), tenant, key_id, model,
                        COALESCE(provider, '-'), COALESCE(cloud, '-'), COUNT(*),
                        SUM(status >= 400 OR error_code IS NOT NULL), SUM(prompt_tokens), SUM(completion_tokens),
                        SUM(cost_nanos), SUM(charge_nanos)
                    FROM ledger_entries GROUP BY 1, 2, 3, 4, 5, 6;
                    """
            )
        }
        migrator.registerMigration("v4-tenants-keys-audit") { db in
            try db.execute(sql: ControlSchema.sqliteV4)
        }
        migrator.registerMigration("v5-limit-counters") { db in
            try db.execute(sql: ControlSchema.sqliteV5)
        }
        return migrator
    }

    public func insert(_ entries: [LedgerEntry]) async throws {
        guard !entries.isEmpty else { return }
        try await self.pool.write { db in
            let statement = try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO ledger_entries (
                        request_id, time_ms, tenant, key_id, model, provider, deployment, cloud, region, status, stream,
                        attempts, latency_ms, ttfb_ms, prompt_tokens, completion_tokens, cached_tokens, usage_estimated,
                        cost_nanos, charge_nanos, error_code
                    ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            )
            let shares = try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO ledger_revenue_shares (request_id, beneficiary, agreement_id, time_ms, amount_nanos)
                    VALUES (?, ?, ?, ?, ?)
                    """
            )
            var rollup = DailyRollup()
            for entry in entries {
                let timeMillis = Self.millis(entry.time)
                let arguments: StatementArguments = [
                    entry.requestID, timeMillis, entry.tenant,
                    entry.keyID, entry.model, entry.provider, entry.deployment, entry.cloud, entry.region, entry.status,
                    entry.stream, entry.attempts, entry.latencyMillis, entry.timeToFirstByteMillis,
                    entry.usage.promptTokens, entry.usage.completionTokens, entry.usage.cachedTokens,
                    entry.usageEstimated, entry.cost.value, entry.charge.value, entry.errorCode,
                ]
                try statement.execute(arguments: arguments)
                // A duplicate request id inserted nothing above: its shares are already stored too.
                guard db.changesCount > 0 else { continue }
                rollup.add(entry)
                for share in entry.revenueShares {
                    try shares.execute(arguments: [
                        entry.requestID, share.beneficiary, share.agreementID, timeMillis, share.amount.value,
                    ])
                }
            }
            let daily = try db.cachedStatement(
                sql: """
                    INSERT INTO ledger_daily VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (day, tenant, key_id, model, provider, cloud) DO UPDATE SET
                        requests = requests + excluded.requests, errors = errors + excluded.errors,
                        prompt_tokens = prompt_tokens + excluded.prompt_tokens,
                        completion_tokens = completion_tokens + excluded.completion_tokens,
                        cost_nanos = cost_nanos + excluded.cost_nanos, charge_nanos = charge_nanos + excluded.charge_nanos
                    """
            )
            for (key, sums) in rollup.sorted {
                try daily.execute(arguments: [
                    key.day, key.tenant, key.keyID, key.model, key.provider, key.cloud, sums.requests, sums.errors,
                    sums.promptTokens, sums.completionTokens, sums.cost, sums.charge,
                ])
            }
        }
    }

    static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }

    public func revenueShareTotals(beneficiary: String?, from: Date, until: Date) async throws -> [RevenueShareTotal] {
        try await self.pool.read { db in
            var sql = """
                SELECT beneficiary, agreement_id, COUNT(*) AS entries, SUM(amount_nanos) AS amount
                FROM ledger_revenue_shares WHERE time_ms >= ? AND time_ms < ?
                """
            var arguments: StatementArguments = [Self.millis(from), Self.millis(until)]
            if let beneficiary {
                sql += " AND beneficiary = ?"
                arguments += [beneficiary]
            }
            sql += " GROUP BY beneficiary, agreement_id ORDER BY beneficiary, agreement_id"
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                RevenueShareTotal(
                    beneficiary: row["beneficiary"],
                    agreementID: row["agreement_id"],
                    entries: row["entries"],
                    amount: USDNanos(row["amount"])
                )
            }
        }
    }

    public func usage(by dimension: UsageDimension, from: Date, until: Date) async throws -> [UsageTotal] {
        let wholeDays = DailyRollup.coversWholeDays(from: from, until: until)
        let group =
            wholeDays
            ? ReportSQL.rollupGroupExpression(dimension) : ReportSQL.groupExpression(dimension, dialect: .sqlite)
        let source =
            wholeDays
            ? """
            SELECT \(group) AS grp, SUM(requests) AS requests, SUM(errors) AS errors, SUM(prompt_tokens) AS prompt,
                SUM(completion_tokens) AS completion, SUM(cost_nanos) AS cost, SUM(charge_nanos) AS charge
            FROM ledger_daily WHERE day >= ? AND day < ? GROUP BY grp ORDER BY grp
            """
            : """
            SELECT \(group) AS grp, COUNT(*) AS requests, SUM(status >= 400 OR error_code IS NOT NULL) AS errors,
                SUM(prompt_tokens) AS prompt, SUM(completion_tokens) AS completion,
                SUM(cost_nanos) AS cost, SUM(charge_nanos) AS charge
            FROM ledger_entries WHERE time_ms >= ? AND time_ms < ?
            GROUP BY grp ORDER BY grp
            """
        let arguments: StatementArguments =
            wholeDays
            ? [DailyRollup.day(Self.millis(from)), DailyRollup.day(Self.millis(until))]
            : [Self.millis(from), Self.millis(until)]
        return try await self.pool.read { db in
            try Row.fetchAll(db, sql: source, arguments: arguments).map { row in
                UsageTotal(
                    group: row["grp"],
                    requests: row["requests"],
                    errors: row["errors"],
                    promptTokens: row["prompt"],
                    completionTokens: row["completion"],
                    cost: USDNanos(row["cost"]),
                    charge: USDNanos(row["charge"])
                )
            }
        }
    }

    public func ping() async throws {
        _ = try await self.pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    public func count() async throws -> Int {
        try await self.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger_entries") ?? 0 }
    }

    /// Every entry, oldest first (tests and small exports).
    public func allEntries() async throws -> [LedgerEntry] {
        try await self.pool.read { db in
            var shares: [String: [RevenueShareAccrual]] = [:]
            for row in try Row.fetchAll(
                db,
                sql: "SELECT * FROM ledger_revenue_shares ORDER BY beneficiary, agreement_id"
            ) {
                shares[row["request_id"], default: []].append(
                    RevenueShareAccrual(
                        beneficiary: row["beneficiary"],
                        agreementID: row["agreement_id"],
                        amount: USDNanos(row["amount_nanos"])
                    )
                )
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM ledger_entries ORDER BY time_ms, request_id").map { row in
                var entry = Self.entry(row)
                entry.revenueShares = shares[entry.requestID] ?? []
                return entry
            }
        }
    }

    private static func entry(_ row: Row) -> LedgerEntry {
        LedgerEntry(
            requestID: row["request_id"],
            time: Date(timeIntervalSince1970: Double(row["time_ms"] as Int64) / 1000),
            tenant: row["tenant"],
            keyID: row["key_id"],
            model: row["model"],
            provider: row["provider"],
            deployment: row["deployment"],
            cloud: row["cloud"],
            region: row["region"],
            status: row["status"],
            stream: row["stream"],
            attempts: row["attempts"],
            latencyMillis: row["latency_ms"],
            timeToFirstByteMillis: row["ttfb_ms"],
            usage: TokenUsage(
                promptTokens: row["prompt_tokens"],
                completionTokens: row["completion_tokens"],
                cachedTokens: row["cached_tokens"]
            ),
            usageEstimated: row["usage_estimated"],
            cost: USDNanos(row["cost_nanos"]),
            charge: USDNanos(row["charge_nanos"]),
            errorCode: row["error_code"]
        )
    }
}
