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
            plan = try self.gateway.planner.plan(
                model: head.model,
                tenant: identity.tenant,
                access: caller.access,
                at: record.entry.time
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

        var lastError: UpstreamError?
        var attempts = 0
        var atQuota: [LimitRejection] = []
        for candidate in plan.candidates {
            guard attempts < plan.maxAttempts else { break }
            // A deployment whose known upstream quota is used up is skipped, not tried: no 429
            // from upstream, no attempt spent.
            let quota: LimitAdmission
            do {
                quota = try await self.reserveUpstreamQuota(candidate, head: head, at: record.entry.time)
            } catch {
                atQuota.append(error)
                continue
            }
            attempts += 1
            record.attempt(candidate)
            guard let adapter = self.gateway.providers.adapter(for: candidate.provider.id) else {
                self.gateway.limiter?.settle(quota, actual: [.requests: 0, .tokens: 0])
                continue
            }
            record.upstreamQuota = quota
            var attempt = UpstreamChatRequest(
                head: head,
                candidate: candidate,
                requestID: context.requestID,
                firstByteTimeout: self.gateway.config.routing.firstByteTimeout
            )
            let attemptSpan = self.gateway.tracer == nil ? "" : TraceContext.randomID(bytes: 8)
            attempt.traceparent = record.trace.traceparent(attempt: attemptSpan)
            let attemptStart = self.gateway.clock.now()
            do {
                let answer = try await adapter.chatCompletion(attempt, logger: context.logger)
                record.trace.attempt(
                    spanID: attemptSpan,
                    candidate: candidate,
                    start: attemptStart,
                    end: self.gateway.clock.now(),
                    error: nil
                )
                return self.respond(
                    answer,
                    plan: plan,
                    candidate: candidate,
                    head: head,
                    record: record,
                    logger: context.logger
                )
            } catch {
                lastError = error
                // The upstream saw the request but charged no tokens.
                self.gateway.limiter?.settle(quota, actual: [.requests: 1, .tokens: 0])
                record.upstreamQuota = .none
                record.trace.attempt(
                    spanID: attemptSpan,
                    candidate: candidate,
                    start: attemptStart,
                    end: self.gateway.clock.now(),
                    error: error
                )
                context.logger.debug(
                    "upstream attempt failed",
                    metadata: ["gen_ai.provider.name": "\(candidate.provider.id)", "error.type": "\(error.kind)"]
                )
                if !error.isRetryable { break }
            }
        }

        if lastError == nil, let soonest = atQuota.min(by: { $0.status.reset < $1.status.reset }) {
            let now = record.entry.time
            var error = GatewayError(
                code: .rateLimited,
                message:
                    "Every deployment of '\(head.model)' is at its upstream rate limit until \(InstantText.format(soonest.status.reset)).",
                retryAfterSeconds: max(1, Int(soonest.status.reset.timeIntervalSince(now).rounded(.up)))
            )
            error.headers = RateLimitHeaders.fields([soonest.status], now: now)
            // Refused by the gateway before any upstream saw it: the tenant's limits get it back.
            self.gateway.limiter?.settle(record.admission, actual: [.requests: 0, .tokens: 0, .usd: 0])
            record.admission = .none
            record.finish(status: 429, errorCode: error.code.rawValue)
            throw error
        }
        let failure = lastError ?? UpstreamError(kind: .connectFailed, message: "no deployment could be tried")
        if let body = failure.clientErrorBody, let status = failure.status {
            record.finish(status: status, errorCode: "upstream_\(status)")
            throw UpstreamPassThroughError(status: status, body: body)
        }
        let error = failure.gatewayError
        record.finish(status: error.code.status, errorCode: error.code.rawValue)
        throw error
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
        plan: RoutePlan,
        candidate: RouteCandidate,
        head: ChatRequestHead,
        record: LedgerRecorder,
        logger: Logger
    ) -> Response {
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
                    var record = record
                    var stream = stream
                    var writes = 0
                    var chunks = 0
                    do {
                        while let event = try await stream.next() {
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
        self.trace = RequestTrace(traceparent: nil, exporter: nil, now: gateway.clock.now())
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
    }

    mutating func attempt(_ candidate: RouteCandidate) {
        self.entry.attempts += 1
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
