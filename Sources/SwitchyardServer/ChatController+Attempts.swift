import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SwitchyardCore
import SwitchyardProviders

extension ChatController {
    /// Tries the plan's deployments in order until one answers; failover happens only here,
    /// before anything was sent to the client. A model with `hedge` races a second deployment
    /// against the first once the first is slower than its p95 time to first byte.
    func attempt(
        plan: RoutePlan,
        head: ChatRequestHead,
        record: LedgerRecorder,
        connection: ClientConnection,
        context: GatewayRequestContext
    ) async -> Response {
        var record = record
        var cursor = PlanCursor(plan: plan, head: head)
        self.gateway.retryBudget.recordRequest()
        let requestDeadline = self.gateway.config.routing.totalTimeout.map { ContinuousClock.now + $0 }
        let requestID = context.requestID
        let logger = context.logger

        var lastError: UpstreamError?
        while record.entry.attempts < plan.maxAttempts {
            guard let primary = await self.launch(&cursor, record: &record, requestDeadline: requestDeadline) else {
                break
            }
            let hedgeDelay =
                plan.model.hedge && record.entry.attempts == 1
                ? self.gateway.selector.health[primary.candidate].p95TTFB : nil
            let race: RaceOutcome
            if let hedgeDelay {
                race = await self.hedgedRace(
                    primary,
                    after: hedgeDelay,
                    cursor: &cursor,
                    record: &record,
                    requestDeadline: requestDeadline,
                    context: context
                )
            } else {
                // One attempt at a time needs no task group (the attempt still runs in a task
                // of its own, for its first-byte timeout: see `run`).
                let result = await self.run(primary, head: head, requestID: requestID, logger: logger)
                race = RaceOutcome(launches: [primary], result: result)
            }

            let now = self.gateway.clock.now()
            if race.winner == nil && connection.isGone {
                return self.abandon(race.launches, record: record, at: now)
            }
            var stop = false
            for (index, error) in race.failures {
                let launch = race.launches[index]
                // The upstream saw the request but charged no tokens.
                self.gateway.limiter?.settle(launch.quota, actual: [.requests: 1, .tokens: 0])
                let health = self.gateway.selector.health[launch.candidate]
                health.releaseSlot()
                Self.recordFailure(error, on: health, at: now)
                record.trace.attempt(
                    spanID: launch.spanID,
                    candidate: launch.candidate,
                    start: launch.wallStart,
                    end: now,
                    error: error
                )
                lastError = error
                logger.debug(
                    "upstream attempt failed",
                    metadata: [
                        "gen_ai.provider.name": "\(launch.candidate.provider.id)", "error.type": "\(error.kind)",
                    ]
                )
                if !error.isRetryable { stop = true }
            }
            for (index, launch) in race.launches.enumerated()
            where race.winner?.0 != index && !race.failures.contains(where: { $0.0 == index }) {
                // The hedge that lost: cancelled, not a verdict on the deployment, not billed.
                self.cancelled(launch, because: "lost the hedge race", record: &record, at: now)
            }
            if let (index, answer) = race.winner {
                let launch = race.launches[index]
                self.gateway.selector.health[launch.candidate].record(
                    .success(timeToFirstByte: ContinuousClock.now - launch.started),
                    at: now
                )
                record.serve(launch.candidate)
                record.upstreamQuota = launch.quota
                record.trace.attempt(
                    spanID: launch.spanID,
                    candidate: launch.candidate,
                    start: launch.wallStart,
                    end: now,
                    error: nil
                )
                let race = launch.timeouts.idle < self.gateway.upstreamReadTimeout
                return self.respond(
                    answer,
                    candidate: launch.candidate,
                    head: head,
                    record: record,
                    watch: StreamWatch(idle: launch.timeouts.idle, race: race, deadline: launch.deadline),
                    connection: connection,
                    logger: logger
                )
            }
            if stop { break }
            if let requestDeadline, ContinuousClock.now >= requestDeadline { break }
        }

        var response: Response
        if let failure = lastError, let body = failure.clientErrorBody, let status = failure.status {
            record.finish(status: status, errorCode: "upstream_\(status)")
            response = GatewayMiddleware.errorResponse(
                UpstreamPassThroughError(status: status, body: body),
                logger: logger
            )
        } else {
            let error: GatewayError
            if let failure = lastError {
                error = failure.gatewayError
            } else if let soonest = cursor.atQuota.min(by: { $0.status.reset < $1.status.reset }) {
                let now = record.entry.time
                var quotaError = GatewayError(
                    code: .rateLimited,
                    message:
                        "Every deployment of '\(head.model)' is at its upstream rate limit until \(InstantText.format(soonest.status.reset)).",
                    retryAfterSeconds: max(1, Int(soonest.status.reset.timeIntervalSince(now).rounded(.up)))
                )
                quotaError.headers = RateLimitHeaders.fields([soonest.status], now: now)
                // Refused by the gateway before any upstream saw it: the tenant's limits get it back.
                self.gateway.limiter?.settle(record.admission, actual: [.requests: 0, .tokens: 0, .usd: 0])
                record.admission = .none
                error = quotaError
            } else if cursor.busy {
                error = GatewayError(
                    code: .upstreamBusy,
                    message: "Every deployment of this model is at its limit of requests in flight. Retry later.",
                    retryAfterSeconds: 1
                )
            } else {
                error = UpstreamError(kind: .connectFailed, message: "no deployment could be tried").gatewayError
            }
            if cursor.budgetSpent {
                logger.debug("retry budget exhausted: no further attempt", metadata: ["error.type": "\(error.code)"])
            }
            record.finish(status: error.code.status, errorCode: error.code.rawValue)
            response = GatewayMiddleware.response(for: error)
        }
        response.headers[.switchyardAttempts] = String(record.entry.attempts)
        return response
    }

    /// The primary attempt, raced by a second deployment once the primary has not answered
    /// within `hedgeDelay`: the first answer wins.
    func hedgedRace(
        _ primary: Launch,
        after hedgeDelay: Duration,
        cursor: inout PlanCursor,
        record: inout LedgerRecorder,
        requestDeadline: ContinuousClock.Instant?,
        context: GatewayRequestContext
    ) async -> RaceOutcome {
        let head = cursor.head
        let requestID = context.requestID
        let logger = context.logger
        return await withTaskGroup(of: AttemptEvent.self) { group -> RaceOutcome in
            var outcome = RaceOutcome(launches: [primary])
            var running = 1
            group.addTask {
                .finished(0, await self.run(primary, head: head, requestID: requestID, logger: logger))
            }
            group.addTask {
                try? await Task.sleep(for: hedgeDelay)
                return .hedgeTimer
            }
            while let event = await group.next() {
                switch event {
                case .hedgeTimer:
                    guard running > 0, record.entry.attempts < cursor.plan.maxAttempts,
                        let second = await self.launch(
                            &cursor,
                            record: &record,
                            requestDeadline: requestDeadline,
                            hedge: true
                        )
                    else { continue }
                    let index = outcome.launches.count
                    outcome.launches.append(second)
                    running += 1
                    group.addTask {
                        .finished(index, await self.run(second, head: head, requestID: requestID, logger: logger))
                    }
                case .finished(let index, .success(let answer)):
                    outcome.winner = (index, answer)
                    group.cancelAll()
                    return outcome
                case .finished(let index, .failure(let error)):
                    outcome.failures.append((index, error))
                    running -= 1
                    if running == 0 {
                        group.cancelAll()
                        return outcome
                    }
                }
            }
            return outcome
        }
    }

    /// Books an attempt the gateway cancelled: its slot and quota go back, and it counts
    /// neither for nor against the deployment.
    func cancelled(_ launch: Launch, because reason: String, record: inout LedgerRecorder, at now: Date) {
        self.gateway.limiter?.settle(launch.quota, actual: [.requests: 1, .tokens: 0])
        let health = self.gateway.selector.health[launch.candidate]
        health.releaseSlot()
        health.record(.abandoned, at: now)
        record.trace.attempt(
            spanID: launch.spanID,
            candidate: launch.candidate,
            start: launch.wallStart,
            end: now,
            error: UpstreamError(kind: .streamInterrupted, message: reason)
        )
    }

    /// The client left while its attempts ran: they were cancelled, which says nothing about
    /// the deployments, and nothing was answered.
    func abandon(_ launches: [Launch], record: LedgerRecorder, at now: Date) -> Response {
        var record = record
        for launch in launches { self.cancelled(launch, because: "the client left", record: &record, at: now) }
        record.finish(status: 499, errorCode: "client_disconnected")
        var response = GatewayMiddleware.response(
            for: GatewayError(code: .clientDisconnected, message: "The client closed the connection.")
        )
        response.headers[.switchyardAttempts] = String(record.entry.attempts)
        return response
    }

    /// Admits the plan's next deployment that will take the attempt (breaker, retry budget,
    /// backoff, an in-flight slot) and counts the attempt; nil when none is left.
    func launch(
        _ cursor: inout PlanCursor,
        record: inout LedgerRecorder,
        requestDeadline: ContinuousClock.Instant?,
        hedge: Bool = false
    ) async -> Launch? {
        let routing = self.gateway.config.routing
        while let candidate = cursor.next() {
            guard let adapter = self.gateway.providers.adapter(for: candidate) else { continue }
            let health = self.gateway.selector.health[candidate]
            guard health.admit(at: self.gateway.clock.now(), force: cursor.plan.forced) else { continue }
            // A deployment whose known upstream quota is used up is skipped, not tried: no 429
            // from upstream, no attempt (nor retry budget) spent.
            let quota: LimitAdmission
            do {
                quota = try await self.reserveUpstreamQuota(candidate, head: cursor.head, at: record.entry.time)
            } catch {
                health.record(.abandoned, at: self.gateway.clock.now())
                cursor.atQuota.append(error)
                continue
            }
            if record.entry.attempts > 0 {
                guard self.gateway.retryBudget.tryRetry() else {
                    self.gateway.limiter?.settle(quota, actual: [.requests: 0, .tokens: 0])
                    health.record(.abandoned, at: self.gateway.clock.now())
                    cursor.budgetSpent = true
                    return nil
                }
                let delay = Backoff.delay(
                    retry: record.entry.attempts,
                    base: routing.backoffBase,
                    max: routing.backoffMax
                )
                if !hedge && delay > .zero { try? await Task.sleep(for: delay) }
            }
            let limit = candidate.deployment.maxInFlight ?? routing.maxInFlight
            guard await health.acquireSlot(limit: limit, wait: hedge ? .zero : routing.queueTimeout) else {
                self.gateway.limiter?.settle(quota, actual: [.requests: 0, .tokens: 0])
                health.record(.abandoned, at: self.gateway.clock.now())
                cursor.busy = true
                continue
            }
            record.attempt(candidate)
            let timeouts = routing.timeouts(for: candidate.deployment)
            let started = ContinuousClock.now
            var deadline = timeouts.total.map { started + $0 }
            if let requestDeadline { deadline = min(deadline ?? requestDeadline, requestDeadline) }
            let spanID = self.gateway.tracer == nil ? "" : TraceContext.randomID(bytes: 8)
            return Launch(
                candidate: candidate,
                adapter: adapter,
                started: started,
                deadline: deadline,
                timeouts: timeouts,
                spanID: spanID,
                traceparent: record.trace.traceparent(attempt: spanID),
                wallStart: self.gateway.clock.now(),
                quota: quota
            )
        }
        return nil
    }

    /// One attempt: the adapter call, bounded by the first-byte timeout (and what is left of
    /// the total time).
    func run(
        _ launch: Launch,
        head: ChatRequestHead,
        requestID: String,
        logger: Logger
    ) async -> Result<UpstreamChatResponse, UpstreamError> {
        let firstByte =
            launch.deadline.map { min(launch.timeouts.firstByte, $0 - launch.started) } ?? launch.timeouts.firstByte
        var upstream = UpstreamChatRequest(
            head: head,
            candidate: launch.candidate,
            requestID: requestID,
            firstByteTimeout: firstByte
        )
        upstream.traceparent = launch.traceparent
        let request = upstream
        do {
            return .success(
                try await Deadlines.within(firstByte, error: Deadlines.firstByteError) {
                    () async throws(UpstreamError) -> UpstreamChatResponse in
                    try await launch.adapter.chatCompletion(request, logger: logger)
                }
            )
        } catch {
            return .failure(error)
        }
    }

    /// What a failed attempt says about the deployment's health.
    static func recordFailure(_ error: UpstreamError, on health: DeploymentHealth, at now: Date) {
        let hinted = error.retryAfterSeconds.map { Duration.seconds($0) }
        switch error.status {
        case 429?:
            health.record(.throttled(cooldown: hinted ?? .seconds(1)), at: now)
        case let status? where !error.isRetryable && (400..<500).contains(status):
            // The request's own fault (400, 404, 422): the deployment works.
            health.record(.abandoned, at: now)
        default:
            health.record(.failure(reason: error.healthReason), at: now)
            if let hinted, error.status == 503 { health.record(.throttled(cooldown: hinted), at: now) }
        }
    }
}
