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
    /// The upstream HTTP clients' read timeout (see `GatewayConfig.upstreamReadTimeout`).
    let upstreamReadTimeout: Duration
    /// Metrics, the live window and the access log.
    public let telemetry: Telemetry
    /// Trace export, when `tracing` is configured (run it as a service).
    public let tracer: TraceExporter?

    /// Wires a gateway.
    public init(
        config: GatewayConfig,
        clients: UpstreamClients,
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
        self.providers = ProviderRegistry(config: config, clients: clients)
        self.ledger = ledger
        self.store = store
        self.clock = clock
        self.upstreamReadTimeout = config.upstreamReadTimeout
        self.telemetry = Telemetry(config: config, clock: clock, logger: logger)
        self.tracer = config.tracing.map { TraceExporter(config: $0, client: clients.primary, logger: logger) }
    }
}
