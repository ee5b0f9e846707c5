import Foundation

/// A deployment the request may be sent to, with everything an attempt needs.
public struct RouteCandidate: Sendable, Hashable {
    /// The provider.
    public var provider: ProviderConfig
    /// The deployment (target name, cost).
    public var deployment: DeploymentConfig
    /// The deployment's position in its model's list.
    public var index: Int
    /// The deployment's health slot: one per distinct provider and target across all models.
    public var slot: Int

    /// Creates a candidate.
    public init(provider: ProviderConfig, deployment: DeploymentConfig, index: Int = 0, slot: Int = 0) {
        self.provider = provider
        self.deployment = deployment
        self.index = index
        self.slot = slot
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
    /// Every allowed deployment was open or cooling down, so the plan holds the one that recovers
    /// first and it is tried anyway.
    public var forced = false
}

/// Turns a model name, a tenant and an instant into a ``RoutePlan``:
/// catalog deployments → those the contract terms in force allow → those on the tenant's clouds
/// and regions. Pure; compiled once per configuration, so planning is a lookup.
public struct RoutePlanner: Sendable {
    struct Entry: Sendable {
        var model: ModelConfig
        /// One per deployment, in configured order (a deployment's index is its position).
        var candidates: [RouteCandidate]
    }

    private let models: [String: Entry]
    private let catalogOrder: [String]
    private let tenants: [String: TenantConfig]
    private let retries: Int
    /// The compiled contract terms.
    public let contracts: ContractBook
    /// One candidate per health slot (distinct provider and target), in slot order.
    public let slots: [RouteCandidate]

    /// Compiles the catalog, the tenants and the agreements of `config`.
    public init(config: GatewayConfig) {
        let providers = Dictionary(config.providers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var models: [String: Entry] = [:]
        var slotIndex: [String: Int] = [:]
        var slots: [RouteCandidate] = []
        for model in config.models {
            let candidates = model.deployments.enumerated().compactMap { index, deployment -> RouteCandidate? in
                guard let provider = providers[deployment.provider] else { return nil }
                let key = provider.id + "\u{0}" + deployment.target
                var candidate = RouteCandidate(provider: provider, deployment: deployment, index: index)
                if let slot = slotIndex[key] {
                    candidate.slot = slot
                } else {
                    candidate.slot = slots.count
                    slotIndex[key] = slots.count
                    slots.append(candidate)
                }
                return candidate
            }
            models[model.name] = Entry(model: model, candidates: candidates)
        }
        self.models = models
        self.slots = slots
        self.catalogOrder = config.models.map(\.name)
        self.tenants = Dictionary(config.tenants.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.retries = config.routing.retries
        self.contracts = ContractBook(agreements: config.agreements, models: config.models, providers: config.providers)
    }

    /// The plan for `model` requested by `tenant` at `instant`.
    /// - Throws: ``GatewayError`` `model_not_found` for an unknown model; `model_not_available`
    ///   when contract terms or the tenant's clouds leave no deployment, with a message naming
    ///   what blocks it and when it becomes available to this tenant.
    public func plan(model name: String, tenant tenantID: String, at instant: Date) throws(GatewayError) -> RoutePlan {
        try self.plan(model: name, tenantID: tenantID, scope: self.tenants[tenantID], at: instant)
    }

    /// The plan for `model` requested by a caller of `tenantID` limited to `access` (the
    /// tenant's rules narrowed by its key's) at `instant`.
    /// - Throws: ``GatewayError`` as ``plan(model:tenant:at:)``; `model_not_available` also when
    ///   `access` excludes the model or leaves no cloud or region.
    public func plan(
        model name: String,
        tenant tenantID: String,
        access: AccessRules,
        at instant: Date
    ) throws(GatewayError) -> RoutePlan {
        guard self.models[name] != nil, access.allows(model: name) else {
            if self.models[name] == nil {
                return try self.plan(model: name, tenantID: tenantID, scope: nil, at: instant)
            }
            throw GatewayError(
                code: .modelNotAvailable,
                message: "The model '\(name)' is not among the models this key of tenant '\(tenantID)' may use.",
                param: "model"
            )
        }
        guard access.clouds != [], access.regions != [] else {
            throw GatewayError(
                code: .modelNotAvailable,
                message: "This key of tenant '\(tenantID)' may use no cloud or region, so no model is available to it.",
                param: "model"
            )
        }
        let scope = TenantConfig(id: tenantID, clouds: access.clouds ?? [], regions: access.regions ?? [])
        return try self.plan(model: name, tenantID: tenantID, scope: scope, at: instant)
    }

    /// The models a caller limited to `access` can use at `instant`, in catalog order.
    public func availableModels(tenant tenantID: String, access: AccessRules, at instant: Date) -> [ModelConfig] {
        guard access.clouds != [], access.regions != [] else { return [] }
        let scope = TenantConfig(id: tenantID, clouds: access.clouds ?? [], regions: access.regions ?? [])
        return self.availableModels(scope: scope, at: instant).filter { access.allows(model: $0.name) }
    }

    private func plan(
        model name: String,
        tenantID: String,
        scope: TenantConfig?,
        at instant: Date
    ) throws(GatewayError) -> RoutePlan {
        guard let entry = self.models[name] else {
            throw GatewayError(
                code: .modelNotFound,
                message: "The model '\(name)' does not exist or you do not have access to it.",
                param: "model"
            )
        }
        let allowed = self.contracts.eligibleDeployments(model: name, at: instant) ?? Array(entry.candidates.indices)
        let tenant = scope
        var candidates: [RouteCandidate] = []
        candidates.reserveCapacity(allowed.count)
        for index in allowed where tenant.map({ Self.allows($0, entry.candidates[index].provider) }) != false {
            candidates.append(entry.candidates[index])
        }
        guard !candidates.isEmpty else {
            throw GatewayError(
                code: .modelNotAvailable,
                message: self.refusal(entry, tenant: tenant, tenantID: tenantID, at: instant),
                param: "model"
            )
        }
        return RoutePlan(
            model: entry.model,
            candidates: candidates,
            maxAttempts: min(candidates.count, self.retries + 1)
        )
    }

    /// Every deployment of `model` in configured order, eligible or not (empty for an unknown model).
    public func catalogCandidates(model name: String) -> [RouteCandidate] { self.models[name]?.candidates ?? [] }

    /// The tenant with `id`.
    public func tenant(_ id: String) -> TenantConfig? { self.tenants[id] }

    /// Why nothing is eligible, and when that changes.
    private func refusal(_ entry: Entry, tenant: TenantConfig?, tenantID: String, at instant: Date) -> String {
        let name = entry.model.name
        let onTenantClouds = Set(
            entry.candidates.indices.filter { index in
                tenant.map { Self.allows($0, entry.candidates[index].provider) } != false
            }
        )
        guard let tenant, !onTenantClouds.isEmpty else {
            let clouds = tenant.map { Self.describeScope($0) } ?? "any cloud"
            return
                "The model '\(name)' has no deployment on the clouds and regions tenant '\(tenantID)' may use (\(clouds)), so no term will ever make it available there."
        }
        let blocking = Set(onTenantClouds.flatMap { self.contracts.barring(model: name, deployment: $0, at: instant) })
            .sorted { $0.reason < $1.reason }
        var message =
            "The model '\(name)' is not available to tenant '\(tenantID)' (\(Self.describeScope(tenant))) at \(InstantText.format(instant)): "
        message += blocking.map(\.reason).joined(separator: "; ") + "."
        if let next = self.contracts.nextAvailability(model: name, deployments: onTenantClouds, after: instant) {
            message += " It becomes available on your clouds at \(InstantText.format(next))."
        } else {
            message += " No term in force will ever make it available on your clouds."
        }
        return message
    }

    static func describeScope(_ tenant: TenantConfig) -> String {
        let clouds = tenant.clouds.isEmpty ? "any cloud" : "clouds " + tenant.clouds.joined(separator: ", ")
        return tenant.regions.isEmpty ? clouds : clouds + "; regions " + tenant.regions.joined(separator: ", ")
    }

    /// The models the tenant can use at `instant`, in catalog order.
    public func availableModels(tenant tenantID: String, at instant: Date) -> [ModelConfig] {
        self.availableModels(scope: self.tenants[tenantID], at: instant)
    }

    private func availableModels(scope: TenantConfig?, at instant: Date) -> [ModelConfig] {
        self.catalogOrder.compactMap { name in
            guard let entry = self.models[name] else { return nil }
            let allowed =
                self.contracts.eligibleDeployments(model: name, at: instant) ?? Array(entry.candidates.indices)
            guard let tenant = scope else { return allowed.isEmpty ? nil : entry.model }
            return allowed.contains { Self.allows(tenant, entry.candidates[$0].provider) } ? entry.model : nil
        }
    }

    /// Every deployment of `model` with the reasons it is eligible or not for `tenant` at `instant`.
    /// - Throws: ``GatewayError`` `model_not_found`.
    public func explain(
        model name: String,
        tenant tenantID: String?,
        at instant: Date
    ) throws(GatewayError) -> Explanation {
        var tenant: TenantConfig?
        if let tenantID {
            guard let found = self.tenants[tenantID] else {
                throw GatewayError(code: .invalidRequest, message: "Unknown tenant '\(tenantID)'.", param: "tenant")
            }
            tenant = found
        }
        return try self.explain(model: name, tenantID: tenantID, scope: tenant, modelAllowed: true, at: instant)
    }

    /// As ``explain(model:tenant:at:)`` for a tenant of the store (or any ``TenantRecord``):
    /// its clouds, regions and models decide as they do for its requests.
    public func explain(model name: String, tenant: TenantRecord, at instant: Date) throws(GatewayError) -> Explanation
    {
        // An empty list in a record means "none"; a scope with an impossible name says so.
        func scope(_ values: [String]?) -> [String] { values.map { $0.isEmpty ? ["(none)"] : $0 } ?? [] }
        let config = TenantConfig(
            id: tenant.id,
            clouds: scope(tenant.access.clouds),
            regions: scope(tenant.access.regions)
        )
        return try self.explain(
            model: name,
            tenantID: tenant.id,
            scope: config,
            modelAllowed: tenant.access.allows(model: name),
            at: instant
        )
    }

    private func explain(
        model name: String,
        tenantID: String?,
        scope tenant: TenantConfig?,
        modelAllowed: Bool,
        at instant: Date
    ) throws(GatewayError) -> Explanation {
        guard let entry = self.models[name] else {
            throw GatewayError(code: .modelNotFound, message: "The model '\(name)' does not exist.", param: "model")
        }
        let verdicts = entry.candidates.enumerated().map { index, candidate in
            var reasons = self.contracts.barring(model: name, deployment: index, at: instant).map(\.reason)
            if let tenant, !Self.allows(tenant, candidate.provider) {
                reasons.append("tenant '\(tenant.id)' may use only \(Self.describeScope(tenant))")
            }
            if !modelAllowed { reasons.append("tenant '\(tenantID ?? "")' may not use model '\(name)'") }
            return Explanation.Deployment(
                provider: candidate.provider.id,
                cloud: candidate.provider.cloud,
                region: candidate.provider.region,
                target: candidate.deployment.target,
                eligible: reasons.isEmpty,
                reasons: reasons
            )
        }
        let accruals = self.contracts.accrualTerms(model: name, at: instant).map { term in
            guard case .revenueShare(let beneficiary, let percent, let clouds) = term.kind else { return "" }
            let scope = clouds.map { " on " + $0.joined(separator: ", ") } ?? ""
            return "\(term): \(percent) of the charge to \(beneficiary)\(scope)"
        }
        var message: String?
        if !verdicts.contains(where: \.eligible) {
            message = self.refusal(entry, tenant: tenant, tenantID: tenantID ?? "any", at: instant)
        }
        return Explanation(
            model: name,
            tenant: tenantID,
            at: instant,
            deployments: verdicts,
            revenueShares: accruals,
            refusal: message
        )
    }

    static func allows(_ tenant: TenantConfig, _ provider: ProviderConfig) -> Bool {
        (tenant.clouds.isEmpty || tenant.clouds.contains(provider.cloud))
            && (tenant.regions.isEmpty || provider.region.map(tenant.regions.contains) == true)
    }
}

/// Why each deployment of a model is or is not eligible (``RoutePlanner/explain(model:tenant:at:)``).
public struct Explanation: Sendable, Hashable, Encodable {
    /// One deployment's verdict.
    public struct Deployment: Sendable, Hashable, Encodable {
        public var provider: String
        public var cloud: String
        public var region: String?
        public var target: String
        public var eligible: Bool
        /// Empty when eligible; otherwise every term or tenant rule that bars it.
        public var reasons: [String]
    }

    public var model: String
    public var tenant: String?
    public var at: Date
    /// In the order routing would try them.
    public var deployments: [Deployment]
    /// Revenue-share terms that traffic at this instant accrues to.
    public var revenueShares: [String]
    /// The refusal a request would get, when nothing is eligible.
    public var refusal: String?
}
