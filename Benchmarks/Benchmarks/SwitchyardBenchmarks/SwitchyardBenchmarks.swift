import Benchmark
import Foundation
import SwitchyardCore
import SwitchyardProviders

/// A catalog like the demo's: four models on three clouds, two agreements with first access,
/// exclusivity and revenue shares, two tenants.
let catalogYAML = """
    providers:
      azure: {type: openai, cloud: azure, region: eastus, base_url: "http://127.0.0.1:1/v1"}
      aws: {type: openai, cloud: aws, region: us-west-2, base_url: "http://127.0.0.1:2/v1"}
      openai: {type: openai, cloud: openai, base_url: "http://127.0.0.1:3/v1"}
    models:
      gpt-5: {publisher: openai, product: frontier, launched: 2025-08-07, price: {input: 1.50, output: 12.00},
              deployments: [{provider: azure, target: a}, {provider: aws, target: b}, {provider: openai, target: c}]}
      gpt-5.1: {publisher: openai, product: frontier, launched: 2026-11-20, price: {input: 2.00, output: 16.00},
                deployments: [{provider: aws, target: a}, {provider: azure, target: b}]}
      gpt-oss-120b: {publisher: openai, product: open-weight, launched: 2025-08-05,
                     deployments: [{provider: azure, target: a}, {provider: aws, target: b}]}
      claude: {publisher: anthropic, deployments: [{provider: aws, target: z}]}
    agreements:
      - id: azure-first-access
        terms:
          - first_access: {clouds: [azure], models: {publisher: openai}, window: 30d, from: 2025-10-28, until: 2033-01-01}
          - revenue_share: {beneficiary: microsoft, percent: 20, models: {publisher: openai}, from: 2025-10-28, until: 2031-01-01}
      - id: aws-open-weight
        terms:
          - exclusive: {clouds: [aws], models: {product: open-weight}, from: 2026-01-01, until: 2031-01-01}
          - revenue_share: {beneficiary: amazon, percent: 7.5, models: {product: open-weight}, clouds: [aws], from: 2026-01-01, until: 2031-01-01}
    tenants:
      acme: {}
      globex: {clouds: [aws]}
    """

let requestBody = Array(
    #"{"model":"gpt-5","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say hello to the benchmark, please."}],"max_tokens":32,"temperature":0.2,"stream":true}"#
        .utf8
)

/// The SSE body the peer benchmark's mock streams: role chunk, 12 content chunks, finish, usage, [DONE].
let streamBody: [UInt8] = {
    let head = #"data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1736942400,"model":"mock","choices":"#
    var text = head + #"[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null}"# + "\n\n"
    for word in 0..<12 {
        text += head + #"[{"index":0,"delta":{"content":" word\#(word)"},"finish_reason":null}],"usage":null}"# + "\n\n"
    }
    text += head + #"[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}"# + "\n\n"
    text += head + #"[],"usage":{"prompt_tokens":19,"completion_tokens":12,"total_tokens":31}}"# + "\n\n"
    text += "data: [DONE]\n\n"
    return Array(text.utf8)
}()

/// A ConverseStream answer as Bedrock frames it: messageStart, 12 text deltas, stop, metadata.
let converseFrames: [UInt8] = {
    var frames = EventStreamEncoder.event("messageStart", payload: Array(#"{"role":"assistant"}"#.utf8))
    for word in 0..<12 {
        frames += EventStreamEncoder.event(
            "contentBlockDelta",
            payload: Array(#"{"contentBlockIndex":0,"delta":{"text":" word\#(word)"}}"#.utf8)
        )
    }
    frames += EventStreamEncoder.event("contentBlockStop", payload: Array(#"{"contentBlockIndex":0}"#.utf8))
    frames += EventStreamEncoder.event("messageStop", payload: Array(#"{"stopReason":"end_turn"}"#.utf8))
    frames += EventStreamEncoder.event(
        "metadata",
        payload: Array(#"{"usage":{"inputTokens":19,"outputTokens":12,"totalTokens":31},"metrics":{"latencyMs":120}}"#.utf8)
    )
    return frames
}()

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        maxDuration: .seconds(2),
        maxIterations: 1_000_000
    )
    let config: GatewayConfig
    do {
        config = try GatewayConfig.load(yaml: catalogYAML, environment: [:])
    } catch {
        fatalError("benchmark catalog is invalid: \(error)")
    }
    let planner = RoutePlanner(config: config)
    let duringWindow = InstantText.parse("2026-11-29T12:00:00Z") ?? Date()

    Benchmark("RoutePlanner.plan, contracts in force") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? planner.plan(model: "gpt-5.1", tenant: "acme", at: duringWindow))
        }
    }

    Benchmark("RoutePlanner.plan, refused (message built)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? planner.plan(model: "gpt-5.1", tenant: "globex", at: duringWindow))
        }
    }

    let selector = RouteSelector(config: config, planner: planner)
    for strategy in RoutingStrategy.allCases {
        var strategyConfig = config
        strategyConfig.routing.strategy = strategy
        let strategyPlanner = RoutePlanner(config: strategyConfig)
        let strategySelector = RouteSelector(config: strategyConfig, planner: strategyPlanner)
        Benchmark("RouteSelector.route, \(strategy.rawValue), 3 deployments") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(
                    try? strategySelector.route(model: "gpt-5", tenant: "acme", at: duringWindow, promptBytes: 160)
                )
            }
        }
    }

    let health = selector.health.deployments[0]
    Benchmark("DeploymentHealth: admit + record success (breaker bookkeeping)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(health.admit(at: duringWindow))
            health.record(.success(timeToFirstByte: .milliseconds(40)), at: duringWindow)
        }
    }

    let budget = RetryBudget(ratio: 0.2, burst: 10)
    Benchmark("RetryBudget: record request + try retry") { benchmark in
        for _ in benchmark.scaledIterations {
            budget.recordRequest()
            blackHole(budget.tryRetry())
        }
    }

    Benchmark("ContractBook.accruals") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(planner.contracts.accruals(model: "gpt-oss-120b", cloud: "aws", at: duringWindow, charge: USDNanos(201_000)))
        }
    }

    Benchmark("ChatRequestHead.parse + upstreamBody") { benchmark in
        for _ in benchmark.scaledIterations {
            if let head = try? ChatRequestHead.parse(requestBody) {
                blackHole(head.upstreamBody(model: "openai.gpt-5-v1:0", includeUsage: true))
            }
        }
    }

    Benchmark("SSEDecoder + usage, 16-event stream") { benchmark in
        for _ in benchmark.scaledIterations {
            var decoder = SSEDecoder()
            var events: [SSEEvent] = []
            decoder.push(streamBody, into: &events)
            for event in events { blackHole(OpenAIUsage.inspectChunk(event.data)) }
        }
    }

    Benchmark("EventStreamDecoder, 16-frame ConverseStream (CRCs checked)") { benchmark in
        for _ in benchmark.scaledIterations {
            var decoder = EventStreamDecoder()
            decoder.push(converseFrames)
            while let message = try? decoder.next() { blackHole(message) }
        }
    }

    let signer = SigV4(
        credentials: AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")),
        region: "us-west-2",
        service: "bedrock"
    )
    let payloadHash = SigV4.sha256Hex(requestBody)
    let signingDate = Date(timeIntervalSince1970: 1_795_000_000)
    Benchmark("SigV4.sign, Converse request") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(
                signer.sign(
                    method: "POST",
                    path: "/model/openai.gpt-5-v1:0/converse-stream",
                    query: "",
                    headers: [
                        ("host", "bedrock-runtime.us-west-2.amazonaws.com"), ("content-type", "application/json"),
                        ("x-amz-date", "20261129T120000Z"),
                    ],
                    payloadHash: payloadHash,
                    date: signingDate
                )
            )
        }
    }
}
