import Foundation

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
