import Foundation

/// One request, as the ledger records it: where it went, what it used, what it cost and earned.
public struct LedgerEntry: Hashable, Sendable, Codable {
    /// The gateway's request id (the client's `x-request-id` when it sent one). Unique.
    public var requestID: String
    /// When the request arrived (UTC).
    public var time: Date
    /// The tenant the key belongs to.
    public var tenant: String
    /// The id of the client key (never the key itself).
    public var keyID: String
    /// The model the client asked for.
    public var model: String
    /// The provider of the last attempt, or `nil` when no upstream was tried.
    public var provider: String?
    /// The deployment target of the last attempt.
    public var deployment: String?
    /// The cloud of the last attempt.
    public var cloud: String?
    /// The region of the last attempt.
    public var region: String?
    /// The HTTP status the client got (499 when the client went away first).
    public var status: Int
    /// Whether the request streamed.
    public var stream: Bool
    /// Upstream attempts made.
    public var attempts: Int
    /// From arrival to the last byte, in milliseconds.
    public var latencyMillis: Int
    /// From arrival to the first byte sent to the client, in milliseconds.
    public var timeToFirstByteMillis: Int?
    /// Tokens used.
    public var usage: TokenUsage
    /// Whether `usage` is an estimate (the upstream never reported it).
    public var usageEstimated: Bool
    /// What the upstream charges us.
    public var cost: USDNanos
    /// What the tenant is charged.
    public var charge: USDNanos
    /// A short machine-readable error code when the request failed.
    public var errorCode: String?
    /// Revenue accrued to partners under the revenue-share terms in force at ``time``.
    public var revenueShares: [RevenueShareAccrual]

    /// Creates an entry.
    public init(
        requestID: String,
        time: Date,
        tenant: String,
        keyID: String,
        model: String,
        provider: String? = nil,
        deployment: String? = nil,
        cloud: String? = nil,
        region: String? = nil,
        status: Int,
        stream: Bool,
        attempts: Int,
        latencyMillis: Int,
        timeToFirstByteMillis: Int? = nil,
        usage: TokenUsage = .zero,
        usageEstimated: Bool = false,
        cost: USDNanos = .zero,
        charge: USDNanos = .zero,
        errorCode: String? = nil,
        revenueShares: [RevenueShareAccrual] = []
    ) {
        self.requestID = requestID
        self.time = time
        self.tenant = tenant
        self.keyID = keyID
        self.model = model
        self.provider = provider
        self.deployment = deployment
        self.cloud = cloud
        self.region = region
        self.status = status
        self.stream = stream
        self.attempts = attempts
        self.latencyMillis = latencyMillis
        self.timeToFirstByteMillis = timeToFirstByteMillis
        self.usage = usage
        self.usageEstimated = usageEstimated
        self.cost = cost
        self.charge = charge
        self.errorCode = errorCode
        self.revenueShares = revenueShares
    }
}

/// Where the request path hands finished entries. Must return immediately: the sink batches
/// and writes off the request path.
public protocol LedgerSink: Sendable {
    /// Queues `entry` for writing. Never blocks, never throws.
    func record(_ entry: LedgerEntry)
    /// Entries parked in a local spool while the store is unreachable.
    var spoolDepth: Int { get }
    /// Entries accepted but not yet committed (nor spooled).
    var queueDepth: Int { get }
    /// Whether the sink can keep entries safe while the store is unreachable.
    var hasSpool: Bool { get }
}

extension LedgerSink {
    public var spoolDepth: Int { 0 }
    public var queueDepth: Int { 0 }
    public var hasSpool: Bool { false }
}

/// Durable storage of ledger entries.
public protocol LedgerStore: Sendable {
    /// Inserts `entries` in one transaction. Entries whose request id is already stored are skipped.
    func insert(_ entries: [LedgerEntry]) async throws
    /// Checks that the store answers.
    func ping() async throws
    /// The number of stored entries.
    func count() async throws -> Int
    /// Revenue share accrued in [`from`, `until`), per beneficiary and agreement (all
    /// beneficiaries when `beneficiary` is nil). Sums of stored exact amounts.
    func revenueShareTotals(beneficiary: String?, from: Date, until: Date) async throws -> [RevenueShareTotal]
    /// Usage in [`from`, `until`) grouped by one dimension, sums of stored exact integers.
    func usage(by dimension: UsageDimension, from: Date, until: Date) async throws -> [UsageTotal]
}

/// What a usage report groups by.
public enum UsageDimension: String, Sendable, CaseIterable {
    case tenant
    case key
    case model
    case provider
    case cloud
    case day
    case month
}

/// One row of a usage report.
public struct UsageTotal: Sendable, Hashable, Encodable {
    /// The group (a tenant id, a model, `2026-11-29`, …; `-` for none).
    public var group: String
    public var requests: Int
    public var errors: Int
    public var promptTokens: Int64
    public var completionTokens: Int64
    public var cost: USDNanos
    public var charge: USDNanos

    /// Creates a row.
    public init(
        group: String,
        requests: Int,
        errors: Int,
        promptTokens: Int64,
        completionTokens: Int64,
        cost: USDNanos,
        charge: USDNanos
    ) {
        self.group = group
        self.requests = requests
        self.errors = errors
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cost = cost
        self.charge = charge
    }
}

/// Revenue share accrued to one beneficiary under one agreement over a period.
public struct RevenueShareTotal: Sendable, Hashable, Encodable {
    /// Who is owed.
    public var beneficiary: String
    /// Under which agreement.
    public var agreementID: String
    /// How many ledger entries accrued to it.
    public var entries: Int
    /// The exact sum.
    public var amount: USDNanos

    /// Creates a total.
    public init(beneficiary: String, agreementID: String, entries: Int, amount: USDNanos) {
        self.beneficiary = beneficiary
        self.agreementID = agreementID
        self.entries = entries
        self.amount = amount
    }
}
