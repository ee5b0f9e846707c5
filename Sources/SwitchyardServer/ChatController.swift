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
    /// Tells a request when its client has left, to cancel the upstream at once.
    let connections: ClientConnections

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.post("/chat/completions", use: self.chatCompletions)
    }

    @Sendable func chatCompletions(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        guard let caller = context.caller else {
            preconditionFailure("ClientAuthMiddleware runs before this route")
        }
        let identity = caller.identity
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
            record.price = plan.model.price
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
        let connection = self.connections.connection(of: context.channel)
        return await connection.whileConnected {
            await self.attempt(plan: plan, head: head, record: record, connection: connection, context: context)
        }
    }

    func respond(
        _ answer: UpstreamChatResponse,
        candidate: RouteCandidate,
        head: ChatRequestHead,
        record: LedgerRecorder,
        watch: StreamWatch,
        connection: ClientConnection,
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
            if Task.isCancelled {
                // The client left as the answer came: the upstream's work is recorded, not delivered.
                record.finish(status: 499, errorCode: "client_disconnected")
            } else {
                record.finish(status: 200)
            }
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
                    // The client has the stream's terminating `data: [DONE]`: a client that
                    // leaves now (the SDKs close right away) got a complete answer.
                    var delivered = false
                    do {
                        // Also while the upstream is silent: a client that leaves cancels the read.
                        try await connection.whileConnected {
                            while let event = try await watch.next(&stream) {
                                switch event {
                                case .bytes(let bytes, let events):
                                    try await writer.write(bytes)
                                    if writes == 0 { record.markFirstByte() }
                                    writes += 1
                                    chunks += events
                                    delivered = Self.endsStream(bytes)
                                case .usage(let usage):
                                    record.usage = usage
                                }
                            }
                        }
                    } catch let error as UpstreamError where !connection.isGone {
                        // Too late to fail over: tell the client in-band, as the OpenAI SDK expects.
                        health.record(.failure(reason: error.healthReason), at: clock.now())
                        let gatewayError = error.gatewayError
                        try? await writer.write(ByteBuffer(string: "data: \(gatewayError.jsonBody())\n\n"))
                        try? await writer.finish(nil)
                        record.estimateIfMissing(chunks: chunks, promptBytes: head.body.count)
                        record.finish(status: 200, errorCode: "upstream_stream_interrupted")
                        return
                    } catch {
                        // The client went away: the upstream request is cancelled with the read.
                        if !delivered {
                            record.estimateIfMissing(chunks: chunks, promptBytes: head.body.count)
                            record.finish(status: 499, errorCode: "client_disconnected")
                            throw error
                        }
                    }
                    // Recorded before the last write, which fails if the client has already left.
                    record.estimateIfMissing(chunks: chunks, promptBytes: head.body.count)
                    record.finish(status: 200)
                    try await writer.finish(nil)
                }
            )
        }
    }

    /// Whether `bytes` end with the `data: [DONE]` event that ends an OpenAI stream.
    static func endsStream(_ bytes: ByteBuffer) -> Bool {
        let view = bytes.readableBytesView
        guard let last = view.lastIndex(where: { $0 != 0x0A && $0 != 0x0D }) else { return false }
        let marker = "[DONE]".utf8
        guard view.distance(from: view.startIndex, to: last) + 1 >= marker.count else { return false }
        return view[..<view.index(after: last)].suffix(marker.count).elementsEqual(marker)
    }
}
