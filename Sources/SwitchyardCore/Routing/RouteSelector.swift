import Foundation
import Synchronization

/// A cloud or region a request pins itself to (`x-switchyard-cloud`, `x-switchyard-region`).
public struct RoutePin: Sendable, Hashable {
    /// Only deployments on this cloud.
    public var cloud: String?
    /// Only deployments in this region.
    public var region: String?

    /// Creates a pin.
    public init(cloud: String? = nil, region: String? = nil) {
        self.cloud = cloud
        self.region = region
    }

    func matches(_ provider: ProviderConfig) -> Bool {
        (self.cloud.map { $0 == provider.cloud } ?? true) && (self.region.map { $0 == provider.region } ?? true)
    }

    var isEmpty: Bool { self.cloud == nil && self.region == nil }

    var describe: String {
        [self.cloud.map { "cloud '\($0)'" }, self.region.map { "region '\($0)'" }].compactMap { $0 }
            .joined(separator: " and ")
    }
}

/// The health of every deployment, one ``DeploymentHealth`` per slot of the planner.
public final class HealthBoard: Sendable {
    /// Indexed by ``RouteCandidate/slot``.
    public let deployments: [DeploymentHealth]

    /// One health record per distinct deployment of `planner`.
    public init(planner: RoutePlanner, breaker: BreakerConfig) {
        self.deployments = planner.slots.map { DeploymentHealth(candidate: $0, breaker: breaker) }
    }

    /// The health of `candidate`.
    public subscript(_ candidate: RouteCandidate) -> DeploymentHealth { self.deployments[candidate.slot] }

    /// Every deployment's state (for `GET /admin/v1/health` and metrics).
    public func snapshot(at now: Date) -> [DeploymentHealthSnapshot] { self.deployments.map { $0.snapshot(at: now) } }
}

/// Orders what the contract plan allows: a request's pin, the tenant's cloud preference, the
/// model's strategy, then health (open and cooling deployments go last or, if nothing else is
/// left, only the one that recovers first is kept). It never adds a deployment.
public final class RouteSelector: Sendable {
    /// Contracts and tenants.
    public let planner: RoutePlanner
    /// Live deployment health.
    public let health: HealthBoard
    /// Routing settings.
    public let routing: RoutingConfig
    /// The smooth-weighted-round-robin state of each `weighted` model, indexed by deployment.
    private let weightedState: [String: WeightedState]
    private let strategies: [String: RoutingStrategy]

    /// Builds the selector for `config`.
    public init(config: GatewayConfig, planner: RoutePlanner) {
        self.planner = planner
        self.routing = config.routing
        self.health = HealthBoard(planner: planner, breaker: config.routing.breaker)
        var weighted: [String: WeightedState] = [:]
        var strategies: [String: RoutingStrategy] = [:]
        for model in config.models {
            let strategy = model.strategy ?? config.routing.strategy
            strategies[model.name] = strategy
            if strategy == .weighted { weighted[model.name] = WeightedState(count: model.deployments.count) }
        }
        self.weightedState = weighted
        self.strategies = strategies
    }

    /// The ordered plan for one request.
    /// - Parameters:
    ///   - model: the requested model.
    ///   - tenant: the tenant.
    ///   - access: what the caller may use (``Caller/access``), when known.
    ///   - instant: when (contracts and health).
    ///   - pin: the request's cloud/region pin.
    ///   - promptBytes: the request body's size (the `cost` strategy's token estimate).
    /// - Throws: ``GatewayError``: the planner's refusals; `invalid_request` (400) for a pin that
    ///   matches no deployment of the model; `pin_not_allowed` (403) for a pin outside what the
    ///   contracts and the tenant allow now.
    public func route(
        model: String,
        tenant: String,
        access: AccessRules? = nil,
        at instant: Date,
        pin: RoutePin = RoutePin(),
        promptBytes: Int = 0
    ) throws(GatewayError) -> RoutePlan {
        // With `access` (the caller's tenant rules narrowed by its key's, stored tenants
        // included) the plan follows those rules; without, the configured tenant's.
        var plan: RoutePlan
        if let access {
            plan = try self.planner.plan(model: model, tenant: tenant, access: access, at: instant)
        } else {
            plan = try self.planner.plan(model: model, tenant: tenant, at: instant)
        }
        var candidates = plan.candidates
        if !pin.isEmpty {
            candidates = candidates.filter { pin.matches($0.provider) }
            if candidates.isEmpty { throw self.pinError(pin, model: model, tenant: tenant, allowed: plan.candidates) }
        }
        let strategy = self.strategies[model] ?? self.routing.strategy
        let preferred = self.planner.tenant(tenant)?.preferClouds ?? []
        if preferred.isEmpty {
            candidates = self.order(candidates, strategy: strategy, model: model, promptBytes: promptBytes)
        } else {
            var groups = [[RouteCandidate]](repeating: [], count: preferred.count + 1)
            for candidate in candidates {
                groups[preferred.firstIndex(of: candidate.provider.cloud) ?? preferred.count].append(candidate)
            }
            candidates = []
            for group in groups where !group.isEmpty {
                candidates += self.order(group, strategy: strategy, model: model, promptBytes: promptBytes)
            }
        }
        // Health: skip open and cooling deployments; if that leaves nothing, keep the one that
        // recovers first rather than failing blind.
        var available: [RouteCandidate] = []
        available.reserveCapacity(candidates.count)
        var best: (RouteCandidate, Date)?
        for candidate in candidates {
            switch self.health[candidate].availability(at: instant) {
            case .available, .probe: available.append(candidate)
            case .unavailable(let until):
                if best.map({ until < $0.1 }) ?? true { best = (candidate, until) }
            }
        }
        if available.isEmpty, let best {
            available = [best.0]
            plan.forced = true
        }
        plan.candidates = available
        plan.maxAttempts = min(available.count, self.routing.retries + 1)
        return plan
    }

    func order(
        _ candidates: [RouteCandidate],
        strategy: RoutingStrategy,
        model: String,
        promptBytes: Int
    ) -> [RouteCandidate] {
        guard candidates.count > 1 else { return candidates }
        switch strategy {
        case .priority:
            return candidates
        case .weighted:
            guard let state = self.weightedState[model] else { return candidates }
            let chosen = state.current.withLock { current -> Int in
                var total = 0
                var best = 0
                for (position, candidate) in candidates.enumerated() {
                    let weight = candidate.deployment.weight
                    current[candidate.index] += weight
                    total += weight
                    if current[candidate.index] > current[candidates[best].index] { best = position }
                }
                current[candidates[best].index] -= total
                return best
            }
            var ordered = candidates
            ordered.insert(ordered.remove(at: chosen), at: 0)
            return ordered
        case .latency:
            // Unmeasured deployments count as fastest so they get measured.
            let latencies = candidates.map { self.health[$0].ewmaTTFBMillis ?? 0 }
            var positions = Array(candidates.indices).sorted { latencies[$0] < latencies[$1] }
            // Power of two choices: the first is the faster of two random ones, not always the fastest.
            let first = Int.random(in: 0..<candidates.count)
            var second = Int.random(in: 0..<(candidates.count - 1))
            if second >= first { second += 1 }
            let pick = latencies[second] < latencies[first] ? second : first
            positions.removeAll { $0 == pick }
            return [candidates[pick]] + positions.map { candidates[$0] }
        case .cost:
            let usage = TokenUsage(
                promptTokens: (promptBytes + 3) / 4,
                completionTokens: self.routing.expectedOutputTokens
            )
            let costs = candidates.map { $0.deployment.cost.amount(for: usage) }
            return Array(candidates.indices).sorted { costs[$0] < costs[$1] || (costs[$0] == costs[$1] && $0 < $1) }
                .map { candidates[$0] }
        }
    }

    private func pinError(_ pin: RoutePin, model: String, tenant: String, allowed: [RouteCandidate]) -> GatewayError {
        let param = pin.cloud != nil ? "x-switchyard-cloud" : "x-switchyard-region"
        let allowedText = Set(
            allowed.map { c in c.provider.region.map { "\(c.provider.cloud)/\($0)" } ?? c.provider.cloud }
        )
        .sorted().joined(separator: ", ")
        guard self.planner.catalogCandidates(model: model).contains(where: { pin.matches($0.provider) }) else {
            return GatewayError(
                code: .invalidRequest,
                message:
                    "The model '\(model)' has no deployment on \(pin.describe). It may be served on: \(allowedText).",
                param: param
            )
        }
        return GatewayError(
            code: .pinNotAllowed,
            message:
                "The model '\(model)' may not be served to tenant '\(tenant)' on \(pin.describe) now. It may be served on: \(allowedText).",
            param: param
        )
    }
}

/// The running weights of one model's smooth weighted round robin.
final class WeightedState: Sendable {
    let current: Mutex<[Int]>

    init(count: Int) { self.current = Mutex([Int](repeating: 0, count: count)) }
}

extension GatewayError.Code {
    /// A request pinned a cloud or region the contracts or the tenant do not allow.
    public static let pinNotAllowed = GatewayError.Code(
        rawValue: "pin_not_allowed",
        status: 403,
        type: "permission_error"
    )
}

/// Caps retries across all requests: every request deposits `ratio` of a retry, every retry
/// withdraws one; `burst` retries are allowed on top. Lock-free.
public final class RetryBudget: Sendable {
    private static let scale = 1000
    private let balance: Atomic<Int>
    private let deposit: Int
    private let capacity: Int

    /// Creates a budget allowing retries for `ratio` of the requests plus `burst`.
    public init(ratio: Double, burst: Int) {
        self.deposit = Int((ratio * Double(Self.scale)).rounded())
        self.capacity = max(burst, 1) * Self.scale
        self.balance = Atomic(self.capacity)
    }

    /// Called once per request.
    public func recordRequest() {
        var current = self.balance.load(ordering: .relaxed)
        while current < self.capacity {
            let next = min(self.capacity, current + self.deposit)
            let (exchanged, original) = self.balance.compareExchange(
                expected: current,
                desired: next,
                ordering: .relaxed
            )
            if exchanged { return }
            current = original
        }
    }

    /// Takes one retry from the budget.
    /// - Returns: `false` when retries have used up their share.
    public func tryRetry() -> Bool {
        var current = self.balance.load(ordering: .relaxed)
        while current >= Self.scale {
            let (exchanged, original) = self.balance.compareExchange(
                expected: current,
                desired: current - Self.scale,
                ordering: .relaxed
            )
            if exchanged { return true }
            current = original
        }
        return false
    }
}

/// Full-jitter exponential backoff: a random delay up to `base × 2^(retry-1)`, at most `max`.
public enum Backoff {
    /// The delay before retry number `retry` (1 for the first retry).
    public static func delay(retry: Int, base: Duration, max: Duration) -> Duration {
        guard retry > 0, base > .zero else { return .zero }
        let ceiling = Swift.min(max, base * (1 << Swift.min(retry - 1, 20)))
        let nanos = DeploymentHealth.seconds(ceiling) * 1e9
        return .nanoseconds(Int64(Double.random(in: 0...1) * nanos))
    }
}
