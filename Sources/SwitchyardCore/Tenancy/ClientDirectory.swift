import Foundation

/// Every key the gateway accepts, in memory: the configuration file's keys (SHA-256) and the
/// store's keys (HMAC-SHA256 under `key_secret`), with the tenants they belong to.
///
/// Built from one read of the store; looking a key up is two hashes and a dictionary probe.
public struct ClientDirectory: Sendable {
    private let configKeys: KeyRing
    private let hasher: KeyHasher?
    private let storedKeys: [KeyDigest: StoredKey]
    private let tenantsByID: [String: TenantRecord]
    /// The store's change counter this directory was read at (`nil`: configuration only).
    public let version: Int64?

    /// Builds the directory. Stored tenants replace configured tenants of the same id.
    public init(config: GatewayConfig, tenants: [TenantRecord] = [], keys: [StoredKey] = [], version: Int64? = nil) {
        self.configKeys = KeyRing(keys: config.keys)
        self.hasher = config.keySecret.map(KeyHasher.init(secret:))
        var byID: [String: TenantRecord] = [:]
        for tenant in config.tenants { byID[tenant.id] = tenant.record }
        for tenant in tenants { byID[tenant.id] = tenant }
        self.tenantsByID = byID
        self.storedKeys = Dictionary(keys.map { ($0.digest, $0) }, uniquingKeysWith: { first, _ in first })
        self.version = version
    }

    /// The effective tenant with `id` (stored, else configured).
    public func tenant(_ id: String) -> TenantRecord? { self.tenantsByID[id] }

    /// Every effective tenant, by id.
    public var tenants: [TenantRecord] { self.tenantsByID.values.sorted { $0.id < $1.id } }

    /// The caller presenting `presentedKey` at `instant`, or `nil` when the key is unknown,
    /// revoked, expired or its tenant is gone.
    public func identify(_ presentedKey: String, at instant: Date) -> Caller? {
        if let identity = self.configKeys.identify(presentedKey) {
            let tenant = self.tenantsByID[identity.tenant]
            return Caller(
                identity: identity,
                access: tenant?.access ?? .any,
                tenantLimits: tenant?.limits ?? .none
            )
        }
        guard let hasher = self.hasher, !self.storedKeys.isEmpty else { return nil }
        let digest = hasher.digest(presentedKey)
        guard let stored = self.storedKeys[digest], stored.digest.constantTimeEquals(digest),
            stored.record.isActive(at: instant), let tenant = self.tenantsByID[stored.record.tenant]
        else { return nil }
        return Caller(
            identity: ClientIdentity(tenant: tenant.id, keyID: stored.record.id),
            keyPrefix: stored.record.prefix,
            access: tenant.access.narrowed(by: stored.record.access),
            tenantLimits: tenant.limits,
            keyLimits: stored.record.limits
        )
    }
}

extension TenantConfig {
    /// The tenant as a record (configured tenants are never stored).
    public var record: TenantRecord {
        TenantRecord(
            id: self.id,
            access: AccessRules(
                models: self.models.isEmpty ? nil : self.models,
                clouds: self.clouds.isEmpty ? nil : self.clouds,
                regions: self.regions.isEmpty ? nil : self.regions
            ),
            limits: self.limits,
            metadata: [:],
            createdAt: Date(timeIntervalSince1970: 0)
        )
    }
}
