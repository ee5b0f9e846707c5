import Foundation

/// A stored key: its record and the keyed hash it is found by.
public struct StoredKey: Hashable, Sendable {
    /// The key's record.
    public var record: KeyRecord
    /// HMAC-SHA256 of the key under the server's `key_secret`.
    public var digest: KeyDigest

    /// Pairs a record with its digest.
    public init(record: KeyRecord, digest: KeyDigest) {
        self.record = record
        self.digest = digest
    }
}

/// Tenants, keys and the audit log, shared by every replica that uses the same store.
///
/// Every change also bumps one change counter (``controlVersion()``) in the same transaction,
/// so a replica learns that its cached keys are stale by reading one integer.
public protocol ControlStore: Sendable {
    /// A number that grows with every change to tenants or keys.
    func controlVersion() async throws -> Int64
    /// Every stored tenant, by id.
    func tenants() async throws -> [TenantRecord]
    /// Stored keys (revoked ones included), of one tenant or all.
    func keys(tenant: String?) async throws -> [StoredKey]
    /// Stores a new tenant and its audit record.
    /// - Throws: ``ControlStoreError`` `conflict` when the id is taken.
    func createTenant(_ tenant: TenantRecord, audit: AuditRecord) async throws
    /// Replaces a tenant and stores the audit record.
    /// - Throws: ``ControlStoreError`` `notFound`.
    func updateTenant(_ tenant: TenantRecord, audit: AuditRecord) async throws
    /// Deletes a tenant, revokes its keys at `instant` and stores the audit record.
    /// - Throws: ``ControlStoreError`` `notFound`.
    func deleteTenant(id: String, at instant: Date, audit: AuditRecord) async throws
    /// Stores a new key and its audit record.
    /// - Throws: ``ControlStoreError`` `conflict` when the id or digest is taken.
    func createKey(_ key: StoredKey, audit: AuditRecord) async throws
    /// Marks a key revoked at `instant` and stores the audit record.
    /// - Throws: ``ControlStoreError`` `notFound` (also for a key already revoked).
    func revokeKey(id: String, at instant: Date, audit: AuditRecord) async throws
    /// Audit records, newest first: at most `limit`, older than sequence `before` when given.
    func auditRecords(limit: Int, before: Int64?) async throws -> [AuditRecord]
}

/// Shared counters of rate limits and budgets, one per (counter name, window start).
public protocol LimitCounterStore: Sendable {
    /// Atomically adds `min(want, limit - used)` (never negative) to the counter and returns
    /// what was granted and the counter's new value.
    ///
    /// A counter that does not exist yet starts from `seed`'s spend in the ledger (`ledger_daily`),
    /// so a budget set in the middle of a month counts what the month already spent.
    func grant(
        counter: String,
        window: Int64,
        want: Int64,
        limit: Int64,
        seed: LedgerSpend?
    ) async throws
        -> LimitGrant
    /// Adds `delta` (negative to give units back, never below zero) unconditionally.
    func adjust(counter: String, window: Int64, delta: Int64) async throws
    /// Deletes counters of windows that started before `window` (milliseconds since 1970).
    func pruneCounters(before window: Int64) async throws
}

extension LimitCounterStore {
    /// A grant on a counter that starts from zero.
    public func grant(counter: String, window: Int64, want: Int64, limit: Int64) async throws -> LimitGrant {
        try await self.grant(counter: counter, window: window, want: want, limit: limit, seed: nil)
    }
}

/// What a tenant or a key was charged over whole UTC days, according to the ledger.
public struct LedgerSpend: Hashable, Sendable {
    /// `tenant` or `key`.
    public var subjectKind: String
    /// The tenant id or key id.
    public var subjectID: String
    /// First day, `YYYY-MM-DD` (inclusive).
    public var fromDay: String
    /// Last day, `YYYY-MM-DD` (exclusive).
    public var untilDay: String

    /// Creates a query over the days of `window` (which starts and ends at UTC midnight).
    public init(subjectKind: String, subjectID: String, window: DateInterval) {
        self.subjectKind = subjectKind
        self.subjectID = subjectID
        self.fromDay = String(InstantText.format(window.start).prefix(10))
        self.untilDay = String(InstantText.format(window.end).prefix(10))
    }
}

/// The answer of ``LimitCounterStore/grant(counter:window:want:limit:)``.
public struct LimitGrant: Hashable, Sendable {
    /// Units granted to the caller.
    public var granted: Int64
    /// The counter after the grant (every replica's grants in this window).
    public var used: Int64

    /// Creates a grant.
    public init(granted: Int64, used: Int64) {
        self.granted = granted
        self.used = used
    }
}

/// A control-store operation failed for a reason the caller can act on.
public struct ControlStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why.
    public struct Code: Hashable, Sendable {
        let rawValue: String
        /// The id is already taken.
        public static let conflict = Code(rawValue: "conflict")
        /// Nothing with that id.
        public static let notFound = Code(rawValue: "not_found")
    }

    /// Why.
    public var code: Code
    /// What, without secrets.
    public var message: String

    /// Creates an error.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { self.message }
}
