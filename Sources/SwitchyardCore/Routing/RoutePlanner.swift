/// A deployment the request may be sent to, with everything an attempt needs.
public struct RouteCandidate: Sendable, Hashable {
    /// The provider.
    public var provider: ProviderConfig
    /// The deployment (target name, cost).
    public var deployment: DeploymentConfig

    /// Creates a candidate.
    public init(provider: ProviderConfig, deployment: DeploymentConfig) {
        self.provider = provider
        self.deployment = deployment
    }
}

/// The ordered deployments one request may try, and its attempt budget.
public struct RoutePlan: Sendable {
    /// The model.
    public var model: ModelConfig
    /// Candidates in the order to try them.
    public var candidates: [RouteCandidate]
    /// At most this many attempts.
    public var maxAttempts: Int
}

/// Turns a model name and a tenant into a ``RoutePlan``. Pure; built once per configuration.
public struct RoutePlanner: Sendable {
    private let models: [String: (model: ModelConfig, candidates: [RouteCandidate])]
    private let tenants: [String: TenantConfig]
    private let retries: Int

    /// Precomputes every model's candidates.
    public init(config: GatewayConfig) {
        let providers = Dictionary(config.providers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var models: [String: (ModelConfig, [RouteCandidate])] = [:]
        for model in config.models {
            let candidates = model.deployments.compactMap { deployment in
                providers[deployment.provider].map { RouteCandidate(provider: $0, deployment: deployment) }
            }
            models[model.name] = (model, candidates)
        }
        self.models = models
        self.tenants = Dictionary(config.tenants.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.retries = config.routing.retries
    }

    /// The plan for `model` requested by `tenant`.
    /// - Throws: ``GatewayError`` `model_not_found` for an unknown model, `model_not_available`
    ///   when the tenant's clouds or regions exclude every deployment.
    public func plan(model name: String, tenant tenantID: String) throws(GatewayError) -> RoutePlan {
        guard let entry = self.models[name] else {
            throw GatewayError(
                code: .modelNotFound,
                message: "The model '\(name)' does not exist or you do not have access to it.",
                param: "model"
            )
        }
        var candidates = entry.candidates
        if let tenant = self.tenants[tenantID] {
            candidates = candidates.filter { Self.allows(tenant, $0.provider) }
            if candidates.isEmpty {
                throw GatewayError(
                    code: .modelNotAvailable,
                    message:
                        "The model '\(name)' has no deployment on the clouds and regions tenant '\(tenantID)' may use.",
                    param: "model"
                )
            }
        }
        return RoutePlan(
            model: entry.model,
            candidates: candidates,
            maxAttempts: min(candidates.count, self.retries + 1)
        )
    }

    /// Model names the tenant can use, in catalog order.
    public func availableModels(tenant tenantID: String, catalogOrder: [String]) -> [ModelConfig] {
        catalogOrder.compactMap { name in
            guard let entry = self.models[name] else { return nil }
            guard let tenant = self.tenants[tenantID] else { return entry.model }
            return entry.candidates.contains { Self.allows(tenant, $0.provider) } ? entry.model : nil
        }
    }

    static func allows(_ tenant: TenantConfig, _ provider: ProviderConfig) -> Bool {
        (tenant.clouds.isEmpty || tenant.clouds.contains(provider.cloud))
            && (tenant.regions.isEmpty || provider.region.map(tenant.regions.contains) == true)
    }
}
