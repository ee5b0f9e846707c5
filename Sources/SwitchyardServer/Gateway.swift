import AsyncHTTPClient
import Logging
import NIOCore
import SwitchyardCore
import SwitchyardProviders

/// Everything the request path needs, built once from a validated configuration.
public struct Gateway: Sendable {
    /// The configuration.
    public let config: GatewayConfig
    /// Routing: contracts and tenants.
    public let planner: RoutePlanner
    /// Client keys: the configuration's and the store's, cached in memory.
    public let clients: ClientKeys
    /// Tenants, keys and audit, when the store keeps them.
    public let control: (any ControlStore)?
    /// Rate limits and budgets, enforced across replicas through the store's counters.
    public let limiter: Limiter?
    /// The shared counters behind ``limiter``.
    public let counters: (any LimitCounterStore)?
    /// Routing: pins, preferences, strategies and deployment health on top of the planner.
    public let selector: RouteSelector
    /// The global cap on retries.
    public let retryBudget: RetryBudget
    /// Provider adapters.
    public let providers: ProviderRegistry
    /// Where finished requests go.
    public let ledger: any LedgerSink
    /// The store behind the ledger (for readiness).
    public let store: any LedgerStore
    /// "Now" for ledger times and deployment health.
    public let clock: any WallClock
    /// The upstream HTTP client's read timeout (see ``readTimeout(for:)``).
    let upstreamReadTimeout: Duration
    /// Metrics, the live window and the access log.
    public let telemetry: Telemetry
    /// Trace export, when `tracing` is configured (run it as a service).
    public let tracer: TraceExporter?

    /// Wires a gateway.
    public init(
        config: GatewayConfig,
        httpClient: HTTPClient,
        ledger: any LedgerSink,
        store: any LedgerStore,
        clock: any WallClock = SystemWallClock(),
        logger: Logger = Logger(label: "switchyard")
    ) {
        self.config = config
        self.planner = RoutePlanner(config: config)
        self.control = store as? any ControlStore
        self.counters = store as? any LimitCounterStore
        self.clients = ClientKeys(config: config, store: self.control)
        self.limiter = self.counters.map { Limiter(store: $0) }
        self.selector = RouteSelector(config: config, planner: self.planner)
        self.retryBudget = RetryBudget(ratio: config.routing.retryRatio, burst: config.routing.retryBurst)
        self.providers = ProviderRegistry(config: config, httpClient: httpClient)
        self.ledger = ledger
        self.store = store
        self.clock = clock
        self.upstreamReadTimeout = Self.readTimeout(for: config)
        self.telemetry = Telemetry(config: config, clock: clock, logger: logger)
        self.tracer = config.tracing.map { TraceExporter(config: $0, client: httpClient, logger: logger) }
    }
}

extension Gateway {
    /// The upstream HTTP client for `config`: its connect timeout, a read timeout of
    /// ``readTimeout(for:)`` (a backstop: the request path enforces each deployment's own first
    /// byte, idle and total timeouts), and a pool large enough for many concurrent streams per
    /// upstream host.
    public static func makeHTTPClient(for config: GatewayConfig, logger: Logger) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(
            connect: TimeAmount.nanoseconds(Self.nanoseconds(config.routing.connectTimeout)),
            read: TimeAmount.nanoseconds(Self.nanoseconds(Self.readTimeout(for: config)))
        )
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60),
            concurrentHTTP1ConnectionsPerHostSoftLimit: 1024
        )
        // A refused connection fails the attempt at once, so the gateway fails over to the next
        // deployment instead of the client retrying the same host until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.decompression = .disabled
        return HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: configuration,
            backgroundActivityLogger: logger
        )
    }

    /// The longest first-byte or idle timeout of any deployment: the HTTP client's own read
    /// timeout, so that only shorter ones need a timer of the gateway's.
    public static func readTimeout(for config: GatewayConfig) -> Duration {
        var longest = max(config.routing.firstByteTimeout, config.routing.idleTimeout)
        for model in config.models {
            for deployment in model.deployments {
                let timeouts = config.routing.timeouts(for: deployment)
                longest = max(longest, timeouts.firstByte, timeouts.idle)
            }
        }
        return longest
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
