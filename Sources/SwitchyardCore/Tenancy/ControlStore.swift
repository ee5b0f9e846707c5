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
