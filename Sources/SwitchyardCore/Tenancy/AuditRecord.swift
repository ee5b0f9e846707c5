import Foundation

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
