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
