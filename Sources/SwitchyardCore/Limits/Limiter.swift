import Foundation
import Synchronization

/// Enforces rate limits and budgets for the sum of all replicas sharing one store.
///
/// Each shared counter (``LimitCounterStore``) holds, per window, the units granted to
/// replicas. A replica takes a *lease* — a small share of the limit (a fiftieth, at least what
/// the request needs) — from the counter in one atomic statement, and admits requests from its
/// lease without a round trip until it runs out. Units a request reserved but did not use go
/// back to the lease; a lease idle for ``idleReturn`` goes back to the counter. Hence:
///
/// - the units admitted in a window never exceed the limit, whatever the number of replicas
///   (grants are atomic; only settlement of usage above a reservation adds past it);
/// - what may be refused below the limit is what other replicas hold unused: at most one lease
///   per replica, for at most ``idleReturn``.
///
/// The request path calls ``admit(_:now:)`` and later ``settle(_:actual:)``; a service calls
/// ``sync(now:)`` every few hundred milliseconds to return idle leases and push settlements.
public final class Limiter: Sendable {
    struct CounterKey: Hashable {
        var name: String
        var window: Int64
    }

    struct Lease {
        var available: Int64 = 0
        /// The shared counter after this replica's last grant.
        var used: Int64 = 0
        var limit: Int64
        var windowEnd: Date
        var lastDemand: ContinuousClock.Instant
        var alerted = false
    }

    struct State {
        var leases: [CounterKey: Lease] = [:]
        /// Units to add to (or, negative, give back to) shared counters at the next sync.
        var pending: [CounterKey: Int64] = [:]
        /// After a failed grant, requests do not wait on the store again until this instant.
        var storeDownUntil: ContinuousClock.Instant?
    }

    private let store: any LimitCounterStore
    private let state = Mutex(State())
    /// How long a lease may sit unused before it goes back to the shared counter.
    public let idleReturn: Duration
    /// The lease size as a fraction of the limit (1/`leaseDivisor`).
    public let leaseDivisor: Int64

    /// Creates a limiter over `store`.
    public init(store: any LimitCounterStore, idleReturn: Duration = .seconds(1), leaseDivisor: Int64 = 50) {
        self.store = store
        self.idleReturn = idleReturn
        self.leaseDivisor = max(1, leaseDivisor)
    }

    /// Reserves every demand, or none.
    /// - Returns: the reservations, to settle once the request is done.
    /// - Throws: ``LimitRejection`` for the first demand that cannot be met.
    public func admit(_ demands: [LimitDemand], now: Date) async throws -> LimitAdmission {
        var admission = LimitAdmission(holds: [], statuses: [], alerts: [])
        for demand in demands {
            let window = demand.rule.period.window(containing: now)
            let key = CounterKey(name: demand.counterName, window: Int64(window.start.timeIntervalSince1970 * 1000))
            do {
                let status = try await self.reserve(demand, key: key, window: window, alerts: &admission.alerts)
                admission.holds.append(LimitAdmission.Hold(key: key, meter: demand.rule.meter, reserved: demand.amount))
                admission.statuses.append(status)
            } catch let rejection as LimitRejection {
                // Nothing of a refused request counts: give back what the other limits reserved.
                self.settle(admission, actual: [.requests: 0, .tokens: 0, .usd: 0])
                throw rejection
            }
        }
        return admission
    }

    private func reserve(
        _ demand: LimitDemand,
        key: CounterKey,
        window: DateInterval,
        alerts: inout [LimitStatus]
    ) async throws -> LimitStatus {
        let windowEnd = window.end
        let clock = ContinuousClock()
        // A grant can be taken by concurrent requests of this replica before this one takes its
        // share; a few attempts make that harmless.
        for _ in 0..<5 {
            let outcome = self.state.withLock { state -> (LimitStatus?, Int64) in
                var lease =
                    state.leases[key]
                    ?? Lease(limit: demand.rule.limit, windowEnd: windowEnd, lastDemand: clock.now)
                lease.limit = demand.rule.limit
                lease.lastDemand = clock.now
                defer { state.leases[key] = lease }
                if lease.available >= demand.amount {
                    lease.available -= demand.amount
                    let remaining = max(0, lease.limit - lease.used + lease.available)
                    return (LimitStatus(demand: demand, remaining: remaining, reset: windowEnd), 0)
                }
                let share = max(1, lease.limit / self.leaseDivisor)
                return (nil, max(share, demand.amount - lease.available))
            }
            if let status = outcome.0 { return status }
            let storeDown = self.state.withLock { state in state.storeDownUntil.map { clock.now < $0 } ?? false }
            if storeDown { return self.failOpen(demand, key: key, windowEnd: windowEnd) }
            let grant: LimitGrant
            do {
                grant = try await self.store.grant(
                    counter: key.name,
                    window: key.window,
                    want: outcome.1,
                    limit: demand.rule.limit,
                    seed: demand.rule.meter == .usd
                        ? LedgerSpend(subjectKind: demand.subjectKind, subjectID: demand.subjectID, window: window)
                        : nil
                )
            } catch {
                self.state.withLock { $0.storeDownUntil = clock.now + .seconds(1) }
                return self.failOpen(demand, key: key, windowEnd: windowEnd)
            }
            self.state.withLock { $0.storeDownUntil = nil }
            let exhausted = self.state.withLock { state -> Bool in
                guard var lease = state.leases[key] else {
                    state.pending[key, default: 0] -= grant.granted
                    return false
                }
                lease.available += grant.granted
                lease.used = max(lease.used, grant.used)
                if demand.rule.meter == .usd, !lease.alerted,
                    Int128(lease.used) * 100 >= Int128(lease.limit) * Int128(demand.rule.alertPercent)
                {
                    lease.alerted = true
                    alerts.append(LimitStatus(demand: demand, remaining: lease.limit - lease.used, reset: windowEnd))
                }
                state.leases[key] = lease
                return grant.granted == 0 || lease.available < demand.amount && grant.used >= demand.rule.limit
            }
            if exhausted { break }
        }
        let remaining = self.state.withLock { state -> Int64 in
            guard let lease = state.leases[key] else { return 0 }
            return max(0, lease.limit - lease.used + lease.available)
        }
        throw LimitRejection(status: LimitStatus(demand: demand, remaining: remaining, reset: windowEnd))
    }

    /// The store is unreachable: admit, and charge the counter once it answers again (limits
    /// fail open rather than take the gateway down with the database). For a second after a
    /// failure requests do not wait on the store at all.
    private func failOpen(_ demand: LimitDemand, key: CounterKey, windowEnd: Date) -> LimitStatus {
        self.state.withLock { $0.pending[key, default: 0] += demand.amount }
        return LimitStatus(demand: demand, remaining: 0, reset: windowEnd)
    }

    /// Settles a finished request: reservations above actual use go back to the lease; use
    /// above the reservation is charged to the shared counter. Never blocks on the store.
    /// - Parameter actual: units used per meter (requests default to what was reserved).
    public func settle(_ admission: LimitAdmission, actual: [LimitMeter: Int64]) {
        guard !admission.holds.isEmpty else { return }
        self.state.withLock { state in
            for hold in admission.holds {
                let used = actual[hold.meter] ?? (hold.meter == .requests ? hold.reserved : 0)
                var delta = used - hold.reserved
                if var lease = state.leases[hold.key] {
                    if delta < 0 {
                        lease.available -= delta
                        delta = 0
                    } else {
                        let fromLease = min(delta, lease.available)
                        lease.available -= fromLease
                        delta -= fromLease
                    }
                    state.leases[hold.key] = lease
                }
                if delta != 0 { state.pending[hold.key, default: 0] += delta }
            }
        }
    }

    /// Returns leases idle for ``idleReturn`` (or whose window ended) to the shared counters and
    /// pushes pending settlements. Call it every few hundred milliseconds.
    /// - Parameter returningAll: give back every lease, idle or not (at shutdown).
    public func sync(now: Date, returningAll: Bool = false) async {
        let clock = ContinuousClock()
        let deadline = returningAll ? clock.now + .seconds(1) : clock.now - self.idleReturn
        let pending = self.state.withLock { state -> [(CounterKey, Int64)] in
            for (key, lease) in state.leases {
                if lease.windowEnd <= now {
                    // The window is over: nobody will count in it again; drop the lease.
                    state.leases[key] = nil
                } else if lease.available > 0 && lease.lastDemand < deadline {
                    state.pending[key, default: 0] -= lease.available
                    state.leases[key]?.available = 0
                    state.leases[key]?.used -= lease.available
                }
            }
            defer { state.pending.removeAll() }
            return state.pending.filter { $0.value != 0 }.map { ($0.key, $0.value) }
        }
        for (key, delta) in pending {
            do {
                try await self.store.adjust(counter: key.name, window: key.window, delta: delta)
            } catch {
                self.state.withLock { $0.pending[key, default: 0] += delta }
            }
        }
    }

    /// Units this replica holds unused for a counter (tests and diagnostics).
    public func leased(counter: String, now: Date, period: LimitPeriod) -> Int64 {
        let window = period.window(containing: now)
        let key = CounterKey(name: counter, window: Int64(window.start.timeIntervalSince1970 * 1000))
        return self.state.withLock { $0.leases[key]?.available ?? 0 }
    }
}

/// What ``Limiter/admit(_:now:)`` reserved for one request.
public struct LimitAdmission: Sendable {
    struct Hold: Sendable {
        var key: Limiter.CounterKey
        var meter: LimitMeter
        var reserved: Int64
    }

    var holds: [Hold]
    /// Where each limit stands after this request's reservation.
    public var statuses: [LimitStatus]
    /// Budgets whose spend crossed the soft threshold with this request's lease.
    public var alerts: [LimitStatus]

    /// Nothing reserved (no limits apply).
    public static let none = LimitAdmission(holds: [], statuses: [], alerts: [])
}
