import Foundation
import SwitchyardCore
import Testing

@Suite struct RoutePlannerTests {
    static let config = GatewayConfig(
        providers: [
            ProviderConfig(id: "azure-east", kind: .openAI, cloud: "azure", region: "eastus", baseURL: "http://a"),
            ProviderConfig(id: "aws-west", kind: .openAI, cloud: "aws", region: "us-west-2", baseURL: "http://b"),
            ProviderConfig(id: "aws-east", kind: .openAI, cloud: "aws", region: "us-east-1", baseURL: "http://c"),
        ],
        models: [
            ModelConfig(
                name: "gpt-5",
                deployments: [
                    DeploymentConfig(provider: "azure-east", target: "a"),
                    DeploymentConfig(provider: "aws-west", target: "b"),
                    DeploymentConfig(provider: "aws-east", target: "c"),
                ]
            ),
            ModelConfig(name: "azure-only", deployments: [DeploymentConfig(provider: "azure-east", target: "x")]),
        ],
        routing: RoutingConfig(retries: 1),
        tenants: [
            TenantConfig(id: "any"), TenantConfig(id: "aws-shop", clouds: ["aws"]),
            TenantConfig(id: "east", regions: ["us-east-1"]),
        ],
        keys: []
    )

    static let now = Date(timeIntervalSince1970: 1_795_000_000)
    let planner = RoutePlanner(config: Self.config)

    @Test func deploymentsComeInConfiguredOrderAndRetriesCapTheAttempts() throws {
        let plan = try planner.plan(model: "gpt-5", tenant: "any", at: Self.now)
        #expect(plan.candidates.map(\.provider.id) == ["azure-east", "aws-west", "aws-east"])
        #expect(plan.maxAttempts == 2)
    }

    @Test func tenantCloudsAndRegionsNarrowThePlan() throws {
        #expect(
            try planner.plan(model: "gpt-5", tenant: "aws-shop", at: Self.now).candidates.map(\.provider.id) == [
                "aws-west", "aws-east",
            ]
        )
        #expect(
            try planner.plan(model: "gpt-5", tenant: "east", at: Self.now).candidates.map(\.provider.id) == ["aws-east"]
        )
    }

    @Test func aModelOutsideTheTenantsCloudsIsA403() {
        let error = #expect(throws: GatewayError.self) {
            try planner.plan(model: "azure-only", tenant: "aws-shop", at: Self.now)
        }
        #expect(error?.code == .modelNotAvailable)
        #expect(error?.code.status == 403)
    }

    @Test func anUnknownModelIsA404() {
        let error = #expect(throws: GatewayError.self) { try planner.plan(model: "gpt-6", tenant: "any", at: Self.now) }
        #expect(error?.code == .modelNotFound)
    }

    @Test func modelListsFollowTheTenant() {
        #expect(planner.availableModels(tenant: "any", at: Self.now).map(\.name) == ["gpt-5", "azure-only"])
        #expect(planner.availableModels(tenant: "aws-shop", at: Self.now).map(\.name) == ["gpt-5"])
    }

    @Test func keysAreRecognisedOnlyByTheirExactValue() {
        let ring = KeyRing(keys: [ClientKeyConfig(id: "k1", key: Secret("sk-one"), tenant: "any")])
        #expect(ring.identify("sk-one") == ClientIdentity(tenant: "any", keyID: "k1"))
        #expect(ring.identify("sk-one ") == nil)
        #expect(ring.identify("sk-on") == nil)
        #expect(ring.identify("") == nil)
    }
}
