import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SwitchyardCore
import SwitchyardProviders

/// `POST /v1/chat/completions`: parse what routing needs, try deployments in plan order until
/// one answers (failing over only before the client got a byte), pass the answer through, and
/// hand exactly one ledger entry per request to the ledger.
struct ChatController: Sendable {
    let gateway: Gateway

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.post("/chat/completions", use: self.chatCompletions)
    }

    @Sendable func chatCompletions(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        guard let identity = context.identity else {
            preconditionFailure("ClientAuthMiddleware runs before this route")
        }
        var record = LedgerRecorder(gateway: self.gateway, requestID: context.requestID, identity: identity)
        record.trace = RequestTrace(
            traceparent: request.headers[.traceparent],
            exporter: self.gateway.tracer,
            now: record.entry.time
        )

        let head: ChatRequestHead
        let plan: RoutePlan
        do {
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: self.gateway.config.maxRequestBodyBytes)
            } catch is NIOTooManyBytesError {
                throw GatewayError(
                    code: .requestTooLarge,
                    message:
                        "The request body is larger than the gateway's limit of \(self.gateway.config.maxRequestBodyBytes) bytes."
                )
            }
            head = try ChatRequestHead.parse(Array(body.readableBytesView))
            record.entry.model = head.model
            record.entry.stream = head.stream
            let caller = context.caller ?? Caller(identity: identity)
            let pin = RoutePin(
                cloud: request.headers[.switchyardCloud].flatMap { $0.isEmpty ? nil : $0 },
                region: request.headers[.switchyardRegion].flatMap { $0.isEmpty ? nil : $0 }
            )
            plan = try self.gateway.selector.route(
                model: head.model,
                tenant: identity.tenant,
                access: caller.access,
                at: record.entry.time,
                pin: pin,
                promptBytes: head.body.count
            )
            record.admission = try await self.admit(
                caller,
                head: head,
                plan: plan,
                at: record.entry.time,
                logger: context.logger
            )
        } catch let error as GatewayError {
            record.finish(status: error.code.status, errorCode: error.code.rawValue)
            throw error
        }
        return await self.attempt(plan: plan, head: head, record: record, context: context)
    }

    /// Tries the plan's deployments in order until one answers; failover happens only here,
    /// before anything was sent to the client. A model with `hedge` races a second deployment
    /// against the first once the first is slower than its p95 time to first byte.
    private func attempt(
        plan: RoutePlan,
        head: ChatRequestHead,
        record: LedgerRecorder,
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
            let race = await withTaskGroup(of: AttemptEvent.self) { group -> RaceOutcome in
                var outcome = RaceOutcome(launches: [primary])
                var running = 1
                group.addTask {
                    .finished(0, await self.run(primary, head: head, requestID: requestID, logger: logger))
                }
                if let hedgeDelay {
                    group.addTask {
                        try? await Task.sleep(for: hedgeDelay)
                        return .hedgeTimer
                    }
                }
                while let event = await group.next() {
                    switch event {
                    case .hedgeTimer:
                        guard running > 0, record.entry.attempts < plan.maxAttempts,
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

            let now = self.gateway.clock.now()
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
                self.gateway.limiter?.settle(launch.quota, actual: [.requests: 1, .tokens: 0])
                let health = self.gateway.selector.health[launch.candidate]
                health.releaseSlot()
                health.record(.abandoned, at: now)
                record.trace.attempt(
                    spanID: launch.spanID,
                    candidate: launch.candidate,
                    start: launch.wallStart,
                    end: now,
                    error: UpstreamError(kind: .streamInterrupted, message: "lost the hedge race")
                )
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

    /// Admits the plan's next deployment that will take the attempt (breaker, retry budget,
    /// backoff, an in-flight slot) and counts the attempt; nil when none is left.
    private func launch(
        _ cursor: inout PlanCursor,
        record: inout LedgerRecorder,
        requestDeadline: ContinuousClock.Instant?,
        hedge: Bool = false
    ) async -> Launch? {
        let routing = self.gateway.config.routing
        while let candidate = cursor.next() {
            guard self.gateway.providers.adapter(for: candidate.provider.id) != nil else { continue }
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
    private func run(
        _ launch: Launch,
        head: ChatRequestHead,
        requestID: String,
        logger: Logger
    ) async -> Result<UpstreamChatResponse, UpstreamError> {
        guard let adapter = self.gateway.providers.adapter(for: launch.candidate.provider.id) else {
            return .failure(UpstreamError(kind: .connectFailed, message: "no adapter for the provider"))
        }
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
                    try await adapter.chatCompletion(request, logger: logger)
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

    /// Reserves one request and the request's tokens against the deployment's known upstream
    /// quota (`rpm`/`tpm` of the deployment), shared by all replicas.
    /// - Throws: the ``LimitRejection`` when the quota is used up for this minute.
    private func reserveUpstreamQuota(
        _ candidate: RouteCandidate,
        head: ChatRequestHead,
        at instant: Date
    ) async throws(LimitRejection) -> LimitAdmission {
        let rules = candidate.deployment.upstreamLimits.rules
        guard let limiter = self.gateway.limiter, !rules.isEmpty else { return .none }
        let subject = "\(candidate.provider.id)/\(candidate.deployment.target)"
        let tokens = LimitReservation.tokens(head)
        let demands = rules.map { rule in
            LimitDemand(
                subjectKind: "deployment",
                subjectID: subject,
                rule: rule,
                amount: rule.amount(tokens: tokens, charge: .zero)
            )
        }
        do {
            return try await limiter.admit(demands, now: instant)
        } catch let rejection as LimitRejection {
            throw rejection
        } catch {
            return .none
        }
    }

    /// Reserves the request's maximum use against every limit of its key and tenant.
    /// - Throws: ``GatewayError`` 429 `rate_limit_exceeded` or `budget_exceeded`, with
    ///   `retry-after` and `x-ratelimit-*` headers.
    private func admit(
        _ caller: Caller,
        head: ChatRequestHead,
        plan: RoutePlan,
        at instant: Date,
        logger: Logger
    ) async throws(GatewayError) -> LimitAdmission {
        guard let limiter = self.gateway.limiter, !caller.tenantLimits.isEmpty || !caller.keyLimits.isEmpty else {
            return .none
        }
        // Tokens: about four bytes per prompt token plus the completion cap. Money: at most one
        // token per prompt byte plus the cap, so the reservation bounds the real charge.
        let completion = head.maxTokens ?? LimitReservation.defaultCompletionTokens
        let tokens = LimitReservation.tokens(head)
        let charge = plan.model.price.amount(
            for: TokenUsage(promptTokens: head.body.count, completionTokens: completion)
        )
        let admission: LimitAdmission
        do {
            admission = try await limiter.admit(caller.demands(tokens: tokens, charge: charge), now: instant)
        } catch let rejection as LimitRejection {
            self.gateway.telemetry.limitRefused(rejection.status.demand.rule.meter)
            var error = rejection.gatewayError(now: instant)
            error.headers = RateLimitHeaders.fields([rejection.status], now: instant)
            throw error
        } catch {
            throw GatewayError(code: .internalError, message: "The gateway failed to check its limits.")
        }
        for alert in admission.alerts {
            self.gateway.telemetry.budgetAlerted()
            logger.info(
                "budget alert threshold reached",
                metadata: [
                    "switchyard.budget.subject": "\(alert.demand.subjectKind):\(alert.demand.subjectID)",
                    "switchyard.budget.period": "\(alert.demand.rule.period.rawValue)",
                    "switchyard.budget.limit_usd": "\(USDNanos(alert.demand.rule.limit))",
                    "switchyard.budget.remaining_usd": "\(USDNanos(alert.remaining))",
                ]
            )
        }
        return admission
    }

    private func respond(
        _ answer: UpstreamChatResponse,
        candidate: RouteCandidate,
        head: ChatRequestHead,
        record: LedgerRecorder,
        watch: StreamWatch,
        logger: Logger
    ) -> Response {
        let health = self.gateway.selector.health[candidate]
        let clock = self.gateway.clock
        var headers = HTTPFields()
        headers[.switchyardProvider] = candidate.provider.id
        headers[.switchyardCloud] = candidate.provider.cloud
        if let region = candidate.provider.region { headers[.switchyardRegion] = region }
        headers[.switchyardAttempts] = String(record.entry.attempts)
        for (name, value) in RateLimitHeaders.fields(record.admission.statuses, now: record.entry.time) {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        switch answer {
        case .complete(let complete):
            health.releaseSlot()
            var record = record
            headers[.contentType] = "application/json"
            record.markFirstByte()
            record.usage = complete.usage
            if complete.usage == nil {
                record.estimate(completionBytes: complete.body.readableBytes, promptBytes: head.body.count)
            }
            record.finish(status: 200)
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: complete.body))

        case .stream(let stream):
            headers[.contentType] = "text/event-stream"
            headers[.cacheControl] = "no-cache"
            return Response(
                status: .ok,
                headers: headers,
                body: ResponseBody { [record] writer in
                    defer { health.releaseSlot() }
                    var record = record
                    var stream = stream
                    var writes = 0
                    var chunks = 0
                    do {
                        while let event = try await watch.next(&stream) {
                            switch event {
                            case .bytes(let bytes, let events):
                                try await writer.write(bytes)
                                if writes == 0 { record.markFirstByte() }
                                writes += 1
                                chunks += events
                            case .usage(let usage):
                                record.usage = usage
                            }
                        }
                    } catch let error as UpstreamError {
                        // Too late to fail over: tell the client in-band, as the OpenAI SDK expects.
                        health.record(.failure(reason: error.healthReason), at: clock.now())
                        let gatewayError = error.gatewayError
                        try? await writer.write(ByteBuffer(string: "data: \(gatewayError.jsonBody())\n\n"))
                        try? await writer.finish(nil)
                        record.estimateIfMissing(chunks: chunks, promptBytes: head.body.count)
                        record.finish(status: 200, errorCode: "upstream_stream_interrupted")
                        return
                    } catch {
                        // The client went away: the upstream request is cancelled as the stream is dropped.
                        record.estimateIfMissing(chunks: chunks, promptBytes: head.body.count)
                        record.finish(status: 499, errorCode: "client_disconnected")
                        throw error
                    }
                    try await writer.finish(nil)
                    record.estimateIfMissing(chunks: chunks, promptBytes: head.body.count)
                    record.finish(status: 200)
                }
            )
        }
    }
}

/// A started attempt.
struct Launch: Sendable {
    var candidate: RouteCandidate
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
    static func within<T: Sendable>(
        _ limit: Duration,
        error: UpstreamError,
        _ work: @escaping @Sendable () async throws(UpstreamError) -> T
    ) async throws(UpstreamError) -> T {
        guard limit > .zero else { throw error }
        do {
            return try await withThrowingTaskGroup(of: T.self) { group in
                group.addTask { try await work() }
                group.addTask {
                    try await Task.sleep(for: limit)
                    throw error
                }
                defer { group.cancelAll() }
                guard let first = try await group.next() else { throw error }
                return first
            }
        } catch let failure as UpstreamError {
            throw failure
        } catch {
            throw UpstreamError(kind: .streamInterrupted, message: "the request was cancelled")
        }
    }
}

extension UpstreamError {
    /// A short reason for the health endpoint.
    var healthReason: String { self.status.map { "HTTP \($0)" } ?? self.kind.description }
}

extension GatewayError.Code {
    /// Every deployment was at its in-flight limit.
    static let upstreamBusy = GatewayError.Code(rawValue: "upstream_busy", status: 503, type: "server_error")
}

/// Builds the one ledger entry of a request as it progresses.
struct LedgerRecorder: Sendable {
    let gateway: Gateway
    let started = ContinuousClock.now
    var entry: LedgerEntry
    var usage: TokenUsage?
    var estimated = false
    var deploymentCost: PriceSheet = .zero
    var price: PriceSheet = .zero
    /// What the limits reserved for this request; settled in ``finish(status:errorCode:)``.
    var admission = LimitAdmission.none
    /// What the answering deployment's upstream quota reserved; settled likewise.
    var upstreamQuota = LimitAdmission.none
    var trace: RequestTrace

    init(gateway: Gateway, requestID: String, identity: ClientIdentity) {
        self.gateway = gateway
        self.entry = LedgerEntry(
            requestID: requestID,
            time: gateway.clock.now(),
            tenant: identity.tenant,
            keyID: identity.keyID,
            model: "",
            status: 0,
            stream: false,
            attempts: 0,
            latencyMillis: 0
        )
        self.trace = RequestTrace(traceparent: nil, exporter: nil, now: gateway.clock.now())
    }

    mutating func attempt(_ candidate: RouteCandidate) {
        self.entry.attempts += 1
        self.serve(candidate)
    }

    /// The deployment that answers (the last attempted, or the hedge that won).
    mutating func serve(_ candidate: RouteCandidate) {
        self.entry.provider = candidate.provider.id
        self.entry.deployment = candidate.deployment.target
        self.entry.cloud = candidate.provider.cloud
        self.entry.region = candidate.provider.region
        self.deploymentCost = candidate.deployment.cost
        self.price = self.gateway.config.model(self.entry.model)?.price ?? .zero
    }

    mutating func markFirstByte() {
        if self.entry.timeToFirstByteMillis == nil {
            self.entry.timeToFirstByteMillis = Self.millis(ContinuousClock.now - self.started)
        }
    }

    /// About four bytes per token when the upstream reported no usage.
    mutating func estimate(completionBytes: Int, promptBytes: Int) {
        self.usage = TokenUsage(promptTokens: (promptBytes + 3) / 4, completionTokens: (completionBytes + 3) / 4)
        self.estimated = true
    }

    /// One token per streamed chunk after the first (which carries only the role) when the stream
    /// ended without a usage chunk.
    mutating func estimateIfMissing(chunks: Int, promptBytes: Int) {
        guard self.usage == nil else { return }
        self.usage = TokenUsage(promptTokens: (promptBytes + 3) / 4, completionTokens: max(0, chunks - 1))
        self.estimated = true
    }

    func finish(status: Int, errorCode: String? = nil) {
        var entry = self.entry
        entry.status = status
        entry.errorCode = errorCode
        entry.latencyMillis = Self.millis(ContinuousClock.now - self.started)
        if let usage = self.usage {
            entry.usage = usage
            entry.usageEstimated = self.estimated
            entry.cost = self.deploymentCost.amount(for: usage)
            entry.charge = self.price.amount(for: usage)
            entry.revenueShares = self.gateway.planner.contracts.accruals(
                model: entry.model,
                cloud: entry.cloud,
                at: entry.time,
                charge: entry.charge
            )
        }
        // Settle with the same exact charge and tokens the ledger records (first, so that
        // whoever sees the entry sees the limits settled).
        let actual: [LimitMeter: Int64] = [
            .requests: 1,
            .tokens: Int64(entry.usage.promptTokens + entry.usage.completionTokens),
            .usd: entry.charge.value,
        ]
        self.gateway.limiter?.settle(self.admission, actual: actual)
        self.gateway.limiter?.settle(self.upstreamQuota, actual: actual)
        self.gateway.ledger.record(entry)
        self.gateway.telemetry.finished(entry)
        self.trace.finish(entry, end: self.gateway.clock.now())
    }

    static func millis(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
