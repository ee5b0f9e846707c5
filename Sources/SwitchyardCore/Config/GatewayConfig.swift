import Foundation

/// The whole gateway configuration, validated. Built by ``GatewayConfig/load(yaml:environment:)``.
public struct GatewayConfig: Sendable {
    /// Where the gateway listens.
    public var listen: ListenAddress
    /// Where the ledger lives.
    public var store: StoreLocation
    /// The bearer key of the admin API, if configured.
    public var adminKey: Secret?
    /// The server secret under which stored client keys are hashed (HMAC-SHA256); without it
    /// the admin API cannot create keys and stored keys are not accepted.
    public var keySecret: Secret?
    /// Where ledger entries wait while the store is unreachable (default: beside the SQLite
    /// file, or `switchyard-ledger.spool` in the working directory).
    public var spoolPath: String?
    /// Largest accepted request body in bytes (default 10 MiB).
    public var maxRequestBodyBytes: Int
    /// Upstream providers in configured order.
    public var providers: [ProviderConfig]
    /// Models in configured order.
    public var models: [ModelConfig]
    /// Routing defaults.
    public var routing: RoutingConfig
    /// Tenants in configured order.
    public var tenants: [TenantConfig]
    /// Client keys.
    public var keys: [ClientKeyConfig]
    /// Partnership agreements whose terms decide where models may run and who earns a share.
    public var agreements: [Agreement]
    /// OpenTelemetry trace export (off when `nil`).
    public var tracing: TracingConfig?

    /// Creates a configuration from parts (tests and embedders; files go through `load`).
    public init(
        listen: ListenAddress = ListenAddress(host: "127.0.0.1", port: 8080),
        store: StoreLocation = .memory,
        adminKey: Secret? = nil,
        keySecret: Secret? = nil,
        maxRequestBodyBytes: Int = 10 << 20,
        providers: [ProviderConfig],
        models: [ModelConfig],
        routing: RoutingConfig = RoutingConfig(),
        tenants: [TenantConfig],
        keys: [ClientKeyConfig],
        agreements: [Agreement] = []
    ) {
        self.listen = listen
        self.store = store
        self.adminKey = adminKey
        self.keySecret = keySecret
        self.maxRequestBodyBytes = maxRequestBodyBytes
        self.providers = providers
        self.models = models
        self.routing = routing
        self.tenants = tenants
        self.keys = keys
        self.agreements = agreements
    }

    /// A copy with `spoolPath` set.
    public func with(spoolPath: String?) -> GatewayConfig {
        var copy = self
        copy.spoolPath = spoolPath
        return copy
    }

    /// The provider with `id`.
    public func provider(_ id: String) -> ProviderConfig? { self.providers.first { $0.id == id } }
    /// The model named `name`.
    public func model(_ name: String) -> ModelConfig? { self.models.first { $0.name == name } }
    /// The tenant with `id`.
    public func tenant(_ id: String) -> TenantConfig? { self.tenants.first { $0.id == id } }
}

/// A `host:port` pair.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// Host name or IP address.
    public var host: String
    /// TCP port; 0 picks a free one.
    public var port: Int

    /// Creates an address.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, `[v6]:port` or `:port` (all interfaces).
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host.isEmpty ? "0.0.0.0" : host
        self.port = port
    }

    public var description: String {
        self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)"
    }
}

/// Where ledger entries are stored.
public enum StoreLocation: Sendable, Hashable {
    /// An SQLite database file (the embedded default).
    case sqlite(path: String)
    /// A PostgreSQL server shared by many gateway instances.
    case postgres(url: Secret)
    /// Nothing durable: entries are counted and dropped (tests, benchmarks).
    case memory
}

/// The wire dialect of an upstream.
public struct ProviderKind: Hashable, Sendable, CustomStringConvertible {
    /// The `type` value in the configuration file.
    public let rawValue: String

    /// Any OpenAI-compatible server (OpenAI, vLLM, Ollama, the simulator).
    public static let openAI = ProviderKind(rawValue: "openai")

    /// Azure OpenAI (deployment or v1 URLs, `api-key` or Entra ID bearer token).
    public static let azureOpenAI = ProviderKind(rawValue: "azure-openai")
    /// AWS Bedrock Runtime (Converse/ConverseStream, or its OpenAI-compatible endpoint), SigV4 or API key.
    public static let bedrock = ProviderKind(rawValue: "bedrock")
    /// Anthropic's Messages API.
    public static let anthropic = ProviderKind(rawValue: "anthropic")
    /// Google's Gemini API (generativelanguage, API key).
    public static let gemini = ProviderKind(rawValue: "gemini")

    /// Kinds this build can talk to.
    public static let supported: [ProviderKind] = [.openAI, .azureOpenAI, .bedrock, .anthropic, .gemini]

    public var description: String { self.rawValue }
}

/// One upstream endpoint.
public struct ProviderConfig: Sendable, Hashable {
    /// The provider's id in the configuration (`azure-east`).
    public var id: String
    /// Its wire dialect.
    public var kind: ProviderKind
    /// The cloud it runs on (`azure`, `aws`, `openai`, `gcp`, `self-hosted`).
    public var cloud: String
    /// The cloud region, if any.
    public var region: String?
    /// The API base URL; for `openai` the `/v1` base to which `/chat/completions` is appended.
    public var baseURL: String
    /// The provider's credential.
    public var apiKey: Secret?
    /// Settings of the non-OpenAI kinds.
    public var options: ProviderOptions

    /// Creates a provider.
    public init(
        id: String,
        kind: ProviderKind,
        cloud: String,
        region: String? = nil,
        baseURL: String,
        apiKey: Secret? = nil,
        options: ProviderOptions = ProviderOptions()
    ) {
        self.id = id
        self.kind = kind
        self.cloud = cloud
        self.region = region
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.options = options
    }
}

/// A model of the catalog and where it is deployed.
public struct ModelConfig: Sendable, Hashable {
    /// The name clients ask for (`gpt-5`).
    public var name: String
    /// The publisher (`openai`).
    public var publisher: String?
    /// The product line (`frontier`).
    public var product: String?
    /// Launch instant (UTC midnight of the configured date).
    public var launched: Date?
    /// What tenants are charged.
    public var price: PriceSheet
    /// Deployments in configured order.
    public var deployments: [DeploymentConfig]
    /// How this model's deployments are ordered; `nil` uses `routing.strategy`.
    public var strategy: RoutingStrategy?
    /// Hedge: when the first deployment has not sent a first byte after its p95 time to first
    /// byte, start a second attempt on the next deployment; the first to answer wins.
    public var hedge: Bool

    /// Creates a model.
    public init(
        name: String,
        publisher: String? = nil,
        product: String? = nil,
        launched: Date? = nil,
        price: PriceSheet = .zero,
        deployments: [DeploymentConfig],
        strategy: RoutingStrategy? = nil,
        hedge: Bool = false
    ) {
        self.strategy = strategy
        self.hedge = hedge
        self.name = name
        self.publisher = publisher
        self.product = product
        self.launched = launched
        self.price = price
        self.deployments = deployments
    }
}

/// A model served by one provider under one upstream name.
public struct DeploymentConfig: Sendable, Hashable {
    /// The provider id.
    public var provider: String
    /// The model or deployment name upstream.
    public var target: String
    /// What the upstream charges us.
    public var cost: PriceSheet
    /// The upstream's own requests-per-minute quota, if known: routing skips the deployment
    /// once all replicas together used it in the current UTC minute, instead of meeting a 429.
    public var requestsPerMinute: Int?
    /// The upstream's own tokens-per-minute quota, if known (used like ``requestsPerMinute``).
    public var tokensPerMinute: Int?
    /// Share of traffic under the `weighted` strategy (relative to the model's other deployments).
    public var weight: Int
    /// Timeouts that replace the routing defaults for this deployment.
    public var timeouts: TimeoutOverrides
    /// Requests in flight at once on this deployment; further requests queue briefly, then move on.
    public var maxInFlight: Int?

    /// Creates a deployment.
    public init(
        provider: String,
        target: String,
        cost: PriceSheet = .zero,
        weight: Int = 1,
        timeouts: TimeoutOverrides = TimeoutOverrides(),
        maxInFlight: Int? = nil,
        requestsPerMinute: Int? = nil,
        tokensPerMinute: Int? = nil
    ) {
        self.provider = provider
        self.target = target
        self.cost = cost
        self.weight = weight
        self.timeouts = timeouts
        self.maxInFlight = maxInFlight
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
    }

    /// The deployment's known upstream quotas as limit rules.
    public var upstreamLimits: LimitSettings {
        LimitSettings(requestsPerMinute: self.requestsPerMinute, tokensPerMinute: self.tokensPerMinute)
    }
}

/// A customer of the gateway, as the configuration file defines it (tenants created through
/// the admin API are ``TenantRecord``s in the store).
public struct TenantConfig: Sendable, Hashable {
    /// The tenant id.
    public var id: String
    /// Clouds the tenant may be served on; empty means any.
    public var clouds: [String]
    /// Regions the tenant may be served in; empty means any.
    public var regions: [String]
    /// Models the tenant may use; empty means any.
    public var models: [String]
    /// Rate limits and budgets.
    public var limits: LimitSettings
    /// Clouds to try first, in this order, among those allowed; the strategy orders within each.
    public var preferClouds: [String]

    /// Creates a tenant.
    public init(
        id: String,
        clouds: [String] = [],
        regions: [String] = [],
        models: [String] = [],
        limits: LimitSettings = .none,
        preferClouds: [String] = []
    ) {
        self.preferClouds = preferClouds
        self.id = id
        self.clouds = clouds
        self.regions = regions
        self.models = models
        self.limits = limits
    }

    /// The monthly budget, if one is set.
    public var budgetPerMonth: USDNanos? { self.limits.budgets.first { $0.period == .month }?.amount }
    /// Requests per minute, if limited.
    public var requestsPerMinute: Int? { self.limits.requestsPerMinute }
}

/// A client key and the tenant it belongs to.
public struct ClientKeyConfig: Sendable, Hashable {
    /// A stable, non-secret id for ledgers and logs.
    public var id: String
    /// The key.
    public var key: Secret
    /// The tenant id.
    public var tenant: String

    /// Creates a key; the id defaults to a prefix of the key's SHA-256.
    public init(id: String? = nil, key: Secret, tenant: String) {
        self.id = id ?? "key-" + String(KeyDigest(key.value).hex.prefix(12))
        self.key = key
        self.tenant = tenant
    }
}
