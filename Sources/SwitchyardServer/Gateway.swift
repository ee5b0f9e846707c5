import AsyncHTTPClient
import SwitchyardCore
import SwitchyardProviders

/// Everything the request path needs, built once from a validated configuration.
public struct Gateway: Sendable {
    /// The configuration.
    public let config: GatewayConfig
    /// Routing.
    public let planner: RoutePlanner
    /// Client keys.
    public let keys: KeyRing
    /// Provider adapters.
    public let providers: ProviderRegistry
    /// Where finished requests go.
    public let ledger: any LedgerSink
    /// The store behind the ledger (for readiness).
    public let store: any LedgerStore
    /// "Now" for ledger times.
    public let clock: any WallClock

    /// Wires a gateway.
    public init(config: GatewayConfig, httpClient: HTTPClient, ledger: any LedgerSink, store: any LedgerStore, clock: any WallClock = SystemWallClock()) {
        self.config = config
        self.planner = RoutePlanner(config: config)
        self.keys = KeyRing(keys: config.keys)
        self.providers = ProviderRegistry(config: config, httpClient: httpClient)
        self.ledger = ledger
        self.store = store
        self.clock = clock
    }
}
