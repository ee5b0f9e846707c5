import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SwitchyardCore
import SwitchyardProviders
import Synchronization

/// A started attempt.
struct Launch: Sendable {
    var candidate: RouteCandidate
    /// The adapter that sends it (the provider's, on the client with the deployment's connect timeout).
    var adapter: any ProviderAdapter
    var started: ContinuousClock.Instant
    /// The end of the attempt's total time (its own `total`, or the request's), if limited.
    var deadline: ContinuousClock.Instant?
    var timeouts: EffectiveTimeouts
    /// The attempt's trace span ("" without tracing) and the context sent upstream.
    var spanID: String
    var traceparent: String?
    /// The start on the gateway's clock, for the trace.
    var wallStart: Date
    /// What the deployment's known upstream quota reserved for this attempt.
    var quota: LimitAdmission
}

/// What a (possibly hedged) round of attempts came to.
struct RaceOutcome {
    var launches: [Launch]
    var winner: (Int, UpstreamChatResponse)?
    var failures: [(Int, UpstreamError)] = []

    init(launches: [Launch]) { self.launches = launches }

    /// A round of one attempt.
    init(launches: [Launch], result: Result<UpstreamChatResponse, UpstreamError>) {
        self.launches = launches
        switch result {
        case .success(let answer): self.winner = (0, answer)
        case .failure(let error): self.failures = [(0, error)]
        }
    }
}

/// Events of a round of attempts.
enum AttemptEvent: Sendable {
    case finished(Int, Result<UpstreamChatResponse, UpstreamError>)
    case hedgeTimer
}

/// Walks the plan's candidates once, remembering why some were passed over.
struct PlanCursor {
    let plan: RoutePlan
    /// The request (upstream quotas reserve its tokens).
    let head: ChatRequestHead
    var position = 0
    /// Deployments skipped because their known upstream quota is used up.
    var atQuota: [LimitRejection] = []
    /// A deployment was at its in-flight limit.
    var busy = false
    /// The global retry budget refused a retry.
    var budgetSpent = false

    init(plan: RoutePlan, head: ChatRequestHead) {
        self.plan = plan
        self.head = head
    }

    mutating func next() -> RouteCandidate? {
        guard self.position < self.plan.candidates.count else { return nil }
        defer { self.position += 1 }
        return self.plan.candidates[self.position]
    }
}

/// The gateway's own timers on an upstream stream: the idle gap between chunks and the end
/// of the total time, when they are shorter than what the HTTP client already enforces (so the
/// common case costs no timer per chunk).
struct StreamWatch: Sendable {
    /// The idle timeout, enforced by a timer of the gateway's when `race` is set.
    var idle: Duration
    var race: Bool
    var deadline: ContinuousClock.Instant?

    func next(_ stream: inout ChatStream) async throws(UpstreamError) -> ChatStreamEvent? {
        // Keep-alive bytes without events reset the HTTP client's read timeout: the source
        // checks the idle time itself whenever such bytes arrive.
        guard self.race || self.deadline != nil else { return try await stream.next(idleLimit: self.idle) }
        var limit = self.idle
        var error = Deadlines.idleError
        if let deadline = self.deadline, deadline - ContinuousClock.now < limit {
            limit = deadline - ContinuousClock.now
            error = Deadlines.totalError
        }
        let current = stream
        let (event, advanced) = try await Deadlines.within(limit, error: error) {
            () async throws(UpstreamError) -> (ChatStreamEvent?, ChatStream) in
            var stream = current
            let event = try await stream.next(idleLimit: nil)
            return (event, stream)
        }
        stream = advanced
        return event
    }
}

/// Runs upstream work under a deadline.
enum Deadlines {
    static let firstByteError = UpstreamError(kind: .timeout, message: "no first byte within the first-byte timeout")
    static let idleError = UpstreamError(kind: .timeout, message: "the upstream stream stalled (idle timeout)")
    static let totalError = UpstreamError(kind: .timeout, message: "the request ran out of its total time")

    /// The result of `work`, or `error` once `limit` has passed (the work is then cancelled,
    /// which cancels its upstream request).
    ///
    /// The work runs in a task of its own, so that cancelling it leaves the caller's task
    /// intact for a failover; the timer is an event-loop timer (a `Task.sleep` on Linux goes
    /// through Dispatch's timer thread: measurably dearer at thousands of requests a second).
    static func within<T: Sendable>(
        _ limit: Duration,
        error: UpstreamError,
        _ work: @escaping @Sendable () async throws(UpstreamError) -> T
    ) async throws(UpstreamError) -> T {
        guard limit > .zero else { throw error }
        let task = Task { () async throws(UpstreamError) -> T in try await work() }
        let expired = ExpiryFlag()
        let timer = HTTPClient.defaultEventLoopGroup.any().scheduleTask(in: TimeAmount(limit)) {
            expired.value.store(true, ordering: .relaxed)
            task.cancel()
        }
        let result = await withTaskCancellationHandler {
            await task.result
        } onCancel: {
            task.cancel()
        }
        timer.cancel()
        switch result {
        case .success(let value):
            return value
        case .failure(let failure):
            if expired.value.load(ordering: .relaxed) { throw error }
            throw (failure as? UpstreamError)
                ?? UpstreamError(kind: .streamInterrupted, message: "the request was cancelled")
        }
    }

    private final class ExpiryFlag: Sendable {
        let value = Atomic<Bool>(false)
    }
}

extension UpstreamError {
    /// A short reason for the health endpoint.
    var healthReason: String { self.status.map { "HTTP \($0)" } ?? self.kind.description }
}

extension GatewayError.Code {
    /// Every deployment was at its in-flight limit.
    static let upstreamBusy = GatewayError.Code(rawValue: "upstream_busy", status: 503, type: "server_error")
    /// The client closed the connection before the answer (nginx's 499; never delivered).
    static let clientDisconnected = GatewayError.Code(
        rawValue: "client_disconnected",
        status: 499,
        type: "invalid_request_error"
    )
}
