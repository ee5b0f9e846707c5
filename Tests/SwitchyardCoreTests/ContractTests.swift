import Foundation
import SwitchyardCore
import Testing

/// Contract semantics at every boundary, with explicit instants (the clock is a parameter).
@Suite struct ContractTests {
    static func day(_ text: String) -> Date {
        guard let date = InstantText.parse(text) else { preconditionFailure("bad date \(text)") }
        return date
    }

    static let second: TimeInterval = 1

    static let yaml = """
        providers:
          azure: {type: openai, cloud: azure, region: eastus, base_url: "http://a.test/v1"}
          aws: {type: openai, cloud: aws, region: us-west-2, base_url: "http://b.test/v1"}
          openai: {type: openai, cloud: openai, base_url: "http://c.test/v1"}
        models:
          gpt-5.1:
            publisher: openai
            product: frontier
            launched: 2026-11-20
            price: {input: 1.00, output: 10.00}
            deployments: [{provider: aws, target: a}, {provider: azure, target: b}, {provider: openai, target: c}]
          gpt-4o:
            publisher: openai
            product: frontier
            launched: 2024-05-13
            deployments: [{provider: aws, target: a}, {provider: azure, target: b}]
          oss-120b:
            publisher: openai
            product: open-weight
            deployments: [{provider: azure, target: x}, {provider: aws, target: y}]
          claude-x:
            publisher: anthropic
            deployments: [{provider: aws, target: z}]
        agreements:
          - id: azure-first-access
            terms:
              - first_access: {clouds: [azure], models: {publisher: openai}, window: 30d, from: 2025-10-28, until: 2033-01-01}
              - revenue_share: {beneficiary: microsoft, percent: 20, models: {publisher: openai}, from: 2025-10-28, until: 2031-01-01}
          - id: aws-open-weight
            terms:
              - exclusive: {clouds: [aws], models: {product: open-weight}, from: 2026-06-01, until: 2027-06-01}
              - revenue_share: {beneficiary: amazon, percent: 12.5, models: "oss-*", clouds: [aws], from: 2026-06-01, until: 2027-06-01}
        tenants:
          anyone: {}
          aws-shop: {clouds: [aws]}
          openai-shop: {clouds: [openai]}
        """

    static let config: GatewayConfig = {
        do { return try GatewayConfig.load(yaml: yaml, environment: [:]) } catch { preconditionFailure("\(error)") }
    }()

    let planner = RoutePlanner(config: Self.config)

    func clouds(_ model: String, _ tenant: String, _ instant: Date) -> [String]? {
        (try? planner.plan(model: model, tenant: tenant, at: instant))?.candidates.map(\.provider.cloud)
    }

    @Test func firstAccessHoldsFromLaunchUntilLaunchPlusWindowExactly() {
        let launch = Self.day("2026-11-20")
        let end = Self.day("2026-12-20")
        #expect(clouds("gpt-5.1", "anyone", launch.addingTimeInterval(-1)) == ["aws", "azure", "openai"])
        #expect(clouds("gpt-5.1", "anyone", launch) == ["azure"])
        #expect(clouds("gpt-5.1", "anyone", end.addingTimeInterval(-1)) == ["azure"])
        #expect(clouds("gpt-5.1", "anyone", end) == ["aws", "azure", "openai"])
    }

    @Test func firstAccessAppliesOnlyToModelsLaunchedInsideTheTerm() {
        // gpt-4o launched before the term's from: no window for it.
        #expect(clouds("gpt-4o", "aws-shop", Self.day("2024-05-14")) == ["aws"])
    }

    @Test func exclusivityHoldsInsideFromUntilOnly() {
        let from = Self.day("2026-06-01")
        let until = Self.day("2027-06-01")
        #expect(clouds("oss-120b", "anyone", from.addingTimeInterval(-1)) == ["azure", "aws"])
        #expect(clouds("oss-120b", "anyone", from) == ["aws"])
        #expect(clouds("oss-120b", "anyone", until.addingTimeInterval(-1)) == ["aws"])
        #expect(clouds("oss-120b", "anyone", until) == ["azure", "aws"])
    }

    @Test func aRefusalNamesTheTermAndWhenTheModelBecomesAvailable() throws {
        let now = Self.day("2026-11-29T12:00:00Z")
        let error = #expect(throws: GatewayError.self) {
            try planner.plan(model: "gpt-5.1", tenant: "aws-shop", at: now)
        }
        #expect(error?.code == .modelNotAvailable)
        #expect(error?.code.status == 403)
        let message = try #require(error?.message)
        #expect(
            message.contains(
                "agreement 'azure-first-access' term 1 (first_access): only azure from 2026-11-20T00:00:00Z until 2026-12-20T00:00:00Z"
            )
        )
        #expect(message.contains("It becomes available on your clouds at 2026-12-20T00:00:00Z."))
    }

    @Test func aTenantWhoseCloudsHaveNoDeploymentIsToldItWillNeverBeAvailable() {
        let error = #expect(throws: GatewayError.self) {
            try planner.plan(model: "claude-x", tenant: "openai-shop", at: Self.day("2026-01-01"))
        }
        #expect(error?.code == .modelNotAvailable)
        #expect(error?.message.contains("no term will ever make it available there") == true)
    }

    @Test func unknownModelsStay404() {
        let error = #expect(throws: GatewayError.self) {
            try planner.plan(model: "gpt-9", tenant: "anyone", at: Self.day("2026-01-01"))
        }
        #expect(error?.code == .modelNotFound)
    }

    @Test func revenueShareAccruesInsideItsWindowOnMatchingCloudsExactly() {
        let contracts = planner.contracts
        let charge = USDNanos(1_000_000_007)
        let inside = contracts.accruals(model: "oss-120b", cloud: "aws", at: Self.day("2026-07-01"), charge: charge)
        #expect(
            Set(inside) == [
                RevenueShareAccrual(
                    beneficiary: "microsoft",
                    agreementID: "azure-first-access",
                    amount: USDNanos(200_000_001)
                ),
                RevenueShareAccrual(
                    beneficiary: "amazon",
                    agreementID: "aws-open-weight",
                    amount: USDNanos(125_000_001)
                ),
            ]
        )
        // amazon's share covers only traffic served on aws.
        #expect(
            contracts.accruals(model: "oss-120b", cloud: "azure", at: Self.day("2026-07-01"), charge: charge).map(
                \.beneficiary
            ) == ["microsoft"]
        )
        // until is exclusive.
        #expect(
            contracts.accruals(model: "gpt-5.1", cloud: "azure", at: Self.day("2031-01-01"), charge: charge).isEmpty
        )
        #expect(
            contracts.accruals(
                model: "gpt-5.1",
                cloud: "azure",
                at: Self.day("2031-01-01").addingTimeInterval(-1),
                charge: charge
            ).count == 1
        )
        #expect(contracts.accruals(model: "claude-x", cloud: "aws", at: Self.day("2026-07-01"), charge: charge).isEmpty)
    }

    @Test func percentagesRoundHalfEvenAtTheNanoDollar() throws {
        let twenty = try #require(Percent(parsing: "20"))
        #expect(twenty.of(USDNanos(5)) == USDNanos(1))  // 1.0
        #expect(twenty.of(USDNanos(7)) == USDNanos(1))  // 1.4
        #expect(twenty.of(USDNanos(8)) == USDNanos(2))  // 1.6
        let half = try #require(Percent(parsing: "50"))
        #expect(half.of(USDNanos(5)) == USDNanos(2))  // 2.5 → 2
        #expect(half.of(USDNanos(7)) == USDNanos(4))  // 3.5 → 4
        #expect(Percent(parsing: "12.5")?.description == "12.5%")
        #expect(Percent(parsing: "100.000001") == nil)
        #expect(Percent(parsing: "1.0000001") == nil)
    }

    @Test func explainGivesEveryDeploymentWithItsReasons() throws {
        let explanation = try planner.explain(model: "gpt-5.1", tenant: "aws-shop", at: Self.day("2026-11-29"))
        #expect(explanation.deployments.map(\.cloud) == ["aws", "azure", "openai"])
        #expect(explanation.deployments.map(\.eligible) == [false, false, false])
        #expect(explanation.deployments[0].reasons.count == 1)
        #expect(explanation.deployments[1].reasons == ["tenant 'aws-shop' may use only clouds aws"])
        #expect(explanation.deployments[2].reasons.count == 2)
        #expect(explanation.revenueShares.count == 1)
        #expect(explanation.refusal?.contains("2026-12-20T00:00:00Z") == true)
        let open = try planner.explain(model: "gpt-5.1", tenant: nil, at: Self.day("2026-11-29"))
        #expect(open.deployments.map(\.eligible) == [false, true, false])
        #expect(open.refusal == nil)
    }

    @Test func theTimelineListsEveryChangeInOrder() {
        let events = planner.contracts.timeline(models: Self.config.models, from: Self.day("2026-01-01"), until: nil)
        let described = events.map { "\(InstantText.format($0.at)) \($0.change)" }
        #expect(
            described == [
                "2026-06-01T00:00:00Z exclusivity to aws for product=open-weight begins",
                "2026-06-01T00:00:00Z revenue share of 12.5% to amazon begins for name=oss-* on aws",
                "2026-11-20T00:00:00Z first access for azure begins for gpt-5.1 (launch)",
                "2026-12-20T00:00:00Z first access for azure ends for gpt-5.1: other clouds become eligible",
                "2027-06-01T00:00:00Z exclusivity to aws for product=open-weight ends",
                "2027-06-01T00:00:00Z revenue share of 12.5% to amazon ends for name=oss-* on aws",
                "2031-01-01T00:00:00Z revenue share of 20% to microsoft ends for publisher=openai",
            ]
        )
    }

    /// Property: at seeded random instants, eligibility changes between two instants only if the
    /// timeline lists an instant between them; and explain agrees with routing.
    @Test func eligibilityChangesOnlyAtTimelineInstantsAndExplainAgreesWithRouting() throws {
        let events = planner.contracts.timeline(models: Self.config.models, from: .distantPast, until: nil)
        let instants = events.map(\.at)
        var generator = SeededGenerator(seed: 42)
        let start = Self.day("2024-01-01").timeIntervalSince1970
        let end = Self.day("2034-01-01").timeIntervalSince1970
        for _ in 0..<2000 {
            let a = Date(timeIntervalSince1970: Double.random(in: start..<end, using: &generator).rounded())
            let b = a.addingTimeInterval(Double.random(in: 1..<(86_400 * 60), using: &generator).rounded())
            for model in Self.config.models.map(\.name) {
                for tenant in ["anyone", "aws-shop", "openai-shop"] {
                    let before = clouds(model, tenant, a)
                    let after = clouds(model, tenant, b)
                    if before != after {
                        #expect(
                            instants.contains { $0 > a && $0 <= b },
                            "\(model) \(tenant) changed between \(a) and \(b)"
                        )
                    }
                    let explained = try planner.explain(model: model, tenant: tenant, at: a)
                    #expect(explained.deployments.filter(\.eligible).map(\.cloud) == (before ?? []))
                }
            }
        }
        // And every listed instant that concerns eligibility does change it for someone.
        for event in events where event.kind != "revenue_share" {
            let changed = event.models.contains { model in
                ["anyone", "aws-shop", "openai-shop"].contains {
                    clouds(model, $0, event.at.addingTimeInterval(-1)) != clouds(model, $0, event.at)
                }
            }
            #expect(changed, "\(event.change) at \(event.at)")
        }
    }

    @Test func checkFindsOverlappingExclusivityAndTermsThatMatchNothing() throws {
        let overlap = """
              - id: overlap
                terms:
                  - exclusive: {clouds: [azure], models: {product: open-weight}, from: 2027-01-01, until: 2027-02-01}
                  - exclusive: {clouds: [azure], models: {publisher: nobody}, from: 2027-01-01, until: 2027-02-01}
            tenants:

            """
        let config = try GatewayConfig.load(
            yaml: Self.yaml.replacingOccurrences(of: "tenants:\n", with: overlap),
            environment: [:]
        )
        let contracts = RoutePlanner(config: config).contracts
        let gaps = contracts.gaps(model: "oss-120b")
        #expect(gaps.count == 1)
        #expect(gaps.first?.from == Self.day("2027-01-01"))
        #expect(gaps.first?.until == Self.day("2027-02-01"))
        #expect(Set(gaps.first?.restrictions.map(\.term.agreementID) ?? []) == ["aws-open-weight", "overlap"])
        #expect(contracts.gaps(model: "gpt-5.1").isEmpty)
        #expect(
            contracts.unmatchedTerms(models: config.models).map(\.description) == [
                "agreement 'overlap' term 2 (exclusive)"
            ]
        )
    }

    @Test func exclusivityAndRevenueShareMustEnd() {
        let yaml = Self.yaml.replacingOccurrences(
            of: ", from: 2026-06-01, until: 2027-06-01}",
            with: ", from: 2026-06-01}"
        )
        let error = #expect(throws: ConfigError.self) { try GatewayConfig.load(yaml: yaml, environment: [:]) }
        let text = error?.description ?? ""
        #expect(
            text.contains(
                "agreements[1].terms[0].exclusive.until: is required: exclusive terms run on fixed timelines and must end"
            )
        )
        #expect(
            text.contains(
                "agreements[1].terms[1].revenue_share.until: is required: revenue_share terms run on fixed timelines and must end"
            )
        )
    }

    @Test func termTyposAreCaught() {
        let yaml = Self.yaml
            .replacingOccurrences(
                of: "clouds: [azure], models: {publisher: openai}, window: 30d",
                with: "clouds: [azur], models: {publisher: openai}, window: 30"
            )
            .replacingOccurrences(of: "percent: 20,", with: "percent: 120,")
        let error = #expect(throws: ConfigError.self) { try GatewayConfig.load(yaml: yaml, environment: [:]) }
        let text = error?.description ?? ""
        #expect(text.contains(#"agreements[0].terms[0].first_access.clouds: unknown cloud "azur""#))
        #expect(text.contains("agreements[0].terms[0].first_access.window: expected a duration"))
        #expect(
            text.contains(
                #"agreements[0].terms[1].revenue_share.percent: expected a percentage above 0 and at most 100"#
            )
        )
    }
}

/// A small deterministic generator (SplitMix64) so property tests reproduce.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { self.state = seed }
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
