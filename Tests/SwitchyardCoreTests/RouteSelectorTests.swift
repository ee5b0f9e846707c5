import Foundation
import SwitchyardCore
import Testing

@Suite struct RouteSelectorTests {
    static let now = Date(timeIntervalSince1970: 1_795_000_000)

    static func price(_ input: Int64, _ output: Int64) -> PriceSheet {
        PriceSheet(
            input: TokenPrice(nanosPerMillion: input * 1_000_000_000),
            output: TokenPrice(nanosPerMillion: output * 1_000_000_000)
        )
    }

    /// gpt-5 on azure (expensive, weight 3), aws (cheap, weight 1) and gcp (middle, weight 0).
    static func config(strategy: RoutingStrategy = .priority) -> GatewayConfig {
        GatewayConfig(
            providers: [
                ProviderConfig(id: "azure-east", kind: .openAI, cloud: "azure", region: "eastus", baseURL: "http://a"),
                ProviderConfig(id: "aws-west", kind: .openAI, cloud: "aws", region: "us-west-2", baseURL: "http://b"),
                ProviderConfig(
                    id: "gcp-central",
                    kind: .openAI,
                    cloud: "gcp",
                    region: "us-central1",
                    baseURL: "http://c"
                ),
            ],
            models: [
                ModelConfig(
                    name: "gpt-5",
                    deployments: [
                        DeploymentConfig(provider: "azure-east", target: "a", cost: Self.price(3, 12), weight: 3),
                        DeploymentConfig(provider: "aws-west", target: "b", cost: Self.price(1, 8), weight: 1),
                        DeploymentConfig(provider: "gcp-central", target: "c", cost: Self.price(2, 10), weight: 0),
                    ],
                    strategy: strategy
                ),
                ModelConfig(name: "azure-only", deployments: [DeploymentConfig(provider: "azure-east", target: "x")]),
            ],
            routing: RoutingConfig(retries: 2, breaker: BreakerConfig(consecutiveFailures: 1, openFor: .seconds(60))),
            tenants: [
                TenantConfig(id: "any"), TenantConfig(id: "aws-shop", clouds: ["aws"]),
                TenantConfig(id: "gcp-first", preferClouds: ["gcp"]),
            ],
            keys: []
        )
    }

    static func selector(_ strategy: RoutingStrategy = .priority) -> RouteSelector {
        let config = Self.config(strategy: strategy)
        return RouteSelector(config: config, planner: RoutePlanner(config: config))
    }

    static func order(_ selector: RouteSelector, tenant: String = "any", pin: RoutePin = RoutePin()) throws -> [String]
    {
        try selector.route(model: "gpt-5", tenant: tenant, at: Self.now, pin: pin).candidates.map(\.provider.id)
    }

    @Test func priorityKeepsTheConfiguredOrder() throws {
        #expect(try Self.order(Self.selector()) == ["azure-east", "aws-west", "gcp-central"])
    }

    @Test func costPutsTheCheapestForTheExpectedTokensFirst() throws {
        #expect(try Self.order(Self.selector(.cost)) == ["aws-west", "gcp-central", "azure-east"])
    }

    @Test func weightedSharesFirstPlacesByWeightSmoothly() throws {
        let selector = Self.selector(.weighted)
        let firsts = try (0..<8).map { _ in try Self.order(selector).first ?? "" }
        #expect(
            firsts == ["azure-east", "azure-east", "aws-west", "azure-east"] + [
                "azure-east", "azure-east", "aws-west", "azure-east",
            ]
        )
        // Every allowed deployment stays in the plan behind the chosen one.
        #expect(try Self.order(selector).count == 3)
    }

    @Test func latencyPrefersTheFasterOfTwoAndMeasuresTheUnmeasured() throws {
        let config = Self.config(strategy: .latency)
        var twoClouds = config
        twoClouds.models[0].deployments.removeLast()
        let selector = RouteSelector(config: twoClouds, planner: RoutePlanner(config: twoClouds))
        let plan = try selector.route(model: "gpt-5", tenant: "any", at: Self.now)
        selector.health[plan.candidates[0]].record(.success(timeToFirstByte: .milliseconds(80)), at: Self.now)
        // The unmeasured one goes first until it has a sample.
        let second = plan.candidates[1].provider.id
        #expect(try Self.order(selector).first == second)
        let azure = try #require(plan.candidates.first { $0.provider.id == "azure-east" })
        let aws = try #require(plan.candidates.first { $0.provider.id == "aws-west" })
        selector.health[azure].record(.success(timeToFirstByte: .milliseconds(400)), at: Self.now)
        selector.health[aws].record(.success(timeToFirstByte: .milliseconds(40)), at: Self.now)
        for _ in 0..<10 { #expect(try Self.order(selector) == ["aws-west", "azure-east"]) }
    }

    @Test func latencyWithManyDeploymentsDoesNotAlwaysPickTheFastest() throws {
        let selector = Self.selector(.latency)
        let plan = try selector.route(model: "gpt-5", tenant: "any", at: Self.now)
        for (candidate, millis) in zip(plan.candidates, [10, 20, 30]) {
            selector.health[candidate].record(.success(timeToFirstByte: .milliseconds(millis)), at: Self.now)
        }
        var firsts = Set<String>()
        for _ in 0..<200 { firsts.insert(try Self.order(selector).first ?? "") }
        // Power of two choices: the slowest is never first, the two faster ones share first place.
        #expect(firsts == [plan.candidates[0].provider.id, plan.candidates[1].provider.id])
    }

    @Test func aTenantsCloudPreferenceComesBeforeTheStrategy() throws {
        #expect(try Self.order(Self.selector(), tenant: "gcp-first") == ["gcp-central", "azure-east", "aws-west"])
        #expect(try Self.order(Self.selector(.cost), tenant: "gcp-first") == ["gcp-central", "aws-west", "azure-east"])
    }

    @Test func aPinNarrowsThePlanWithinWhatIsAllowed() throws {
        let selector = Self.selector()
        #expect(try Self.order(selector, pin: RoutePin(cloud: "aws")) == ["aws-west"])
        #expect(try Self.order(selector, pin: RoutePin(region: "us-central1")) == ["gcp-central"])

        let outside = #expect(throws: GatewayError.self) {
            try Self.order(selector, tenant: "aws-shop", pin: RoutePin(cloud: "azure"))
        }
        #expect(outside?.code == .pinNotAllowed && outside?.code.status == 403)
        #expect(outside?.param == "x-switchyard-cloud")
        #expect(outside?.message.contains("aws") == true)

        let nowhere = #expect(throws: GatewayError.self) { try Self.order(selector, pin: RoutePin(cloud: "oracle")) }
        #expect(nowhere?.code == .invalidRequest && nowhere?.code.status == 400)
    }

    @Test func openAndCoolingDeploymentsAreSkippedButNeverAllOfThem() throws {
        let selector = Self.selector()
        let plan = try selector.route(model: "gpt-5", tenant: "any", at: Self.now)
        selector.health[plan.candidates[0]].record(.failure(reason: "HTTP 500"), at: Self.now)
        selector.health[plan.candidates[1]].record(.throttled(cooldown: .seconds(5)), at: Self.now)
        let narrowed = try selector.route(model: "gpt-5", tenant: "any", at: Self.now)
        #expect(narrowed.candidates.map(\.provider.id) == ["gcp-central"] && !narrowed.forced)

        selector.health[plan.candidates[2]].record(.failure(reason: "timeout"), at: Self.now)
        // All unavailable: the one that recovers first (the 5 s cooldown) is tried anyway.
        let forced = try selector.route(model: "gpt-5", tenant: "any", at: Self.now)
        #expect(forced.candidates.map(\.provider.id) == ["aws-west"] && forced.forced)
        #expect(forced.maxAttempts == 1)
        // Once the cooldown is over it is back without forcing.
        let later = try selector.route(model: "gpt-5", tenant: "any", at: Self.now + 6)
        #expect(later.candidates.map(\.provider.id) == ["aws-west"] && !later.forced)
    }

    @Test func strategiesNeverWidenTheContractPlan() throws {
        for strategy in RoutingStrategy.allCases {
            let selector = Self.selector(strategy)
            #expect(try Self.order(selector, tenant: "aws-shop") == ["aws-west"])
        }
    }
}
