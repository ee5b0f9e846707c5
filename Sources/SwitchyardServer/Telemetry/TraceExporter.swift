import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import SwitchyardCore
import SwitchyardProviders
import Synchronization

/// Sends finished spans to an OTLP/HTTP collector (`POST ENDPOINT/v1/traces`, OTLP JSON), in
/// batches of up to 512 once a second or sooner when a batch fills, off the request path.
///
/// At most 8,192 spans wait; beyond that new spans are dropped and counted (a collector that is
/// down must not grow the gateway's memory). On graceful shutdown what waits is sent once more.
/// List it after the upstream HTTP client in the `ServiceGroup`, which stops in reverse order.
public final class TraceExporter: Service, Sendable {
    static let batchSize = 512
    static let capacity = 8_192

    let config: TracingConfig
    private let client: HTTPClient
    private let logger: Logger
    private let pending = Mutex<(spans: [SpanRecord], dropped: Int)>(([], 0))
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    /// An exporter for `config`, posting with `client`.
    public init(config: TracingConfig, client: HTTPClient, logger: Logger) {
        self.config = config
        self.client = client
        self.logger = logger
        (self.wakeups, self.wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Whether a trace the gateway starts itself is recorded (the configured ratio).
    func samplesNewTrace() -> Bool {
        self.config.sampleRatio >= 1 || Double.random(in: 0..<1) < self.config.sampleRatio
    }

    /// Queues spans for export. Never blocks.
    func export(_ spans: [SpanRecord]) {
        let full = self.pending.withLock { pending -> Bool in
            let room = max(0, Self.capacity - pending.spans.count)
            pending.spans += spans.prefix(room)
            pending.dropped += spans.count - min(room, spans.count)
            return pending.spans.count >= Self.batchSize
        }
        if full { self.wake.yield() }
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    self.wake.yield()
                }
            }
            for await _ in self.wakeups.cancelOnGracefulShutdown() {
                await self.sendPending()
            }
            group.cancelAll()
        }
        await self.sendPending()
    }

    private func sendPending() async {
        while true {
            let (batch, dropped) = self.pending.withLock { pending -> ([SpanRecord], Int) in
                let batch = Array(pending.spans.prefix(Self.batchSize))
                pending.spans.removeFirst(batch.count)
                defer { pending.dropped = 0 }
                return (batch, pending.dropped)
            }
            if dropped > 0 {
                self.logger.warning(
                    "trace spans dropped: export queue full",
                    metadata: ["switchyard.spans": "\(dropped)"]
                )
            }
            guard !batch.isEmpty else { return }
            var request = HTTPClientRequest(url: self.config.endpoint + "/v1/traces")
            request.method = .POST
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(OTLPTraceJSON.encode(batch, serviceName: self.config.serviceName))
            do {
                let response = try await self.client.execute(request, timeout: .seconds(5))
                _ = try await response.body.collect(upTo: 1 << 20)
                if response.status.code >= 300 {
                    self.logger.warning(
                        "trace export refused",
                        metadata: [
                            "http.response.status_code": "\(response.status.code)",
                            "switchyard.spans": "\(batch.count)",
                        ]
                    )
                }
            } catch {
                self.logger.warning(
                    "trace export failed",
                    metadata: ["error.type": "\(type(of: error))", "switchyard.spans": "\(batch.count)"]
                )
                return
            }
        }
    }
}

/// The spans of one chat request: a server span (child of the client's `traceparent` when it
/// sent one) and a client span per upstream attempt, whose context goes upstream.
struct RequestTrace: Sendable {
    let exporter: TraceExporter?
    let traceID: String
    let spanID: String
    let parentSpanID: String?
    let sampled: Bool
    let start: Date
    var attempts: [SpanRecord] = []

    /// The trace of a request with `traceparent` (nil: none or malformed). Without tracing
    /// configured the client's context is still passed upstream unchanged.
    init(traceparent: String?, exporter: TraceExporter?, now: Date) {
        let parent = traceparent.flatMap(TraceContext.init(traceparent:))
        self.exporter = exporter
        self.start = now
        if let exporter {
            self.traceID = parent?.traceID ?? TraceContext.randomID(bytes: 16)
            self.spanID = TraceContext.randomID(bytes: 8)
            self.parentSpanID = parent?.spanID
            self.sampled = parent?.sampled ?? exporter.samplesNewTrace()
        } else {
            self.traceID = parent?.traceID ?? ""
            self.spanID = parent?.spanID ?? ""
            self.parentSpanID = nil
            self.sampled = parent?.sampled ?? false
        }
    }

    /// The `traceparent` for an attempt whose span id is `spanID`; `nil` when there is nothing to propagate.
    func traceparent(attempt spanID: String) -> String? {
        guard !self.traceID.isEmpty else { return nil }
        let span = self.exporter == nil ? self.spanID : spanID
        return TraceContext(traceID: self.traceID, spanID: span, sampled: self.sampled).traceparent
    }

    /// Records one upstream attempt.
    mutating func attempt(
        spanID: String,
        candidate: RouteCandidate,
        start: Date,
        end: Date,
        error: UpstreamError?
    ) {
        guard self.exporter != nil, self.sampled else { return }
        var attributes: [(String, SpanRecord.Value)] = [
            ("gen_ai.operation.name", .string("chat")),
            ("gen_ai.system", .string(Self.system(candidate.provider.kind))),
            ("gen_ai.provider.name", .string(Self.system(candidate.provider.kind))),
            ("gen_ai.request.model", .string(candidate.deployment.target)),
            ("switchyard.provider", .string(candidate.provider.id)),
            ("switchyard.cloud", .string(candidate.provider.cloud)),
        ]
        if let region = candidate.provider.region { attributes.append(("switchyard.region", .string(region))) }
        if let host = URL(string: candidate.provider.baseURL)?.host {
            attributes.append(("server.address", .string(host)))
        }
        if let error {
            attributes.append(("error.type", .string("\(error.kind)")))
            if let status = error.status { attributes.append(("http.response.status_code", .int(Int64(status)))) }
        }
        self.attempts.append(
            SpanRecord(
                name: "chat \(candidate.deployment.target)",
                kind: .client,
                traceID: self.traceID,
                spanID: spanID,
                parentSpanID: self.spanID,
                start: start,
                end: end,
                attributes: attributes,
                errorMessage: error.map { "\($0.kind)" }
            )
        )
    }

    /// Exports the request's spans, the server span described by its ledger entry.
    func finish(_ entry: LedgerEntry, end: Date) {
        guard let exporter = self.exporter, self.sampled else { return }
        var attributes: [(String, SpanRecord.Value)] = [
            ("gen_ai.operation.name", .string("chat")),
            ("gen_ai.request.model", .string(entry.model)),
            ("gen_ai.usage.input_tokens", .int(Int64(entry.usage.promptTokens))),
            ("gen_ai.usage.output_tokens", .int(Int64(entry.usage.completionTokens))),
            ("http.request.method", .string("POST")),
            ("http.route", .string("/v1/chat/completions")),
            ("http.response.status_code", .int(Int64(entry.status))),
            ("switchyard.request_id", .string(entry.requestID)),
            ("switchyard.tenant", .string(entry.tenant)),
            ("switchyard.attempts", .int(Int64(entry.attempts))),
            ("switchyard.stream", .bool(entry.stream)),
        ]
        if let provider = entry.provider { attributes.append(("switchyard.route.provider", .string(provider))) }
        if let cloud = entry.cloud { attributes.append(("switchyard.route.cloud", .string(cloud))) }
        if let region = entry.region { attributes.append(("switchyard.route.region", .string(region))) }
        if entry.usageEstimated { attributes.append(("switchyard.usage_estimated", .bool(true))) }
        let server = SpanRecord(
            name: "POST /v1/chat/completions",
            kind: .server,
            traceID: self.traceID,
            spanID: self.spanID,
            parentSpanID: self.parentSpanID,
            start: self.start,
            end: max(end, self.start),
            attributes: attributes,
            errorMessage: entry.status >= 500 ? entry.errorCode ?? "error" : nil
        )
        exporter.export(self.attempts + [server])
    }

    /// `gen_ai.system` values of the OpenTelemetry GenAI semantic conventions.
    static func system(_ kind: ProviderKind) -> String {
        switch kind {
        case .azureOpenAI: "az.ai.openai"
        case .bedrock: "aws.bedrock"
        case .anthropic: "anthropic"
        case .gemini: "gcp.gemini"
        default: "openai"
        }
    }
}
