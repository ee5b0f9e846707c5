import Foundation

/// A tenant managed through the admin API and kept in the store.
public struct TenantRecord: Hashable, Sendable {
    /// The tenant id (`acme`).
    public var id: String
    /// Models, clouds and regions the tenant may use.
    public var access: AccessRules
    /// Rate limits and budgets of the whole tenant.
    public var limits: LimitSettings
    /// Free-form labels for the operator.
    public var metadata: [String: String]
    /// When it was created.
    public var createdAt: Date
    /// When it was last changed.
    public var updatedAt: Date

    /// Creates a tenant.
    public init(
        id: String,
        access: AccessRules = .any,
        limits: LimitSettings = .none,
        metadata: [String: String] = [:],
        createdAt: Date,
        updatedAt: Date? = nil
    ) {
        self.id = id
        self.access = access
        self.limits = limits
        self.metadata = metadata
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }
}

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

/// One admin action: who (by key prefix), what, when, and the record before and after.
public struct AuditRecord: Hashable, Sendable {
    /// Increasing sequence number, assigned by the store.
    public var sequence: Int64
    /// When the action happened.
    public var time: Date
    /// Who acted: `admin:` and a fingerprint of the admin key, or `cli:` and the OS user.
    public var actor: String
    /// What was done (`tenant.create`, `key.revoke`, …).
    public var action: String
    /// The id of the tenant or key acted on.
    public var target: String
    /// The record before the action (JSON), if it existed.
    public var before: JSONValue?
    /// The record after the action (JSON), if it still exists.
    public var after: JSONValue?

    /// Creates a record; the store assigns ``sequence``.
    public init(
        sequence: Int64 = 0,
        time: Date,
        actor: String,
        action: String,
        target: String,
        before: JSONValue?,
        after: JSONValue?
    ) {
        self.sequence = sequence
        self.time = time
        self.actor = actor
        self.action = action
        self.target = target
        self.before = before
        self.after = after
    }

    public static func == (lhs: AuditRecord, rhs: AuditRecord) -> Bool {
        lhs.sequence == rhs.sequence && lhs.time == rhs.time && lhs.actor == rhs.actor && lhs.action == rhs.action
            && lhs.target == rhs.target && lhs.before == rhs.before && lhs.after == rhs.after
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.sequence)
        hasher.combine(self.action)
        hasher.combine(self.target)
    }
}
