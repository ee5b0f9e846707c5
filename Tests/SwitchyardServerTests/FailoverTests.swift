import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SwitchyardCore
import SwitchyardSimulator
import Testing

/// Every failure that happens before the client got a byte fails over to the next deployment.
@Suite(.timeLimit(.minutes(1))) struct FailoverTests {
    static let faults: [(String, SimulatedFault)] = [
        ("429 with retry-after", .status(429, retryAfterSeconds: 1)),
        ("429", .status(429)),
        ("500", .status(500)),
        ("502", .status(502)),
        ("503", .status(503)),
        ("401 from the upstream (our credential)", .status(401)),
        ("hang before headers", .hang(maxSeconds: 30)),
        ("malformed JSON", .malformedJSON),
        ("connection closed before the first chunk", .closeMidStream(afterChunks: 0)),
    ]

    @Test(arguments: faults, [false, true])
    func aFailureBeforeTheFirstByteFailsOver(fault: (name: String, fault: SimulatedFault), stream: Bool) async throws {
        let configure = { urls in Harness.config(simulatorURLs: urls, firstByteTimeout: .seconds(1)) }
        try await Harness.run(simulators: 2, configure: configure) { harness in
            harness.simulators[0].enqueue([fault.fault])
            let answer = try await harness.chat(stream: stream)
            #expect(answer.status == 200, "\(fault.name)")
            #expect(answer.headers.first(name: "x-switchyard-provider") == "sim-1")
            #expect(answer.headers.first(name: "x-switchyard-cloud") == "cloud-1")
            #expect(answer.headers.first(name: "x-switchyard-attempts") == "2")
            if stream {
                #expect(ssePayloads(answer.body).last == "[DONE]")
            } else {
                #expect(answer.json?["object"] as? String == "chat.completion")
            }
            #expect(harness.simulators[0].stats.requests == 1)
            let entry = try #require(await harness.ledger.entries(count: 1).first)
            #expect(entry.status == 200 && entry.attempts == 2 && entry.provider == "sim-1")
            #expect(entry.usage.completionTokens == 16)
        }
    }

    @Test func aRefusedConnectionFailsOver() async throws {
        let configure = { (urls: [String]) -> GatewayConfig in
            var config = Harness.config(simulatorURLs: urls)
            config.providers.insert(
                ProviderConfig(id: "dead", kind: .openAI, cloud: "nowhere", baseURL: "http://127.0.0.1:1/v1"),
                at: 0
            )
            config.models[0].deployments.insert(DeploymentConfig(provider: "dead", target: "x"), at: 0)
            return config
        }
        try await Harness.run(simulators: 1, configure: configure) { harness in
            let answer = try await harness.chat()
            #expect(answer.status == 200)
            #expect(answer.headers.first(name: "x-switchyard-attempts") == "2")
        }
    }

    @Test(arguments: [
        (429, "rate_limit_exceeded", "rate_limit_error"), (503, "upstream_unavailable", "server_error"),
        (500, "upstream_error", "server_error"),
    ])
    func whenEveryDeploymentFailsTheClientGetsTheLastStatusClass(status: Int, code: String, type: String) async throws {
        try await Harness.run(simulators: 2) { harness in
            for simulator in harness.simulators { simulator.enqueue([.status(status, retryAfterSeconds: 2)]) }
            let answer = try await harness.chat()
            #expect(answer.status == (status == 500 ? 502 : status))
            let error = try #require(answer.json?["error"] as? [String: Any])
            #expect(Set(error.keys) == ["message", "type", "param", "code"])
            #expect(error["code"] as? String == code)
            #expect(error["type"] as? String == type)
            #expect(!answer.body.contains("Simulated"))  // the upstream's own message stays inside
            if status != 500 { #expect(answer.headers.first(name: "retry-after") == "2") }
            #expect(answer.headers.first(name: "x-request-id") != nil)
            let entry = try #require(await harness.ledger.entries(count: 1).first)
            #expect(entry.attempts == 2 && entry.status == answer.status && entry.errorCode == code)
        }
    }

    @Test func aTimeoutEverywhereIsA504() async throws {
        let configure = { urls in Harness.config(simulatorURLs: urls, firstByteTimeout: .seconds(1)) }
        try await Harness.run(simulators: 1, configure: configure) { harness in
            harness.simulators[0].enqueue([.hang(maxSeconds: 30)])
            let answer = try await harness.chat()
            #expect(answer.status == 504)
            #expect(answer.errorCode == "upstream_timeout")
        }
    }

    @Test func aClientErrorFromTheUpstreamIsFinalAndPassedOn() async throws {
        try await Harness.run(simulators: 2) { harness in
            harness.simulators[0].enqueue([.status(400)])
            let answer = try await harness.chat()
            #expect(answer.status == 400)
            #expect((answer.json?["error"] as? [String: Any])?["type"] as? String == "invalid_request_error")
            #expect(harness.simulators[1].stats.requests == 0)
        }
    }

    @Test func retriesCapTheNumberOfAttempts() async throws {
        let configure = { (urls: [String]) -> GatewayConfig in
            var config = Harness.config(simulatorURLs: urls)
            config.routing.retries = 1
            return config
        }
        try await Harness.run(simulators: 3, configure: configure) { harness in
            harness.simulators[0].enqueue([.status(500)])
            harness.simulators[1].enqueue([.status(500)])
            let answer = try await harness.chat()
            #expect(answer.status == 502)
            #expect(harness.simulators[2].stats.requests == 0)
        }
    }
}

/// Input the gateway refuses before any upstream is tried.
@Suite(.timeLimit(.minutes(1))) struct RequestValidationTests {
    @Test func missingOrWrongKeysAre401AndNeverEchoed() async throws {
        try await Harness.run(simulators: 1) { harness in
            let none = try await harness.request(body: "{}", key: nil)
            #expect(none.status == 401 && none.errorCode == "invalid_api_key")
            let wrong = try await harness.request(body: "{}", key: "sk-wrong-secret-value")
            #expect(wrong.status == 401 && !wrong.body.contains("sk-wrong-secret-value"))
            #expect(harness.simulators[0].stats.requests == 0)
            #expect(harness.ledger.all.isEmpty)
        }
    }

    @Test func badBodiesAre400AndReachNoUpstream() async throws {
        try await Harness.run(simulators: 1) { harness in
            for body in [
                "{not json", #"{"model":"gpt-5"}"#, #"{"messages":[{"role":"user","content":"x"}]}"#,
                #"{"model":"gpt-5","messages":[]}"#,
            ] {
                let answer = try await harness.request(body: body)
                #expect(answer.status == 400, "\(body)")
                #expect(answer.json?["error"] != nil)
            }
            #expect(harness.simulators[0].stats.requests == 0)
        }
    }

    @Test func unknownModelsAre404() async throws {
        try await Harness.run(simulators: 1) { harness in
            let answer = try await harness.request(
                body: #"{"model":"gpt-9","messages":[{"role":"user","content":"x"}]}"#
            )
            #expect(answer.status == 404 && answer.errorCode == "model_not_found")
        }
    }

    @Test func bodiesOverTheLimitAre413() async throws {
        let configure = { urls in Harness.config(simulatorURLs: urls, maxBody: 1024) }
        try await Harness.run(simulators: 1, configure: configure) { harness in
            let big =
                #"{"model":"gpt-5","messages":[{"role":"user","content":""# + String(repeating: "x", count: 4096)
                + #""}]}"#
            let answer = try await harness.request(body: big)
            #expect(answer.status == 413)
            #expect(answer.json?["error"] != nil)
            #expect(harness.simulators[0].stats.requests == 0)
        }
    }

    @Test func unknownPathsAndMethodsGetOpenAIShapedErrors() async throws {
        try await Harness.run(simulators: 1) { harness in
            let missing = try await harness.request("/v1/nothing-here", method: .GET)
            #expect(missing.status == 404 && missing.json?["error"] != nil)
        }
    }

    @Test func modelsHealthAndReadiness() async throws {
        try await Harness.run(simulators: 1) { harness in
            let models = try await harness.request("/v1/models", method: .GET)
            #expect(models.status == 200)
            let data = try #require(models.json?["data"] as? [[String: Any]])
            #expect(data.map { $0["id"] as? String } == ["gpt-5"])
            #expect(data.first?["owned_by"] as? String == "openai")
            #expect(try await harness.request("/v1/models", method: .GET, key: nil).status == 401)
            #expect(try await harness.request("/healthz", method: .GET, key: nil).status == 200)
            #expect(try await harness.request("/readyz", method: .GET, key: nil).status == 200)
        }
    }
}
