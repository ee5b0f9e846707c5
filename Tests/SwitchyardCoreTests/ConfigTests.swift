import Foundation
import SwitchyardCore
import Testing

@Suite struct ConfigTests {
    static let valid = """
        listen: 127.0.0.1:9090
        store: sqlite:/tmp/ledger.db
        admin_key: ${ADMIN_KEY}
        providers:
          azure-east: {type: openai, cloud: azure, region: eastus, base_url: "https://example.test/v1/", api_key: "${AZURE_KEY}"}
          bedrock-west: {type: openai, cloud: aws, region: us-west-2, base_url: "http://127.0.0.1:1/v1"}
        models:
          gpt-5:
            publisher: openai
            product: frontier
            launched: 2026-08-07
            price: {input: 1.50, output: 12.00}
            deployments:
              - {provider: azure-east, target: gpt-5-prod, cost: {input: 1.25, output: 10.00}}
              - {provider: bedrock-west, target: "openai.gpt-5-v1:0"}
        routing: {strategy: priority, retries: 1, timeouts: {connect: 500ms, first_byte: 30s}}
        tenants:
          acme: {clouds: [aws], budget: {usd: 500, per: month}, rpm: 600}
        keys:
          - {key: "${ACME_KEY}", tenant: acme}
        """

    static let environment = [
        "ADMIN_KEY": "admin-secret", "AZURE_KEY": "azure-secret-value", "ACME_KEY": "sk-acme-secret",
    ]

    @Test func parsesEveryFieldOfTheDesignSketch() throws {
        let config = try GatewayConfig.load(yaml: Self.valid, environment: Self.environment)
        #expect(config.listen == ListenAddress(host: "127.0.0.1", port: 9090))
        #expect(config.store == .sqlite(path: "/tmp/ledger.db"))
        #expect(config.adminKey?.value == "admin-secret")
        #expect(config.providers.map(\.id) == ["azure-east", "bedrock-west"])
        let azure = try #require(config.provider("azure-east"))
        #expect(azure.baseURL == "https://example.test/v1")
        #expect(azure.apiKey?.value == "azure-secret-value")
        #expect(azure.region == "eastus")
        let model = try #require(config.model("gpt-5"))
        #expect(model.price.input.nanosPerMillion == 1_500_000_000)
        #expect(model.price.output.nanosPerMillion == 12_000_000_000)
        #expect(model.launched == Date(timeIntervalSince1970: 1_786_060_800))
        #expect(model.deployments.map(\.target) == ["gpt-5-prod", "openai.gpt-5-v1:0"])
        #expect(model.deployments[1].cost == .zero)
        #expect(config.routing.retries == 1)
        #expect(config.routing.connectTimeout == .milliseconds(500))
        #expect(config.routing.firstByteTimeout == .seconds(30))
        #expect(config.tenants.first?.clouds == ["aws"])
        #expect(config.tenants.first?.budgetPerMonth == USDNanos(500_000_000_000))
        #expect(config.keys.first?.tenant == "acme")
        #expect(config.keys.first?.key.value == "sk-acme-secret")
        #expect(config.keys.first?.id.hasPrefix("key-") == true)
    }

    @Test func environmentDefaultsApplyWhenTheVariableIsMissing() throws {
        let yaml = Self.valid.replacingOccurrences(of: "127.0.0.1:9090", with: "${LISTEN:-0.0.0.0:7070}")
        let config = try GatewayConfig.load(yaml: yaml, environment: Self.environment)
        #expect(config.listen == ListenAddress(host: "0.0.0.0", port: 7070))
    }

    @Test func aMissingVariableIsAnErrorNamingIt() {
        var environment = Self.environment
        environment["AZURE_KEY"] = nil
        let error = #expect(throws: ConfigError.self) {
            try GatewayConfig.load(yaml: Self.valid, environment: environment)
        }
        #expect(error?.description == "providers.azure-east.api_key: environment variable AZURE_KEY is not set")
    }

    @Test func tracingIsOffUnlessConfiguredAndItsProblemsAreNamed() throws {
        #expect(try GatewayConfig.load(yaml: Self.valid, environment: Self.environment).tracing == nil)
        let traced = try GatewayConfig.load(
            yaml: Self.valid + "\ntracing: {endpoint: \"http://collector:4318/\", sample_ratio: 0.25}\n",
            environment: Self.environment
        )
        #expect(traced.tracing == TracingConfig(endpoint: "http://collector:4318", sampleRatio: 0.25))
        let error = #expect(throws: ConfigError.self) {
            try GatewayConfig.load(
                yaml: Self.valid + "\ntracing: {endpoint: \"collector:4318\", sample_ratio: 2}\n",
                environment: Self.environment
            )
        }
        #expect(
            error?.description
                == #"tracing.endpoint: expected an http(s) URL such as http://127.0.0.1:4318, got "collector:4318""#
        )
    }

    @Test func anUnknownProviderIsReportedWithItsPath() {
        let yaml = Self.valid.replacingOccurrences(of: "{provider: bedrock-west", with: "{provider: bedrock-wst")
        let error = #expect(throws: ConfigError.self) {
            try GatewayConfig.load(yaml: yaml, environment: Self.environment)
        }
        #expect(error?.description == #"models.gpt-5.deployments[1].provider: unknown provider "bedrock-wst""#)
    }

    @Test func everyProblemIsListedAndNoSecretIsPrinted() {
        let yaml = Self.valid
            .replacingOccurrences(of: "tenant: acme}", with: "tenant: acne}")
            .replacingOccurrences(of: "retries: 1", with: "retries: many")
            .replacingOccurrences(of: "strategy: priority", with: "strategy: fastest")
            .replacingOccurrences(of: "cloud: azure,", with: "cloud: azure, colour: blue,")
        let error = #expect(throws: ConfigError.self) {
            try GatewayConfig.load(yaml: yaml, environment: Self.environment)
        }
        let text = error?.description ?? ""
        #expect(text.contains(#"keys[0].tenant: unknown tenant "acne""#))
        #expect(text.contains(#"routing.retries: expected a whole number in 0...10, got "many""#))
        #expect(text.contains(#"routing.strategy: unknown strategy "fastest""#))
        #expect(text.contains("providers.azure-east.colour: unknown field"))
        #expect(error?.issues.count == 4)
        for secret in Self.environment.values { #expect(!text.contains(secret)) }
    }

    @Test func aYAMLSyntaxErrorDoesNotQuoteTheLineThatMayHoldASecret() {
        let yaml = "admin_key: \"sk-live-very-secret\n  bad: [\n"
        let error = #expect(throws: ConfigError.self) { try GatewayConfig.load(yaml: yaml, environment: [:]) }
        #expect(error?.description.contains("not valid YAML") == true)
        #expect(error?.description.contains("sk-live-very-secret") == false)
    }

    @Test func secretsAreRedactedWhenPrinted() throws {
        let config = try GatewayConfig.load(yaml: Self.valid, environment: Self.environment)
        let printed = "\(config.providers) \(config.keys) \(String(describing: config.adminKey))"
        for secret in Self.environment.values { #expect(!printed.contains(secret)) }
        #expect(printed.contains("<redacted>"))
    }

    @Test func unsupportedProviderTypesAreRejectedWithTheSupportedList() {
        let yaml = Self.valid.replacingOccurrences(of: "{type: openai, cloud: aws", with: "{type: vertex, cloud: aws")
        let error = #expect(throws: ConfigError.self) {
            try GatewayConfig.load(yaml: yaml, environment: Self.environment)
        }
        #expect(
            error?.description
                == #"providers.bedrock-west.type: unknown provider type "vertex" (supported: openai, azure-openai, bedrock, anthropic, gemini)"#
        )
    }

    @Test(arguments: [
        ("500ms", Duration.milliseconds(500)), ("2s", .seconds(2)), ("5m", .seconds(300)), ("1h", .seconds(3600)),
        ("30d", .seconds(2_592_000)),
    ])
    func durationsParse(text: String, expected: Duration) {
        #expect(DurationText.parse(text) == expected)
    }

    @Test(arguments: ["", "s", "2", "2 s", "-1s", "1.5s", "3w"])
    func badDurationsAreRejected(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test func listenAddressesParse() {
        #expect(ListenAddress(parsing: "127.0.0.1:8080") == ListenAddress(host: "127.0.0.1", port: 8080))
        #expect(ListenAddress(parsing: "[::1]:80") == ListenAddress(host: "::1", port: 80))
        #expect(ListenAddress(parsing: ":9000") == ListenAddress(host: "0.0.0.0", port: 9000))
        #expect(ListenAddress(parsing: "localhost") == nil)
        #expect(ListenAddress(parsing: "h:70000") == nil)
    }
}

@Suite struct ConfigFlowMappingTests {
    @Test func anUnquotedVariableInAFlowMappingGetsAHint() {
        let yaml = "providers:\n  p: {type: openai, cloud: x, api_key: ${KEY}}\nmodels: {}\n"
        let error = #expect(throws: ConfigError.self) {
            try GatewayConfig.load(yaml: yaml, environment: ["KEY": "sk-secret"])
        }
        #expect(error?.description.contains(#"write "${VAR}" in quotes"#) == true)
        #expect(error?.description.contains("sk-secret") == false)
    }
}
