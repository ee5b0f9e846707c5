import Foundation
import Logging
import Prometheus
import SwitchyardCore
import Synchronization

/// What the gateway tells operators about finished requests: Prometheus metrics, the live
/// per-cloud window of the dashboard, and one access-log line per request.
///
/// Everything is derived from the request's ledger entry, so metrics, logs and the ledger
/// always agree. Labels are bounded: configured model names (anything else is `other`),
/// provider ids, clouds and status classes; never keys, tenants' strings or request ids.
public final class Telemetry: Sendable {
    /// The metrics registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    private let models: Set<String>
    private let clock: any WallClock
    private let logger: Logger
    private let handles = Mutex<[RequestLabels: RequestMetrics]>([:])
    private let shares = Mutex<[String: Counter]>([:])
    private let live = Mutex(LiveWindow())
    private let queueDepth: Gauge
    private let spoolDepth: Gauge
    private let limitRefusals: [LimitMeter: Counter]
    private let budgetAlerts: Counter

    /// Creates the telemetry of a gateway.
    /// - Parameters:
    ///   - registry: where metrics go (one per gateway, so tests can run several).
    ///   - logger: the access log (`info` level; `warning` silences it).
    public init(
        config: GatewayConfig,
        clock: any WallClock,
        logger: Logger,
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
    ) {
        self.registry = registry
        self.models = Set(config.models.map(\.name))
        self.clock = clock
        self.logger = logger
        self.queueDepth = registry.makeGauge(
            descriptor: .switchyard(
                "switchyard_ledger_queue_depth",
                help: "Ledger entries accepted but not yet committed."
            )
        )
        self.spoolDepth = registry.makeGauge(
            descriptor: .switchyard(
                "switchyard_ledger_spool_depth",
                help: "Ledger entries waiting in the spool file for the store to come back."
            )
        )
        var refusals: [LimitMeter: Counter] = [:]
        for meter in LimitMeter.allCases {
            refusals[meter] = registry.makeCounter(
                descriptor: .switchyard(
                    "switchyard_limit_refusals_total",
                    help: "Requests refused with 429 by a tenant's or key's limit (requests, tokens) or budget (usd)."
                ),
                labels: [("meter", meter.rawValue)]
            )
        }
        self.limitRefusals = refusals
        self.budgetAlerts = registry.makeCounter(
            descriptor: .switchyard(
                "switchyard_budget_alerts_total",
                help: "Budgets whose spend crossed their alert threshold (alert_at), once per window and replica."
            )
        )
    }

    /// Counts a request refused by a limit or budget.
    public func limitRefused(_ meter: LimitMeter) { self.limitRefusals[meter]?.increment() }

    /// Counts a budget crossing its soft threshold.
    public func budgetAlerted() { self.budgetAlerts.increment() }

    /// Publishes each deployment's health (set at every scrape): `switchyard_deployment_breaker_state`
    /// (0 closed, 1 half-open, 2 open), `_available` (1 when routing tries it now), `_error_rate`
    /// (failed share of the breaker window) and `_ttfb_ewma_seconds`.
    public func publish(_ health: [DeploymentHealthSnapshot]) {
        for deployment in health {
            let labels = [("provider", deployment.provider), ("target", deployment.target)]
            let state: Double =
                switch deployment.state {
                case .closed: 0
                case .halfOpen: 1
                case .open: 2
                }
            self.registry.makeGauge(
                descriptor: .switchyard(
                    "switchyard_deployment_breaker_state",
                    help: "Circuit breaker state per deployment: 0 closed, 1 half-open, 2 open."
                ),
                labels: labels
            ).set(state)
            self.registry.makeGauge(
                descriptor: .switchyard(
                    "switchyard_deployment_available",
                    help: "1 when routing tries the deployment now (breaker not open, no cooldown)."
                ),
                labels: labels
            ).set(deployment.available ? 1.0 : 0.0)
            self.registry.makeGauge(
                descriptor: .switchyard(
                    "switchyard_deployment_error_rate",
                    help: "Failed share of the attempts in the breaker window."
                ),
                labels: labels
            ).set(deployment.errorRate)
            self.registry.makeGauge(
                descriptor: .switchyard(
                    "switchyard_deployment_ttfb_ewma_seconds",
                    help: "Moving average of the time to first byte."
                ),
                labels: labels
            ).set((deployment.ewmaTTFBMillis ?? 0) / 1000)
        }
    }

    /// Counts a finished request and writes its access-log line.
    public func finished(_ entry: LedgerEntry) {
        let labels = RequestLabels(
            model: self.models.contains(entry.model) ? entry.model : "other",
            provider: entry.provider ?? "none",
            cloud: entry.cloud ?? "none",
            statusClass: "\(entry.status / 100)xx"
        )
        let metrics = self.handles.withLock { handles in
            if let metrics = handles[labels] { return metrics }
            let metrics = RequestMetrics(labels, registry: self.registry)
            handles[labels] = metrics
            return metrics
        }
        metrics.record(entry)
        for share in entry.revenueShares where share.amount.value != 0 {
            self.share(share.beneficiary).increment(by: Double(share.amount.value) / 1e9)
        }
        if let cloud = entry.cloud {
            let failed = entry.status >= 500 || entry.status == 429
            self.live.withLock {
                $0.record(cloud: cloud, at: self.clock.now(), latencyMillis: entry.latencyMillis, failed: failed)
            }
        }
        self.logger.info("request", metadata: Self.accessLogMetadata(entry))
    }

    /// The last minute per cloud.
    public func traffic() -> [CloudTraffic] {
        let now = self.clock.now()
        return self.live.withLock { $0.snapshot(at: now) }
    }

    /// The Prometheus text exposition, with the ledger gauges read now.
    public func exposition(ledger: any LedgerSink) -> [UInt8] {
        self.queueDepth.set(Int64(ledger.queueDepth))
        self.spoolDepth.set(Int64(ledger.spoolDepth))
        return self.registry.emitToBuffer()
    }

    private func share(_ beneficiary: String) -> Counter {
        self.shares.withLock { shares in
            if let counter = shares[beneficiary] { return counter }
            let counter = self.registry.makeCounter(
                descriptor: .switchyard(
                    "switchyard_revenue_share_usd_total",
                    help: "Revenue share accrued to each beneficiary under the contract terms, in USD."
                ),
                labels: [("beneficiary", beneficiary)]
            )
            shares[beneficiary] = counter
            return counter
        }
    }

    static func accessLogMetadata(_ entry: LedgerEntry) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "request_id": "\(entry.requestID)",
            "tenant": "\(entry.tenant)",
            "key_id": "\(entry.keyID)",
            "model": "\(entry.model)",
            "status": "\(entry.status)",
            "stream": "\(entry.stream)",
            "attempts": "\(entry.attempts)",
            "latency_ms": "\(entry.latencyMillis)",
            "prompt_tokens": "\(entry.usage.promptTokens)",
            "completion_tokens": "\(entry.usage.completionTokens)",
            "charge_usd": "\(entry.charge)",
        ]
        if let provider = entry.provider { metadata["provider"] = "\(provider)" }
        if let deployment = entry.deployment { metadata["deployment"] = "\(deployment)" }
        if let cloud = entry.cloud { metadata["cloud"] = "\(cloud)" }
        if let region = entry.region { metadata["region"] = "\(region)" }
        if let ttfb = entry.timeToFirstByteMillis { metadata["ttfb_ms"] = "\(ttfb)" }
        if entry.usageEstimated { metadata["usage_estimated"] = "true" }
        if let error = entry.errorCode { metadata["error"] = "\(error)" }
        return metadata
    }
}

private struct RequestLabels: Hashable, Sendable {
    var model: String
    var provider: String
    var cloud: String
    var statusClass: String
}

/// The metric handles of one label combination, created once and reused.
private struct RequestMetrics: Sendable {
    let requests: Counter
    let attempts: Counter
    let failovers: Counter
    let duration: DurationHistogram
    let firstByte: DurationHistogram
    let inputTokens: Counter
    let outputTokens: Counter
    let cost: Counter
    let charge: Counter

    static let buckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        .seconds(30), .seconds(60), .seconds(120),
    ]

    init(_ labels: RequestLabels, registry: PrometheusCollectorRegistry) {
        let route = [("model", labels.model), ("provider", labels.provider), ("cloud", labels.cloud)]
        self.requests = registry.makeCounter(
            descriptor: .switchyard(
                "switchyard_requests_total",
                help: "Chat requests finished, by model, provider, cloud and HTTP status class."
            ),
            labels: route + [("status_class", labels.statusClass)]
        )
        self.attempts = registry.makeCounter(
            descriptor: .switchyard(
                "switchyard_upstream_attempts_total",
                help: "Upstream attempts made (first tries, retries and failovers)."
            ),
            labels: route
        )
        self.failovers = registry.makeCounter(
            descriptor: .switchyard(
                "switchyard_failovers_total",
                help: "Requests answered by another attempt than the first (counted at the deployment that answered)."
            ),
            labels: route
        )
        self.duration = registry.makeDurationHistogram(
            descriptor: .switchyard(
                "switchyard_request_duration_seconds",
                help: "From request arrival to its last byte."
            ),
            labels: route,
            buckets: Self.buckets
        )
        self.firstByte = registry.makeDurationHistogram(
            descriptor: .switchyard(
                "switchyard_time_to_first_byte_seconds",
                help: "From request arrival to the first byte sent to the client."
            ),
            labels: route,
            buckets: Self.buckets
        )
        self.inputTokens = registry.makeCounter(
            descriptor: .switchyard(
                "switchyard_tokens_total",
                help: "Tokens used (estimated where the upstream did not report usage)."
            ),
            labels: route + [("direction", "input")]
        )
        self.outputTokens = registry.makeCounter(
            descriptor: .switchyard(
                "switchyard_tokens_total",
                help: "Tokens used (estimated where the upstream did not report usage)."
            ),
            labels: route + [("direction", "output")]
        )
        self.cost = registry.makeCounter(
            descriptor: .switchyard(
                "switchyard_cost_usd_total",
                help: "What the upstreams charge, in USD (the ledger holds the exact nano-dollar figures)."
            ),
            labels: route
        )
        self.charge = registry.makeCounter(
            descriptor: .switchyard(
                "switchyard_charge_usd_total",
                help: "What tenants are charged, in USD (the ledger holds the exact nano-dollar figures)."
            ),
            labels: route
        )
    }

    func record(_ entry: LedgerEntry) {
        self.requests.increment()
        if entry.attempts > 0 { self.attempts.increment(by: Int64(entry.attempts)) }
        if entry.attempts > 1 { self.failovers.increment() }
        self.duration.record(.milliseconds(entry.latencyMillis))
        if let ttfb = entry.timeToFirstByteMillis { self.firstByte.record(.milliseconds(ttfb)) }
        if entry.usage.promptTokens > 0 { self.inputTokens.increment(by: Int64(entry.usage.promptTokens)) }
        if entry.usage.completionTokens > 0 { self.outputTokens.increment(by: Int64(entry.usage.completionTokens)) }
        if entry.cost.value != 0 { self.cost.increment(by: Double(entry.cost.value) / 1e9) }
        if entry.charge.value != 0 { self.charge.increment(by: Double(entry.charge.value) / 1e9) }
    }
}

extension MetricNameDescriptor {
    /// A metric named `name` in full (`switchyard_…`, unit suffix included) with its `# HELP` text.
    static func switchyard(_ name: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
