import Foundation
import SwitchyardCore
import Testing

@Suite struct RoutingConfigTests {
    static let yaml = """
        providers:
          azure-east: {type: openai, cloud: azure, region: eastus, base_url: "http://127.0.0.1:1/v1"}
          aws-west: {type: openai, cloud: aws, region: us-west-2, base_url: "http://127.0.0.1:2/v1"}
        models:
          gpt-5:
            strategy: latency
            hedge: true
            deployments:
              - {provider: azure-east, target: a, weight: 3, max_in_flight: 8, timeouts: {connect: 300ms, first_byte: 5s, idle: 2s, total: 2m}}
              - {provider: aws-west, target: b}
          mini:
            deployments:
              - {provider: aws-west, target: m}
        routing:
          strategy: cost
          retries: 3
          timeouts: {connect: 1s, first_byte: 20s, idle: 10s, total: 5m}
          retry_budget: {ratio: 0.1, burst: 5}
          backoff: {base: 50ms, max: 2s}
          breaker: {consecutive_failures: 4, error_rate: 0.25, window: 1m, min_requests: 20, open_for: 15s}
          max_in_flight: 100
          queue_timeout: 250ms
          expected_output_tokens: 1000
        tenants:
          acme: {clouds: [aws, azure], prefer: [aws]}
        """

    @Test func parsesEveryRoutingField() throws {
        let config = try GatewayConfig.load(yaml: Self.yaml, environment: [:])
        let routing = config.routing
        #expect(routing.strategy == .cost && routing.retries == 3)
        #expect(routing.connectTimeout == .seconds(1) && routing.firstByteTimeout == .seconds(20))
        #expect(routing.idleTimeout == .seconds(10) && routing.totalTimeout == .seconds(300))
        #expect(routing.retryRatio == 0.1 && routing.retryBurst == 5)
        #expect(routing.backoffBase == .milliseconds(50) && routing.backoffMax == .seconds(2))
        #expect(
            routing.breaker
                == BreakerConfig(
                    consecutiveFailures: 4,
                    errorRate: 0.25,
                    window: .seconds(60),
                    minimumRequests: 20,
                    openFor: .seconds(15)
                )
        )
        #expect(routing.maxInFlight == 100 && routing.queueTimeout == .milliseconds(250))
        #expect(routing.expectedOutputTokens == 1000)

        let model = try #require(config.model("gpt-5"))
        #expect(model.strategy == .latency && model.hedge)
        #expect(config.model("mini")?.hedge == false)
        #expect(config.model("mini")?.strategy == nil)
        let deployment = model.deployments[0]
        #expect(deployment.weight == 3 && deployment.maxInFlight == 8)
        #expect(
            routing.timeouts(for: deployment)
                == EffectiveTimeouts(
                    connect: .milliseconds(300),
                    firstByte: .seconds(5),
                    idle: .seconds(2),
                    total: .seconds(120)
                )
        )
        #expect(
            routing.timeouts(for: model.deployments[1])
                == EffectiveTimeouts(
                    connect: .seconds(1),
                    firstByte: .seconds(20),
                    idle: .seconds(10),
                    total: .seconds(300)
                )
        )
        #expect(config.tenant("acme")?.preferClouds == ["aws"])
        #expect(config.connectTimeouts == [.seconds(1), .milliseconds(300)])
        #expect(config.upstreamReadTimeout == .seconds(20))
    }

    @Test func theIdleTimeoutDefaultsToTheFirstByteTimeout() throws {
        let yaml = Self.yaml.replacingOccurrences(of: "idle: 10s, ", with: "")
        let config = try GatewayConfig.load(yaml: yaml, environment: [:])
        #expect(config.routing.idleTimeout == .seconds(20))
        #expect(config.routing.totalTimeout == .seconds(300))
    }

    @Test func badRoutingValuesAreNamedByPath() {
        let yaml = Self.yaml
            .replacingOccurrences(of: "strategy: latency", with: "strategy: fastest")
            .replacingOccurrences(of: "ratio: 0.1", with: "ratio: 3")
            .replacingOccurrences(of: "error_rate: 0.25", with: "error_rate: 0")
            .replacingOccurrences(of: "idle: 2s", with: "idle: 0s")
            .replacingOccurrences(of: "weight: 3", with: "weight: -1")
            .replacingOccurrences(of: "prefer: [aws]", with: "prefer: [gcp]")
            .replacingOccurrences(of: "queue_timeout: 250ms", with: "queue_timeout: soon")
        let error = #expect(throws: ConfigError.self) { try GatewayConfig.load(yaml: yaml, environment: [:]) }
        let text = error?.description ?? ""
        #expect(
            text.contains(
                #"models.gpt-5.strategy: unknown strategy "fastest" (supported: priority, weighted, latency, cost)"#
            )
        )
        #expect(text.contains("routing.retry_budget.ratio: expected a number from 0 to 1"))
        #expect(text.contains("routing.breaker.error_rate: expected a number above 0"))
        #expect(text.contains("models.gpt-5.deployments[0].timeouts.idle: must be longer than zero"))
        #expect(text.contains("models.gpt-5.deployments[0].weight: expected a whole number"))
        #expect(text.contains(#"tenants.acme.prefer: prefers cloud "gcp", which is not in its clouds"#))
        #expect(text.contains("routing.queue_timeout: expected a duration"))
        #expect(error?.issues.count == 7)
    }

    @Test func unknownRoutingFieldsAreRejected() {
        let yaml = Self.yaml.replacingOccurrences(of: "max_in_flight: 100", with: "max_inflight: 100")
        let error = #expect(throws: ConfigError.self) { try GatewayConfig.load(yaml: yaml, environment: [:]) }
        #expect(error?.description.contains("routing.max_inflight: unknown field") == true)
    }
}
