/// How the deployments a request may use are ordered. Strategies only reorder what the
/// contracts and the tenant allow; they never add a deployment.
public enum RoutingStrategy: String, Sendable, Hashable, CaseIterable {
    /// The configured order.
    case priority
    /// Smooth weighted round robin over the deployments' `weight`s.
    case weighted
    /// Lowest time-to-first-byte (EWMA), choosing between two random deployments so that one
    /// fast deployment is not stampeded.
    case latency
    /// Cheapest for the request's expected tokens, by the deployments' `cost`.
    case cost
}

/// Timeouts a deployment sets for itself; `nil` keeps the routing default.
public struct TimeoutOverrides: Sendable, Hashable {
    /// To open a connection to the deployment's host.
    public var connect: Duration?
    /// Until the first byte of the answer (response head and, for streams, the first event).
    public var firstByte: Duration?
    /// Longest gap between two stream chunks.
    public var idle: Duration?
    /// Whole request, from the start of the attempt to the end of the answer.
    public var total: Duration?

    /// Creates overrides.
    public init(connect: Duration? = nil, firstByte: Duration? = nil, idle: Duration? = nil, total: Duration? = nil) {
        self.connect = connect
        self.firstByte = firstByte
        self.idle = idle
        self.total = total
    }
}

/// The timeouts that apply to one attempt, after deployment overrides.
public struct EffectiveTimeouts: Sendable, Hashable {
    /// To open a connection.
    public var connect: Duration
    /// Until the first byte of the answer.
    public var firstByte: Duration
    /// Longest gap between two stream chunks.
    public var idle: Duration
    /// Whole request, if limited.
    public var total: Duration?

    /// Creates effective timeouts.
    public init(connect: Duration, firstByte: Duration, idle: Duration, total: Duration?) {
        self.connect = connect
        self.firstByte = firstByte
        self.idle = idle
        self.total = total
    }
}

/// When a deployment's circuit breaker opens and for how long.
public struct BreakerConfig: Sendable, Hashable {
    /// Consecutive failures that open the breaker.
    public var consecutiveFailures: Int
    /// Share of failed attempts over `window` that opens the breaker (once `minimumRequests` were seen).
    public var errorRate: Double
    /// The window over which the error rate is measured.
    public var window: Duration
    /// Attempts in the window before the error rate counts.
    public var minimumRequests: Int
    /// How long an open breaker stays open before one probe request may try the deployment.
    public var openFor: Duration

    /// Creates breaker settings.
    public init(
        consecutiveFailures: Int = 5,
        errorRate: Double = 0.5,
        window: Duration = .seconds(30),
        minimumRequests: Int = 10,
        openFor: Duration = .seconds(30)
    ) {
        self.consecutiveFailures = consecutiveFailures
        self.errorRate = errorRate
        self.window = window
        self.minimumRequests = minimumRequests
        self.openFor = openFor
    }
}

/// Routing defaults (`routing:` in the configuration file).
public struct RoutingConfig: Sendable, Hashable {
    /// How deployments are ordered unless a model says otherwise.
    public var strategy: RoutingStrategy
    /// Further attempts after the first, each on another deployment.
    public var retries: Int
    /// Time allowed to open a connection.
    public var connectTimeout: Duration
    /// Time allowed until the upstream's first byte.
    public var firstByteTimeout: Duration
    /// Longest gap allowed between two stream chunks.
    public var idleTimeout: Duration
    /// Whole-request limit, if any.
    public var totalTimeout: Duration?
    /// Retries may add at most this share of the requests (plus `retryBurst`), so an outage does
    /// not multiply the load on the clouds that are left.
    public var retryRatio: Double
    /// Retries allowed beyond the ratio, e.g. right after start.
    public var retryBurst: Int
    /// Base of the jittered exponential backoff before a retry.
    public var backoffBase: Duration
    /// Cap of the backoff.
    public var backoffMax: Duration
    /// Circuit breaker settings.
    public var breaker: BreakerConfig
    /// Default per-deployment limit of requests in flight (`nil`: unlimited).
    public var maxInFlight: Int?
    /// How long a request waits for a free slot on a full deployment before moving on.
    public var queueTimeout: Duration
    /// Completion tokens assumed by the `cost` strategy (with the prompt's size).
    public var expectedOutputTokens: Int

    /// Creates routing settings.
    public init(
        strategy: RoutingStrategy = .priority,
        retries: Int = 2,
        connectTimeout: Duration = .seconds(2),
        firstByteTimeout: Duration = .seconds(60),
        idleTimeout: Duration? = nil,
        totalTimeout: Duration? = nil,
        retryRatio: Double = 0.2,
        retryBurst: Int = 10,
        backoffBase: Duration = .milliseconds(10),
        backoffMax: Duration = .seconds(1),
        breaker: BreakerConfig = BreakerConfig(),
        maxInFlight: Int? = nil,
        queueTimeout: Duration = .milliseconds(100),
        expectedOutputTokens: Int = 256
    ) {
        self.strategy = strategy
        self.retries = retries
        self.connectTimeout = connectTimeout
        self.firstByteTimeout = firstByteTimeout
        self.idleTimeout = idleTimeout ?? firstByteTimeout
        self.totalTimeout = totalTimeout
        self.retryRatio = retryRatio
        self.retryBurst = retryBurst
        self.backoffBase = backoffBase
        self.backoffMax = backoffMax
        self.breaker = breaker
        self.maxInFlight = maxInFlight
        self.queueTimeout = queueTimeout
        self.expectedOutputTokens = expectedOutputTokens
    }

    /// The timeouts of an attempt on `deployment`.
    public func timeouts(for deployment: DeploymentConfig) -> EffectiveTimeouts {
        EffectiveTimeouts(
            connect: deployment.timeouts.connect ?? self.connectTimeout,
            firstByte: deployment.timeouts.firstByte ?? self.firstByteTimeout,
            idle: deployment.timeouts.idle ?? self.idleTimeout,
            total: deployment.timeouts.total ?? self.totalTimeout
        )
    }
}

extension GatewayConfig {
    /// The longest first-byte or idle timeout of any deployment: the upstream HTTP client's own
    /// read timeout, so that only shorter ones need a timer of the gateway's.
    public var upstreamReadTimeout: Duration {
        var longest = max(self.routing.firstByteTimeout, self.routing.idleTimeout)
        for model in self.models {
            for deployment in model.deployments {
                let timeouts = self.routing.timeouts(for: deployment)
                longest = max(longest, timeouts.firstByte, timeouts.idle)
            }
        }
        return longest
    }

    /// Every connect timeout in use: the default and the deployments' own.
    public var connectTimeouts: Set<Duration> {
        var timeouts: Set<Duration> = [self.routing.connectTimeout]
        for model in self.models {
            for deployment in model.deployments { timeouts.insert(self.routing.timeouts(for: deployment).connect) }
        }
        return timeouts
    }
}
