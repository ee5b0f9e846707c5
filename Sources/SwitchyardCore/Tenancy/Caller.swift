/// An authenticated caller: who, what they may use, and which limits apply.
public struct Caller: Sendable, Hashable {
    /// Tenant and key id.
    public var identity: ClientIdentity
    /// The key's prefix for stored keys (`nil` for keys from the configuration file).
    public var keyPrefix: String?
    /// The tenant's rules narrowed by the key's.
    public var access: AccessRules
    /// The tenant's limits.
    public var tenantLimits: LimitSettings
    /// The key's own limits.
    public var keyLimits: LimitSettings

    /// Creates a caller.
    public init(
        identity: ClientIdentity,
        keyPrefix: String? = nil,
        access: AccessRules = .any,
        tenantLimits: LimitSettings = .none,
        keyLimits: LimitSettings = .none
    ) {
        self.identity = identity
        self.keyPrefix = keyPrefix
        self.access = access
        self.tenantLimits = tenantLimits
        self.keyLimits = keyLimits
    }

    /// The demands of one request on every limit that applies, key limits first.
    /// - Parameters:
    ///   - tokens: the most tokens the request may use (prompt estimate plus its completion cap).
    ///   - charge: the most the request may be charged.
    public func demands(tokens: Int64, charge: USDNanos) -> [LimitDemand] {
        let key = self.keyLimits.demands(of: "key", self.identity.keyID, tokens: tokens, charge: charge)
        let tenant = self.tenantLimits.demands(of: "tenant", self.identity.tenant, tokens: tokens, charge: charge)
        return key + tenant
    }
}
