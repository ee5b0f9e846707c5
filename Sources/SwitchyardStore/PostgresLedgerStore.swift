import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import SwitchyardCore

/// The shared ledger: one PostgreSQL database for many gateway instances, same schema as SQLite.
///
/// It is a `Service`: list it first in the `ServiceGroup` (it must outlive the ledger writer),
/// and call ``migrate()`` once it runs. Inserts are idempotent on `request_id`, so a batch
/// retried after a timeout, or replayed from the spool, is never counted twice.
public final class PostgresLedgerStore: LedgerStore, Service {
    let client: PostgresClient
    let logger: Logger

    /// Prepares a client for `url` (`postgres://user:password@host:port/database`). Nothing
    /// connects until ``run()``.
    /// - Throws: ``StoreError`` when the URL cannot be understood (the message never holds the password).
    public init(url: Secret, logger: Logger) throws {
        guard let components = URLComponents(string: url.value), let host = components.host, let user = components.user
        else {
            throw StoreError(message: "the PostgreSQL URL must look like postgres://user:password@host:port/database")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        var configuration = PostgresClient.Configuration(
            host: host,
            port: components.port ?? 5432,
            username: user,
            password: components.password?.removingPercentEncoding ?? components.password,
            database: database.isEmpty ? nil : database,
            tls: .disable
        )
        configuration.options.maximumConnections = 8
        configuration.options.connectTimeout = .seconds(3)
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
    }

    /// Runs the connection pool until graceful shutdown (or cancellation). The pool gets two
    /// seconds to close its connections; after that the service returns anyway, so a database
    /// that stopped answering cannot hold the process past its shutdown.
    public func run() async throws {
        let client = self.client
        let pool = Task { await client.run() }
        await withTaskCancellationHandler {
            try? await gracefulShutdown()
        } onCancel: {
            pool.cancel()
        }
        pool.cancel()
        try? await withDeadline(.seconds(2)) { await pool.value }
    }

    /// Versioned migrations, applied once under an advisory lock so that replicas starting
    /// together do not race. The same versions as the SQLite store.
    public func migrate() async throws {
        try await self.client.withTransaction(logger: self.logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(72616465)", logger: self.logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS switchyard_migrations (version TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                logger: self.logger
            )
            var applied = Set<String>()
            for try await version in try await connection.query(
                "SELECT version FROM switchyard_migrations",
                logger: self.logger
            )
            .decode(String.self) {
                applied.insert(version)
            }
            for (version, statements) in Self.migrations where !applied.contains(version) {
                for statement in statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: self.logger)
                }
                try await connection.query(
                    "INSERT INTO switchyard_migrations (version) VALUES (\(version))",
                    logger: self.logger
                )
            }
        }
    }

    static let migrations: [(String, [String])] = [
        (
            "v1-ledger",
            [
                """
                CREATE TABLE ledger_entries (
                    request_id TEXT PRIMARY KEY,
                    time_ms BIGINT NOT NULL,
                    tenant TEXT NOT NULL,
                    key_id TEXT NOT NULL,
                    model TEXT NOT NULL,
                    provider TEXT,
                    deployment TEXT,
                    cloud TEXT,
                    region TEXT,
                    status INTEGER NOT NULL,
                    stream BOOLEAN NOT NULL,
                    attempts INTEGER NOT NULL,
                    latency_ms INTEGER NOT NULL,
                    ttfb_ms INTEGER,
                    prompt_tokens BIGINT NOT NULL,
                    completion_tokens BIGINT NOT NULL,
                    cached_tokens BIGINT NOT NULL,
                    usage_estimated BOOLEAN NOT NULL,
                    cost_nanos BIGINT NOT NULL,
                    charge_nanos BIGINT NOT NULL,
                    error_code TEXT
                )
                """,
                "CREATE INDEX ledger_entries_time ON ledger_entries (time_ms)",
                "CREATE INDEX ledger_entries_tenant_time ON ledger_entries (tenant, time_ms)",
            ]
        ),
        (
            "v2-revenue-shares",
            [
                """
                CREATE TABLE ledger_revenue_shares (
                        -- No foreign key to ledger_entries: both are written in one transaction,
                        -- and the per-row check cost a fifth of the insert throughput.
                    request_id TEXT NOT NULL,
                    beneficiary TEXT NOT NULL,
                    agreement_id TEXT NOT NULL,
                    time_ms BIGINT NOT NULL,
                    amount_nanos BIGINT NOT NULL,
                    PRIMARY KEY (request_id, beneficiary, agreement_id)
                )
                """,
                "CREATE INDEX ledger_revenue_shares_beneficiary_time ON ledger_revenue_shares (beneficiary, time_ms)",
            ]
        ),
        (
            "v3-daily-rollup",
            [
                """
                CREATE TABLE ledger_daily (
                    day TEXT NOT NULL,
                    tenant TEXT NOT NULL,
                    key_id TEXT NOT NULL,
                    model TEXT NOT NULL,
                    provider TEXT NOT NULL,
                    cloud TEXT NOT NULL,
                    requests BIGINT NOT NULL,
                    errors BIGINT NOT NULL,
                    prompt_tokens BIGINT NOT NULL,
                    completion_tokens BIGINT NOT NULL,
                    cost_nanos BIGINT NOT NULL,
                    charge_nanos BIGINT NOT NULL,
                    PRIMARY KEY (day, tenant, key_id, model, provider, cloud)
                )
                """,
                """
                INSERT INTO ledger_daily
                SELECT to_char(to_timestamp(time_ms / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD'), tenant, key_id, model,
                    COALESCE(provider, '-'), COALESCE(cloud, '-'), COUNT(*),
                    COUNT(*) FILTER (WHERE status >= 400 OR error_code IS NOT NULL), SUM(prompt_tokens), SUM(completion_tokens),
                    SUM(cost_nanos), SUM(charge_nanos)
                FROM ledger_entries GROUP BY 1, 2, 3, 4, 5, 6
                """,
            ]
        ),
        ("v4-tenants-keys-audit", ControlSchema.postgresV4),
        ("v5-limit-counters", ControlSchema.postgresV5),
    ]

    /// Batches this large are written as two transactions on two connections at once: the
    /// server maintains the indexes of both halves in parallel (each half is idempotent on its
    /// own, so a failure of either is retried as a whole without double counting).
    static let parallelInsertThreshold = 2_000

    public func insert(_ entries: [LedgerEntry]) async throws {
        guard entries.count >= Self.parallelInsertThreshold else { return try await self.insertBatch(entries) }
        let middle = entries.count / 2
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.insertBatch(Array(entries[..<middle])) }
            group.addTask { try await self.insertBatch(Array(entries[middle...])) }
            try await group.waitForAll()
        }
    }

    /// One transaction per batch: the columns travel as arrays and `UNNEST` turns them into rows.
    /// Optional text travels as '' and optional numbers as -1, turned back into NULL by NULLIF.
    /// The rollup goes last, so its row locks (which concurrent batches wait for) are held only
    /// until the commit.
    private func insertBatch(_ entries: [LedgerEntry]) async throws {
        guard !entries.isEmpty else { return }
        let ids = entries.map(\.requestID)
        let times = entries.map { SQLiteLedgerStore.millis($0.time) }
        let tenants = entries.map(\.tenant)
        let keys = entries.map(\.keyID)
        let models = entries.map(\.model)
        let providers = entries.map { $0.provider ?? "" }
        let deployments = entries.map { $0.deployment ?? "" }
        let clouds = entries.map { $0.cloud ?? "" }
        let regions = entries.map { $0.region ?? "" }
        let statuses = entries.map { Int64($0.status) }
        let streams = entries.map(\.stream)
        let attempts = entries.map { Int64($0.attempts) }
        let latencies = entries.map { Int64($0.latencyMillis) }
        let ttfbs = entries.map { Int64($0.timeToFirstByteMillis ?? -1) }
        let prompts = entries.map { Int64($0.usage.promptTokens) }
        let completions = entries.map { Int64($0.usage.completionTokens) }
        let cached = entries.map { Int64($0.usage.cachedTokens) }
        let estimated = entries.map(\.usageEstimated)
        let costs = entries.map(\.cost.value)
        let charges = entries.map(\.charge.value)
        let errors = entries.map { $0.errorCode ?? "" }
        let shares = entries.flatMap { entry in entry.revenueShares.map { (entry, $0) } }
        // 3 s, and a millisecond more per entry: a full batch on a busy server is not an outage.
        try await withDeadline(.seconds(3) + .milliseconds(entries.count)) {
            try await self.client.withTransaction(logger: self.logger) { connection in
                let rows = try await connection.query(
                    """
                    INSERT INTO ledger_entries (
                        request_id, time_ms, tenant, key_id, model, provider, deployment, cloud, region, status, stream,
                        attempts, latency_ms, ttfb_ms, prompt_tokens, completion_tokens, cached_tokens, usage_estimated,
                        cost_nanos, charge_nanos, error_code)
                    SELECT id, t, tenant, key, model, NULLIF(provider, ''), NULLIF(deployment, ''), NULLIF(cloud, ''),
                        NULLIF(region, ''), status, stream, attempts, latency, NULLIF(ttfb, -1), prompt, completion, cached,
                        estimated, cost, charge, NULLIF(error, '')
                    FROM UNNEST(\(ids)::text[], \(times)::bigint[], \(tenants)::text[], \(keys)::text[], \(models)::text[],
                        \(providers)::text[], \(deployments)::text[], \(clouds)::text[], \(regions)::text[], \(statuses)::bigint[],
                        \(streams)::boolean[], \(attempts)::bigint[], \(latencies)::bigint[], \(ttfbs)::bigint[],
                        \(prompts)::bigint[], \(completions)::bigint[], \(cached)::bigint[], \(estimated)::boolean[],
                        \(costs)::bigint[], \(charges)::bigint[], \(errors)::text[])
                        AS batch(id, t, tenant, key, model, provider, deployment, cloud, region, status, stream, attempts,
                            latency, ttfb, prompt, completion, cached, estimated, cost, charge, error)
                    ON CONFLICT (request_id) DO NOTHING
                    RETURNING request_id
                    """,
                    logger: self.logger
                )
                var inserted = Set<String>()
                for try await id in rows.decode(String.self) { inserted.insert(id) }
                // ON CONFLICT keeps a replayed entry's shares from being counted twice as well.
                if !shares.isEmpty {
                    try await connection.query(
                        """
                        INSERT INTO ledger_revenue_shares (request_id, beneficiary, agreement_id, time_ms, amount_nanos)
                        SELECT * FROM UNNEST(\(shares.map(\.0.requestID))::text[], \(shares.map(\.1.beneficiary))::text[],
                            \(shares.map(\.1.agreementID))::text[], \(shares.map { SQLiteLedgerStore.millis($0.0.time) })::bigint[],
                            \(shares.map(\.1.amount.value))::bigint[])
                        ON CONFLICT DO NOTHING
                        """,
                        logger: self.logger
                    )
                }
                try await Self.upsertRollup(
                    entries.filter { inserted.contains($0.requestID) },
                    connection: connection,
                    logger: self.logger
                )
            }
        }
    }

    /// Adds the inserted entries to `ledger_daily`, in key order so that replicas updating the
    /// same rows concurrently cannot deadlock.
    static func upsertRollup(_ entries: [LedgerEntry], connection: PostgresConnection, logger: Logger) async throws {
        guard !entries.isEmpty else { return }
        var rollup = DailyRollup()
        for entry in entries { rollup.add(entry) }
        let rows = rollup.sorted
        try await connection.query(
            """
            INSERT INTO ledger_daily
            SELECT * FROM UNNEST(\(rows.map(\.0.day))::text[], \(rows.map(\.0.tenant))::text[], \(rows.map(\.0.keyID))::text[],
                \(rows.map(\.0.model))::text[], \(rows.map(\.0.provider))::text[], \(rows.map(\.0.cloud))::text[],
                \(rows.map(\.1.requests))::bigint[], \(rows.map(\.1.errors))::bigint[], \(rows.map(\.1.promptTokens))::bigint[],
                \(rows.map(\.1.completionTokens))::bigint[], \(rows.map(\.1.cost))::bigint[], \(rows.map(\.1.charge))::bigint[])
            ON CONFLICT (day, tenant, key_id, model, provider, cloud) DO UPDATE SET
                requests = ledger_daily.requests + EXCLUDED.requests, errors = ledger_daily.errors + EXCLUDED.errors,
                prompt_tokens = ledger_daily.prompt_tokens + EXCLUDED.prompt_tokens,
                completion_tokens = ledger_daily.completion_tokens + EXCLUDED.completion_tokens,
                cost_nanos = ledger_daily.cost_nanos + EXCLUDED.cost_nanos,
                charge_nanos = ledger_daily.charge_nanos + EXCLUDED.charge_nanos
            """,
            logger: logger
        )
    }

    public func usage(by dimension: UsageDimension, from: Date, until: Date) async throws -> [UsageTotal] {
        if DailyRollup.coversWholeDays(from: from, until: until) {
            return try await self.rollupUsage(by: dimension, from: from, until: until)
        }
        let group = ReportSQL.groupExpression(dimension, dialect: .postgres)
        var query = PostgresQuery(
            unsafeSQL: """
                SELECT \(group) AS grp, COUNT(*), COUNT(*) FILTER (WHERE status >= 400 OR error_code IS NOT NULL),
                    SUM(prompt_tokens)::bigint, SUM(completion_tokens)::bigint, SUM(cost_nanos)::bigint, SUM(charge_nanos)::bigint
                FROM ledger_entries WHERE time_ms >= $1 AND time_ms < $2
                GROUP BY grp ORDER BY grp
                """
        )
        query.binds.append(SQLiteLedgerStore.millis(from), context: .default)
        query.binds.append(SQLiteLedgerStore.millis(until), context: .default)
        return try await self.usageRows(query)
    }

    private func usageRows(_ query: PostgresQuery) async throws -> [UsageTotal] {
        var totals: [UsageTotal] = []
        let rows = try await self.client.query(query, logger: self.logger)
        for try await (group, requests, errors, prompt, completion, cost, charge) in rows.decode(
            (String, Int64, Int64, Int64, Int64, Int64, Int64).self
        ) {
            totals.append(
                UsageTotal(
                    group: group,
                    requests: Int(requests),
                    errors: Int(errors),
                    promptTokens: prompt,
                    completionTokens: completion,
                    cost: USDNanos(cost),
                    charge: USDNanos(charge)
                )
            )
        }
        return totals
    }

    private func rollupUsage(by dimension: UsageDimension, from: Date, until: Date) async throws -> [UsageTotal] {
        var query = PostgresQuery(
            unsafeSQL: """
                SELECT \(ReportSQL.rollupGroupExpression(dimension)) AS grp, SUM(requests)::bigint, SUM(errors)::bigint,
                    SUM(prompt_tokens)::bigint, SUM(completion_tokens)::bigint, SUM(cost_nanos)::bigint, SUM(charge_nanos)::bigint
                FROM ledger_daily WHERE day >= $1 AND day < $2
                GROUP BY grp ORDER BY grp
                """
        )
        query.binds.append(DailyRollup.day(SQLiteLedgerStore.millis(from)), context: .default)
        query.binds.append(DailyRollup.day(SQLiteLedgerStore.millis(until)), context: .default)
        return try await self.usageRows(query)
    }

    public func ping() async throws {
        _ = try await withDeadline(.seconds(2)) { try await self.client.query("SELECT 1", logger: self.logger) }
    }

    public func count() async throws -> Int {
        for try await count in try await self.client.query("SELECT COUNT(*) FROM ledger_entries", logger: self.logger)
            .decode(Int64.self)
        {
            return Int(count)
        }
        return 0
    }

    public func revenueShareTotals(beneficiary: String?, from: Date, until: Date) async throws -> [RevenueShareTotal] {
        let rows = try await self.client.query(
            """
            SELECT beneficiary, agreement_id, COUNT(*), SUM(amount_nanos)::bigint FROM ledger_revenue_shares
            WHERE time_ms >= \(SQLiteLedgerStore.millis(from)) AND time_ms < \(SQLiteLedgerStore.millis(until))
                AND (\(beneficiary ?? "")::text = '' OR beneficiary = \(beneficiary ?? "")::text)
            GROUP BY beneficiary, agreement_id ORDER BY beneficiary, agreement_id
            """,
            logger: self.logger
        )
        var totals: [RevenueShareTotal] = []
        for try await (name, agreement, entries, amount) in rows.decode((String, String, Int64, Int64).self) {
            totals.append(
                RevenueShareTotal(
                    beneficiary: name,
                    agreementID: agreement,
                    entries: Int(entries),
                    amount: USDNanos(amount)
                )
            )
        }
        return totals
    }
}

/// A store could not be opened or used; the message never holds a credential.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public var message: String

    /// Creates an error.
    public init(message: String) { self.message = message }

    public var description: String { self.message }
}
