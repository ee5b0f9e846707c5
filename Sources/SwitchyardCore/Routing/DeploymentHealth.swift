import Foundation
import Synchronization

/// The circuit breaker state of a deployment.
public enum BreakerState: String, Sendable, Hashable, Codable {
    /// Requests flow.
    case closed
    /// Requests skip the deployment until the open period ends.
    case open
    /// The open period ended: one probe request may try the deployment; its outcome closes or
    /// re-opens the breaker.
    case halfOpen = "half_open"
}

/// How an attempt on a deployment ended, as far as its health is concerned.
public enum AttemptOutcome: Sendable, Hashable {
    /// The deployment answered (also a client error such as 400: the deployment works).
    case success(timeToFirstByte: Duration)
    /// The deployment failed (5xx, timeout, refused connection, broken answer).
    case failure(reason: String)
    /// The deployment is throttling (429): cool down for `cooldown`; not a breaker failure.
    case throttled(cooldown: Duration)
    /// The attempt ended for reasons that say nothing about the deployment (the client left,
    /// a hedge lost the race).
    case abandoned
}

/// Whether a deployment may be tried now.
public enum Availability: Sendable, Hashable {
    /// Closed breaker, no cooldown.
    case available
    /// The open period is over: the next request may probe it.
    case probe
    /// Open breaker or cooling down until the given instant (or, half-open, while a probe is out).
    case unavailable(until: Date)
}

/// A point-in-time view of one deployment's health (the admin endpoint and metrics read these).
public struct DeploymentHealthSnapshot: Sendable, Hashable, Encodable {
    /// Provider id.
    public var provider: String
    /// Upstream model or deployment name.
    public var target: String
    /// The provider's cloud.
    public var cloud: String
    /// The provider's region.
    public var region: String?
    /// Breaker state.
    public var state: BreakerState
    /// Whether routing tries the deployment now.
    public var available: Bool
    /// Exponentially weighted moving average of the time to first byte, in milliseconds.
    public var ewmaTTFBMillis: Double?
    /// Failed share of the attempts in the breaker window.
    public var errorRate: Double
    /// Attempts in the breaker window.
    public var windowRequests: Int
    /// Failures in a row.
    public var consecutiveFailures: Int
    /// When the open breaker lets a probe through.
    public var openUntil: Date?
    /// When a throttling cooldown (`retry-after`, `x-ratelimit-reset-*`) ends.
    public var cooldownUntil: Date?
    /// Requests in flight.
    public var inFlight: Int
    /// The last failure's reason.
    public var lastFailure: String?
    /// How often the breaker opened since start.
    public var opened: Int

    enum CodingKeys: String, CodingKey {
        case provider, target, cloud, region, state, available
        case ewmaTTFBMillis = "ewma_ttfb_ms"
        case errorRate = "error_rate"
        case windowRequests = "window_requests"
        case consecutiveFailures = "consecutive_failures"
        case openUntil = "open_until"
        case cooldownUntil = "cooldown_until"
        case inFlight = "in_flight"
        case lastFailure = "last_failure"
        case opened
    }
}

/// The live health of one deployment: latency, error window, circuit breaker, cooldown and
/// in-flight slots. One small lock per deployment, held for a few arithmetic operations only.
public final class DeploymentHealth: Sendable {
    /// Buckets of the error-rate window.
    static let bucketCount = 10
    /// Weight of a new sample in the latency average.
    static let ewmaAlpha = 0.2

    struct Bucket {
        var epoch: Int64 = .min
        var successes = 0
        var failures = 0
    }

    struct State {
        var ewmaMillis: Double?
        var ewmaDeviationMillis: Double = 0
        var consecutiveFailures = 0
        var buckets = [Bucket](repeating: Bucket(), count: DeploymentHealth.bucketCount)
        var breaker = BreakerState.closed
        var openUntil: Double = 0
        var probeOut = false
        var cooldownUntil: Double = 0
        var lastFailure: String?
        var opened = 0
        var inFlight = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Bool, Never>)] = []
        var nextWaiter: UInt64 = 0
        var unregistered = Set<UInt64>()
        var abandoned = Set<UInt64>()
    }

    /// The candidate this health belongs to.
    public let candidate: RouteCandidate
    let breaker: BreakerConfig
    let bucketSeconds: Double
    private let state = Mutex(State())

    /// Creates the health of `candidate` under `breaker` settings.
    public init(candidate: RouteCandidate, breaker: BreakerConfig) {
        self.candidate = candidate
        self.breaker = breaker
        self.bucketSeconds = max(0.001, Self.seconds(breaker.window) / Double(Self.bucketCount))
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    static func millis(_ duration: Duration) -> Double { Self.seconds(duration) * 1000 }

    /// Whether the deployment may be tried at `now` (read-only: a probe is claimed by ``admit(at:force:)``).
    public func availability(at now: Date) -> Availability {
        let t = now.timeIntervalSinceReferenceDate
        return self.state.withLock { state in Self.availability(state, at: t) }
    }

    private static func availability(_ state: State, at t: Double) -> Availability {
        var blockedUntil = state.cooldownUntil > t ? state.cooldownUntil : 0
        switch state.breaker {
        case .closed: break
        case .open:
            if state.openUntil > t {
                blockedUntil = max(blockedUntil, state.openUntil)
            } else if blockedUntil == 0 {
                return .probe
            }
        case .halfOpen:
            if state.probeOut { blockedUntil = max(blockedUntil, t) }
        }
        if blockedUntil > 0 { return .unavailable(until: Date(timeIntervalSinceReferenceDate: blockedUntil)) }
        return state.breaker == .closed ? .available : .probe
    }

    /// Claims the right to send an attempt now: always when closed; the single probe when the
    /// open period is over. `force` admits anyway (every deployment is unavailable and the
    /// request tries the best of them rather than failing blind).
    public func admit(at now: Date, force: Bool = false) -> Bool {
        let t = now.timeIntervalSinceReferenceDate
        return self.state.withLock { state in
            switch Self.availability(state, at: t) {
            case .available: return true
            case .probe:
                state.breaker = .halfOpen
                state.probeOut = true
                return true
            case .unavailable:
                if force && state.breaker != .closed { state.probeOut = true }
                return force
            }
        }
    }

    /// Records how an attempt ended.
    public func record(_ outcome: AttemptOutcome, at now: Date) {
        let t = now.timeIntervalSinceReferenceDate
        self.state.withLock { state in
            switch outcome {
            case .success(let ttfb):
                let sample = Self.millis(ttfb)
                if let mean = state.ewmaMillis {
                    state.ewmaDeviationMillis += Self.ewmaAlpha * (abs(sample - mean) - state.ewmaDeviationMillis)
                    state.ewmaMillis = mean + Self.ewmaAlpha * (sample - mean)
                } else {
                    state.ewmaMillis = sample
                }
                state.consecutiveFailures = 0
                self.count(&state, at: t, failed: false)
                if state.breaker != .closed {
                    state.breaker = .closed
                    state.probeOut = false
                }
            case .failure(let reason):
                state.lastFailure = reason
                state.consecutiveFailures += 1
                self.count(&state, at: t, failed: true)
                if state.breaker == .halfOpen || self.shouldOpen(state, at: t) {
                    if state.breaker != .open { state.opened += 1 }
                    state.breaker = .open
                    state.probeOut = false
                    state.openUntil = t + Self.seconds(self.breaker.openFor)
                }
            case .throttled(let cooldown):
                state.lastFailure = "throttled"
                state.cooldownUntil = max(state.cooldownUntil, t + Self.seconds(cooldown))
                if state.breaker == .halfOpen { state.probeOut = false }
            case .abandoned:
                if state.breaker == .halfOpen { state.probeOut = false }
            }
        }
    }

    private func count(_ state: inout State, at t: Double, failed: Bool) {
        let epoch = Int64((t / self.bucketSeconds).rounded(.down))
        let index = Int(epoch.magnitude % UInt64(Self.bucketCount))
        if state.buckets[index].epoch != epoch { state.buckets[index] = Bucket(epoch: epoch) }
        if failed { state.buckets[index].failures += 1 } else { state.buckets[index].successes += 1 }
    }

    private func window(_ state: State, at t: Double) -> (requests: Int, failures: Int) {
        let epoch = Int64((t / self.bucketSeconds).rounded(.down))
        var requests = 0
        var failures = 0
        for bucket in state.buckets where bucket.epoch > epoch - Int64(Self.bucketCount) && bucket.epoch <= epoch {
            requests += bucket.successes + bucket.failures
            failures += bucket.failures
        }
        return (requests, failures)
    }

    private func shouldOpen(_ state: State, at t: Double) -> Bool {
        if state.consecutiveFailures >= self.breaker.consecutiveFailures { return true }
        let (requests, failures) = self.window(state, at: t)
        return requests >= self.breaker.minimumRequests
            && Double(failures) >= self.breaker.errorRate * Double(requests)
    }

    /// The latency average in milliseconds (nil before the first success).
    public var ewmaTTFBMillis: Double? { self.state.withLock { $0.ewmaMillis } }

    /// An estimate of the 95th percentile of the time to first byte: the moving average plus
    /// two moving mean deviations (nil before the first success). Hedging waits this long.
    public var p95TTFB: Duration? {
        self.state.withLock { state in
            state.ewmaMillis.map { .microseconds(Int64(($0 + 2 * state.ewmaDeviationMillis) * 1000)) }
        }
    }

    /// A snapshot for the admin API and metrics.
    public func snapshot(at now: Date) -> DeploymentHealthSnapshot {
        let t = now.timeIntervalSinceReferenceDate
        return self.state.withLock { state in
            let (requests, failures) = self.window(state, at: t)
            var available = false
            switch Self.availability(state, at: t) {
            case .available, .probe: available = true
            case .unavailable: available = false
            }
            let open = state.breaker == .open && state.openUntil > t
            return DeploymentHealthSnapshot(
                provider: self.candidate.provider.id,
                target: self.candidate.deployment.target,
                cloud: self.candidate.provider.cloud,
                region: self.candidate.provider.region,
                state: state.breaker == .open && !open ? .halfOpen : state.breaker,
                available: available,
                ewmaTTFBMillis: state.ewmaMillis,
                errorRate: requests == 0 ? 0 : Double(failures) / Double(requests),
                windowRequests: requests,
                consecutiveFailures: state.consecutiveFailures,
                openUntil: open ? Date(timeIntervalSinceReferenceDate: state.openUntil) : nil,
                cooldownUntil: state.cooldownUntil > t
                    ? Date(timeIntervalSinceReferenceDate: state.cooldownUntil) : nil,
                inFlight: state.inFlight,
                lastFailure: state.lastFailure,
                opened: state.opened
            )
        }
    }

    // MARK: in-flight slots

    /// Takes one of `limit` in-flight slots, waiting up to `wait` for one to free up.
    /// - Returns: whether a slot was taken (then ``releaseSlot()`` must follow).
    public func acquireSlot(limit: Int?, wait: Duration) async -> Bool {
        guard let limit else {
            self.state.withLock { $0.inFlight += 1 }
            return true
        }
        let ticket = self.state.withLock { state -> UInt64? in
            if state.inFlight < limit && state.waiters.isEmpty {
                state.inFlight += 1
                return nil
            }
            state.nextWaiter += 1
            state.unregistered.insert(state.nextWaiter)
            return state.nextWaiter
        }
        guard let ticket else { return true }
        return await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await Task.sleep(for: wait)
                self.abandonWait(ticket)
            }
            let granted = await withCheckedContinuation { continuation in
                let immediate = self.state.withLock { state -> Bool? in
                    state.unregistered.remove(ticket)
                    if state.abandoned.remove(ticket) != nil { return false }
                    if state.inFlight < limit && state.waiters.isEmpty {
                        state.inFlight += 1
                        return true
                    }
                    state.waiters.append((ticket, continuation))
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
            group.cancelAll()
            return granted
        }
    }

    private func abandonWait(_ ticket: UInt64) {
        let continuation = self.state.withLock { state -> CheckedContinuation<Bool, Never>? in
            if state.unregistered.contains(ticket) {
                state.abandoned.insert(ticket)
                return nil
            }
            guard let index = state.waiters.firstIndex(where: { $0.id == ticket }) else { return nil }
            return state.waiters.remove(at: index).continuation
        }
        continuation?.resume(returning: false)
    }

    /// Frees a slot taken by ``acquireSlot(limit:wait:)``, handing it to the longest waiter.
    public func releaseSlot() {
        let next = self.state.withLock { state -> CheckedContinuation<Bool, Never>? in
            if !state.waiters.isEmpty { return state.waiters.removeFirst().continuation }
            state.inFlight -= 1
            return nil
        }
        next?.resume(returning: true)
    }
}
