import Foundation

/// The operations of the admin API and `switchyard keys`: validate a JSON body, change the
/// store, and record who did what (before and after) in the same transaction.
///
/// Tenants from the configuration file are listed and may own keys, but are changed only by
/// editing the file.
public struct TenantAdministration: Sendable {
    private let store: any ControlStore
    private let config: GatewayConfig
    private let clock: any WallClock

    /// Creates the administration over `store`.
    public init(store: any ControlStore, config: GatewayConfig, clock: any WallClock = SystemWallClock()) {
        self.store = store
        self.config = config
        self.clock = clock
    }

    // MARK: tenants

    /// Every tenant with where it is defined (`config` or `store`), by id.
    public func tenants() async throws -> [(tenant: TenantRecord, source: String)] {
        let stored = try await self.store.tenants()
        let storedIDs = Set(stored.map(\.id))
        let configured = self.config.tenants.filter { !storedIDs.contains($0.id) }.map { ($0.record, "config") }
        return (configured + stored.map { ($0, "store") }).sorted { $0.0.id < $1.0.id }
            .map { (tenant: $0.0, source: $0.1) }
    }

    /// The tenant with `id` and where it is defined.
    /// - Throws: ``GatewayError`` `not_found`.
    public func tenant(_ id: String) async throws -> (tenant: TenantRecord, source: String) {
        if let stored = try await self.store.tenants().first(where: { $0.id == id }) { return (stored, "store") }
        if let configured = self.config.tenant(id) { return (configured.record, "config") }
        throw GatewayError(code: .notFound, message: "No tenant '\(id)'.", param: "id")
    }

    /// Creates a tenant from `body` (`{"id": "acme", "rpm": 600, "budget": {"usd": "500", "per": "month"}, …}`).
    /// - Throws: ``GatewayError``: `invalid_request` for a bad body, `conflict` for a taken id.
    public func createTenant(_ body: JSONValue, actor: String) async throws -> TenantRecord {
        let fields = try TenancyJSON.members(body, allowed: TenancyJSON.tenantFields)
        guard let id = fields["id"]?.stringValue, TenancyJSON.isValidID(id) else {
            throw GatewayError(
                code: .invalidRequest,
                message: "'id' is required: 1 to 64 letters, digits, '_', '.' or '-'.",
                param: "id"
            )
        }
        if self.config.tenant(id) != nil {
            throw GatewayError(
                code: .conflict,
                message: "Tenant '\(id)' is defined in the configuration file.",
                param: "id"
            )
        }
        var tenant = TenantRecord(id: id, createdAt: self.clock.now())
        try TenancyJSON.apply(fields, access: &tenant.access, limits: &tenant.limits, metadata: &tenant.metadata)
        let audit = self.audit(actor, "tenant.create", id, before: nil, after: TenancyJSON.encode(tenant))
        try await Self.mapped { try await self.store.createTenant(tenant, audit: audit) }
        return tenant
    }

    /// Changes the fields present in `body` (`null` clears one).
    /// - Throws: ``GatewayError`` `not_found`, `conflict` for a configured tenant, `invalid_request`.
    public func updateTenant(_ id: String, body: JSONValue, actor: String) async throws -> TenantRecord {
        var fields = try TenancyJSON.members(body, allowed: TenancyJSON.tenantFields)
        if let given = fields.removeValue(forKey: "id"), given.stringValue != id {
            throw GatewayError(code: .invalidRequest, message: "A tenant's id cannot be changed.", param: "id")
        }
        let (before, source) = try await self.tenant(id)
        guard source == "store" else {
            throw GatewayError(
                code: .conflict,
                message: "Tenant '\(id)' is defined in the configuration file; change it there.",
                param: "id"
            )
        }
        var tenant = before
        try TenancyJSON.apply(fields, access: &tenant.access, limits: &tenant.limits, metadata: &tenant.metadata)
        tenant.updatedAt = self.clock.now()
        let audit = self.audit(
            actor,
            "tenant.update",
            id,
            before: TenancyJSON.encode(before),
            after: TenancyJSON.encode(tenant)
        )
        try await Self.mapped { try await self.store.updateTenant(tenant, audit: audit) }
        return tenant
    }

    /// Deletes a stored tenant and revokes its keys.
    /// - Throws: ``GatewayError`` `not_found`, `conflict` for a configured tenant.
    public func deleteTenant(_ id: String, actor: String) async throws {
        let (before, source) = try await self.tenant(id)
        guard source == "store" else {
            throw GatewayError(
                code: .conflict,
                message: "Tenant '\(id)' is defined in the configuration file; remove it there.",
                param: "id"
            )
        }
        let audit = self.audit(actor, "tenant.delete", id, before: TenancyJSON.encode(before), after: nil)
        try await Self.mapped { try await self.store.deleteTenant(id: id, at: self.clock.now(), audit: audit) }
    }

    // MARK: keys

    /// Creates a key for the tenant named in `body`; the secret is returned here and never again.
    /// - Throws: ``GatewayError``: `invalid_request`, `not_found` for an unknown tenant,
    ///   `key_secret_missing` when the configuration has no `key_secret`.
    public func createKey(_ body: JSONValue, actor: String) async throws -> (key: String, record: KeyRecord) {
        guard let secret = self.config.keySecret else {
            throw GatewayError(
                code: .keySecretMissing,
                message: "Set key_secret in the configuration to create keys (they are stored as HMAC-SHA256 under it)."
            )
        }
        let fields = try TenancyJSON.members(body, allowed: TenancyJSON.keyFields)
        guard let tenantID = fields["tenant"]?.stringValue, !tenantID.isEmpty else {
            throw GatewayError(code: .invalidRequest, message: "'tenant' is required.", param: "tenant")
        }
        do {
            _ = try await self.tenant(tenantID)
        } catch let error as GatewayError where error.code == .notFound {
            throw GatewayError(code: .notFound, message: "No tenant '\(tenantID)'.", param: "tenant")
        }
        let now = self.clock.now()
        var expiresAt = try TenancyJSON.instant(fields["expires_at"], "expires_at")
        if let value = fields["expires_in"], !value.isNull {
            guard expiresAt == nil else {
                throw GatewayError(
                    code: .invalidRequest,
                    message: "Set 'expires_at' or 'expires_in', not both.",
                    param: "expires_in"
                )
            }
            guard let text = value.stringValue, let duration = DurationText.parse(text), duration > .zero else {
                throw GatewayError(
                    code: .invalidRequest,
                    message: "'expires_in' must be a duration such as 30d, 12h or 90s.",
                    param: "expires_in"
                )
            }
            expiresAt = now.addingTimeInterval(Double(duration.components.seconds))
        }
        if let expiresAt, expiresAt <= now {
            throw GatewayError(code: .invalidRequest, message: "The expiry must be in the future.", param: "expires_at")
        }
        var name: String?
        if let value = fields["name"], !value.isNull {
            guard let text = value.stringValue, text.utf8.count <= 128 else {
                throw GatewayError(
                    code: .invalidRequest,
                    message: "'name' must be a string of at most 128 bytes.",
                    param: "name"
                )
            }
            name = text
        }
        let secretKey = KeyMaterial.newKey()
        var record = KeyRecord(
            id: KeyMaterial.newID(),
            prefix: String(secretKey.prefix(KeyMaterial.prefixLength)),
            tenant: tenantID,
            name: name,
            createdAt: now,
            expiresAt: expiresAt
        )
        try TenancyJSON.apply(fields, access: &record.access, limits: &record.limits, metadata: &record.metadata)
        let stored = StoredKey(record: record, digest: KeyHasher(secret: secret).digest(secretKey))
        let audit = self.audit(actor, "key.create", record.id, before: nil, after: TenancyJSON.encode(record))
        try await Self.mapped { try await self.store.createKey(stored, audit: audit) }
        return (secretKey, record)
    }

    /// Stored keys of one tenant, or all.
    public func keys(tenant: String?) async throws -> [KeyRecord] {
        try await self.store.keys(tenant: tenant).map(\.record)
    }

    /// Revokes a key; replicas refuse it once they see the change (within their poll interval).
    /// - Throws: ``GatewayError`` `not_found` for an unknown or already revoked key.
    public func revokeKey(_ id: String, actor: String) async throws -> KeyRecord {
        guard let before = try await self.store.keys(tenant: nil).first(where: { $0.record.id == id })?.record,
            before.revokedAt == nil
        else {
            throw GatewayError(code: .notFound, message: "No active key '\(id)'.", param: "id")
        }
        var after = before
        after.revokedAt = self.clock.now()
        let audit = self.audit(
            actor,
            "key.revoke",
            id,
            before: TenancyJSON.encode(before),
            after: TenancyJSON.encode(after)
        )
        try await Self.mapped { try await self.store.revokeKey(id: id, at: after.revokedAt ?? Date(), audit: audit) }
        return after
    }

    /// Audit records, newest first.
    public func audit(limit: Int, before: Int64?) async throws -> [AuditRecord] {
        try await self.store.auditRecords(limit: limit, before: before)
    }

    private func audit(
        _ actor: String,
        _ action: String,
        _ target: String,
        before: JSONValue?,
        after: JSONValue?
    )
        -> AuditRecord
    {
        AuditRecord(time: self.clock.now(), actor: actor, action: action, target: target, before: before, after: after)
    }

    private static func mapped(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as ControlStoreError {
            throw GatewayError(code: error.code == .conflict ? .conflict : .notFound, message: error.message + ".")
        }
    }
}

extension GatewayError.Code {
    /// The record already exists, or is defined in the configuration file.
    public static let conflict = GatewayError.Code(rawValue: "conflict", status: 409, type: "invalid_request_error")
    /// Keys cannot be created without `key_secret`.
    public static let keySecretMissing = GatewayError.Code(
        rawValue: "key_secret_missing",
        status: 409,
        type: "invalid_request_error"
    )
}
