import Foundation

/// A virtual client key kept in the store. The key itself is never stored: only its keyed
/// hash (HMAC-SHA256 with the server's `key_secret`) and a short prefix that identifies it.
public struct KeyRecord: Hashable, Sendable {
    /// The key's id (`key_…`), used in the ledger, logs and the admin API.
    public var id: String
    /// The first characters of the key (`sk-sy-AbCd12`), enough to recognise it.
    public var prefix: String
    /// The tenant it belongs to.
    public var tenant: String
    /// An optional label.
    public var name: String?
    /// Narrows the tenant's models, clouds and regions.
    public var access: AccessRules
    /// Limits of this key alone (the tenant's apply as well).
    public var limits: LimitSettings
    /// Free-form labels for the operator.
    public var metadata: [String: String]
    /// When it was created.
    public var createdAt: Date
    /// After this instant the key is refused.
    public var expiresAt: Date?
    /// When it was revoked, if it was.
    public var revokedAt: Date?

    /// Creates a key record.
    public init(
        id: String,
        prefix: String,
        tenant: String,
        name: String? = nil,
        access: AccessRules = .any,
        limits: LimitSettings = .none,
        metadata: [String: String] = [:],
        createdAt: Date,
        expiresAt: Date? = nil,
        revokedAt: Date? = nil
    ) {
        self.id = id
        self.prefix = prefix
        self.tenant = tenant
        self.name = name
        self.access = access
        self.limits = limits
        self.metadata = metadata
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    /// Whether the key is accepted at `instant`: not revoked and not expired.
    public func isActive(at instant: Date) -> Bool {
        self.revokedAt == nil && (self.expiresAt.map { instant < $0 } ?? true)
    }
}
