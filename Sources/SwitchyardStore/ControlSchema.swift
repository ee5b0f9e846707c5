/// The tables of tenants, keys, the audit log and the limit counters: one schema, two dialects.
///
/// A record's settings (rules, limits, metadata) are kept as the JSON the admin API speaks
/// (``TenancyJSON``) in `spec`; the columns hold only what queries select by.
enum ControlSchema {
    static let sqliteV4 = """
        CREATE TABLE tenants (
            id TEXT PRIMARY KEY NOT NULL,
            spec TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            updated_ms INTEGER NOT NULL
        );
        CREATE TABLE client_keys (
            id TEXT PRIMARY KEY NOT NULL,
            digest TEXT NOT NULL UNIQUE,
            prefix TEXT NOT NULL,
            tenant TEXT NOT NULL,
            spec TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            expires_ms INTEGER,
            revoked_ms INTEGER
        );
        CREATE INDEX client_keys_tenant ON client_keys (tenant);
        CREATE TABLE admin_audit (
            sequence INTEGER PRIMARY KEY AUTOINCREMENT,
            time_ms INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            before_json TEXT,
            after_json TEXT
        );
        CREATE TABLE control_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
        INSERT INTO control_version VALUES (1, 0);
        """

    static let sqliteV5 = """
        CREATE TABLE limit_counters (
            counter TEXT NOT NULL,
            window_ms INTEGER NOT NULL,
            used INTEGER NOT NULL,
            last_grant INTEGER NOT NULL,
            PRIMARY KEY (counter, window_ms)
        );
        """

    static let postgresV4 = [
        """
        CREATE TABLE tenants (
            id TEXT PRIMARY KEY,
            spec TEXT NOT NULL,
            created_ms BIGINT NOT NULL,
            updated_ms BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE client_keys (
            id TEXT PRIMARY KEY,
            digest TEXT NOT NULL UNIQUE,
            prefix TEXT NOT NULL,
            tenant TEXT NOT NULL,
            spec TEXT NOT NULL,
            created_ms BIGINT NOT NULL,
            expires_ms BIGINT,
            revoked_ms BIGINT
        )
        """,
        "CREATE INDEX client_keys_tenant ON client_keys (tenant)",
        """
        CREATE TABLE admin_audit (
            sequence BIGSERIAL PRIMARY KEY,
            time_ms BIGINT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            before_json TEXT,
            after_json TEXT
        )
        """,
        "CREATE TABLE control_version (id INTEGER PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL)",
        "INSERT INTO control_version VALUES (1, 0)",
    ]

    static let postgresV5 = [
        """
        CREATE TABLE limit_counters (
            counter TEXT NOT NULL,
            window_ms BIGINT NOT NULL,
            used BIGINT NOT NULL,
            last_grant BIGINT NOT NULL,
            PRIMARY KEY (counter, window_ms)
        )
        """
    ]
}
