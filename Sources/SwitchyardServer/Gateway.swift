import AsyncHTTPClient
import Logging
import NIOCore
import SwitchyardCore
import SwitchyardProviders

/// Everything the request path needs, built once from a validated configuration.
public struct Gateway: Sendable {
    /// The configuration.
    public let config: GatewayConfig
    /// Routing.
    public let planner: RoutePlanner
    /// Client keys: the configuration's and the store's, cached in memory.
    public let clients: ClientKeys
    /// Tenants, keys and audit, when the store keeps them.
    public let control: (any ControlStore)?
    /// Rate limits and budgets, enforced across replicas through the store's counters.
    public let limiter: Limiter?
    /// The shared counters behind ``limiter``.
    public let counters: (any LimitCounterStore)?
    /// Provider adapters.
    public let providers: ProviderRegistry
    /// Where finished requests go.
    public let ledger: any LedgerSink
    /// The store behind the ledger (for readiness).
    public let store: any LedgerStore
    /// "Now" for ledger times.
    public let clock: any WallClock
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
        self.providers = ProviderRegistry(config: config, httpClient: httpClient)
        self.ledger = ledger
        self.store = store
        self.clock = clock
        self.telemetry = Telemetry(config: config, clock: clock, logger: logger)
        self.tracer = config.tracing.map { TraceExporter(config: $0, client: httpClient, logger: logger) }
    }
}

extension Gateway {
    /// The upstream HTTP client for `config`: its connect timeout, a read timeout equal to the
    /// first-byte timeout (so a stalled stream ends), and a pool large enough for many
    /// concurrent streams per upstream host.
    public static func makeHTTPClient(for config: GatewayConfig, logger: Logger) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(
            connect: TimeAmount.nanoseconds(Self.nanoseconds(config.routing.connectTimeout)),
            read: TimeAmount.nanoseconds(Self.nanoseconds(config.routing.firstByteTimeout))
        )
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60),
            concurrentHTTP1ConnectionsPerHostSoftLimit: 1024
        )
        configuration.decompression = .disabled
        return HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: configuration,
            backgroundActivityLogger: logger
        )
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
