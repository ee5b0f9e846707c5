import Foundation
import NIOHTTP1
import SwitchyardCore
import SwitchyardSimulator
import Testing

/// Every provider kind, live: gateway → adapter → simulator speaking that kind's dialect (which
/// verifies inbound auth, SigV4 included) → back to OpenAI's shape.
@Suite(.serialized, .timeLimit(.minutes(1))) struct ProviderKindsTests {
    static let aws = AWSCredentials(accessKeyID: "AKIDSIMULATED", secretAccessKey: Secret("sim/secret+key"))

    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case openAI, azureDeployments, azureV1, azureEntra, bedrock, bedrockSessionToken, bedrockAPIKey, bedrockOpenAI,
            anthropic, gemini
        var testDescription: String { self.rawValue }
    }

    /// Simulator 0 is reached through `kind`; simulator 1 (OpenAI dialect) is the failover target.
    static func config(_ kind: Kind, urls: [String], awsSecret: String = "sim/secret+key") -> GatewayConfig {
        var config = Harness.config(simulatorURLs: urls)
        var provider = config.providers[0]
        let key = Secret("upstream-key-0")
        provider.baseURL = urls[0]
        provider.apiKey = nil
        switch kind {
        case .openAI:
            provider.baseURL = urls[0] + "/v1"
            provider.apiKey = key
        case .azureDeployments:
            provider.kind = .azureOpenAI
            provider.apiKey = key
        case .azureV1:
            provider.kind = .azureOpenAI
            provider.apiKey = key
            provider.options.azureURLForm = .v1
        case .azureEntra:
            provider.kind = .azureOpenAI
            provider.options.bearerToken = key
        case .bedrock, .bedrockSessionToken:
            provider.kind = .bedrock
            provider.region = "us-west-2"
            provider.options.awsCredentials = AWSCredentials(
                accessKeyID: Self.aws.accessKeyID,
                secretAccessKey: Secret(awsSecret),
                sessionToken: kind == .bedrockSessionToken ? Secret("FQoGZXIvYXdzEXAMPLE") : nil
            )
        case .bedrockAPIKey:
            provider.kind = .bedrock
            provider.region = "us-west-2"
            provider.options.bearerToken = key
        case .bedrockOpenAI:
            provider.kind = .bedrock
            provider.region = "us-west-2"
            provider.options.bedrockAPI = .openai
            provider.options.awsCredentials = Self.aws
        case .anthropic:
            provider.kind = .anthropic
            provider.apiKey = key
        case .gemini:
            provider.kind = .gemini
            provider.baseURL = urls[0] + "/v1beta"
            provider.apiKey = key
        }
        config.providers[0] = provider
        config.models[0].deployments[0].target = "openai.gpt-5-v1:0"
        return config
    }

    static func options(_ kind: Kind, chunkInterval: Duration = .zero) -> SimulatorOptions {
        var credentials = Self.aws
        if kind == .bedrockSessionToken { credentials.sessionToken = Secret("FQoGZXIvYXdzEXAMPLE") }
        return SimulatorOptions(completionTokens: 6, chunkInterval: chunkInterval, awsCredentials: credentials)
    }

    /// Runs the harness with simulator 0 reached through `kind`.
    static func run(
        _ kind: Kind,
        simulators: Int = 2,
        awsSecret: String = "sim/secret+key",
        chunkInterval: Duration = .zero,
        _ body: (Harness) async throws -> Void
    ) async throws {
        let configure: ([String]) -> GatewayConfig = { urls in
            Self.config(kind, urls: urls.count == 1 ? urls + ["http://127.0.0.1:9"] : urls, awsSecret: awsSecret)
        }
        try await Harness.run(
            simulators: simulators,
            options: Self.options(kind, chunkInterval: chunkInterval),
            configure: configure,
            body
        )
    }

    static let tools =
        #","tools":[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string"}},"required":["city"]}}}]"#

    @Test(arguments: Kind.allCases)
    func sameShapeThroughEveryKind(kind: Kind) async throws {
        try await Self.run(kind) {
            harness in
            // Non-stream text.
            let plain = try await harness.chat()
            #expect(plain.status == 200, "\(plain.body)")
            #expect(plain.headers.first(name: "x-switchyard-provider") == "sim-0")
            let json = try #require(plain.json)
            #expect(json["object"] as? String == "chat.completion")
            let choice = try #require((json["choices"] as? [[String: Any]])?.first)
            #expect(choice["finish_reason"] as? String == "stop")
            #expect((choice["message"] as? [String: Any])?["content"] as? String == "Hello from the simulated cloud.")
            let usage = try #require(json["usage"] as? [String: Any])
            #expect(usage["completion_tokens"] as? Int == 6)
            #expect(usage["total_tokens"] as? Int == (usage["prompt_tokens"] as? Int ?? -1) + 6)

            // Stream with usage.
            let stream = try await harness.chat(stream: true, includeUsage: true)
            #expect(stream.status == 200)
            let chunks = ssePayloads(stream.body)
            #expect(chunks.last == "[DONE]")
            let objects = chunks.dropLast().compactMap(jsonObject)
            #expect(objects.count == chunks.count - 1)
            #expect(Set(objects.compactMap { $0["id"] as? String }).count == 1)
            let text = objects.flatMap { ($0["choices"] as? [[String: Any]]) ?? [] }
                .compactMap { ($0["delta"] as? [String: Any])?["content"] as? String }.joined()
            #expect(text == "Hello from the simulated cloud.")
            let usageChunk = try #require(objects.last)
            #expect((usageChunk["choices"] as? [Any])?.isEmpty == true)
            #expect((usageChunk["usage"] as? [String: Any])?["completion_tokens"] as? Int == 6)
            #expect(!stream.body.contains("filter_result"))

            // Tools, stream and not.
            let body = #"{"model":"gpt-5","messages":[{"role":"user","content":"Weather in Oslo?"}]"# + Self.tools
            let called = try await harness.request(body: body + "}")
            let message = try #require(((called.json?["choices"] as? [[String: Any]])?.first))
            #expect(message["finish_reason"] as? String == "tool_calls", "\(called.body)")
            let call = try #require(((message["message"] as? [String: Any])?["tool_calls"] as? [[String: Any]])?.first)
            let function = try #require(call["function"] as? [String: Any])
            #expect(function["name"] as? String == "get_weather")
            #expect(
                jsonObject(function["arguments"] as? String ?? "") as? [String: String] == [
                    "city": "simulated", "unit": "simulated",
                ]
            )

            let streamed = try await harness.request(body: body + #","stream":true}"#)
            var arguments = ""
            var name: String?
            var finish: String?
            for case let object? in ssePayloads(streamed.body).map(jsonObject) {
                for choice in object["choices"] as? [[String: Any]] ?? [] {
                    if let reason = choice["finish_reason"] as? String { finish = reason }
                    for call in (choice["delta"] as? [String: Any])?["tool_calls"] as? [[String: Any]] ?? [] {
                        #expect(call["index"] as? Int == 0)
                        let function = call["function"] as? [String: Any]
                        if let value = function?["name"] as? String { name = value }
                        arguments += function?["arguments"] as? String ?? ""
                    }
                }
            }
            #expect(name == "get_weather" && finish == "tool_calls")
            #expect(jsonObject(arguments) as? [String: String] == ["city": "simulated", "unit": "simulated"])

            // A tool result continues the conversation to a text answer.
            let followUp =
                #"{"model":"gpt-5","messages":[{"role":"user","content":"Weather in Oslo?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},{"role":"tool","tool_call_id":"call_1","content":"4 C"}]"#
                + Self.tools + "}"
            let answered = try await harness.request(body: followUp)
            #expect(
                ((answered.json?["choices"] as? [[String: Any]])?.first)?["finish_reason"] as? String == "stop",
                "\(answered.body)"
            )

            let entries = await harness.ledger.entries(count: 5)
            #expect(entries.allSatisfy { $0.status == 200 && $0.provider == "sim-0" && $0.usage.completionTokens > 0 })
            #expect(entries.allSatisfy { !$0.usageEstimated })
        }
    }

    @Test(arguments: [Kind.azureDeployments, .bedrock, .anthropic, .gemini])
    func upstream429FailsOverBeforeTheFirstByte(kind: Kind) async throws {
        try await Self.run(kind) {
            harness in
            harness.simulators[0].enqueue([.status(429, retryAfterSeconds: 2)])
            for stream in [false, true] {
                let answer = try await harness.chat(stream: stream)
                #expect(answer.status == 200, "\(answer.body)")
                #expect(answer.headers.first(name: "x-switchyard-provider") == "sim-1")
                // The 429 cooled sim-0 down for its retry-after: the second request skips it.
                #expect(answer.headers.first(name: "x-switchyard-attempts") == (stream ? "1" : "2"))
            }
            #expect(harness.simulators[0].stats.requests == 1)
        }
    }

    @Test func bedrockStreamThrottlingFrameFailsOver() async throws {
        try await Self.run(.bedrock) { harness in
            harness.simulators[0].enqueue([.status(429)])
            let answer = try await harness.chat(stream: true, includeUsage: true)
            #expect(answer.status == 200)
            #expect(answer.headers.first(name: "x-switchyard-provider") == "sim-1")
            #expect(ssePayloads(answer.body).last == "[DONE]")
        }
    }

    @Test func aWrongSigV4SecretIsRejectedByTheSimulator() async throws {
        try await Self.run(.bedrock, simulators: 1, awsSecret: "wrong") { harness in
            let answer = try await harness.chat()
            #expect(answer.status == 502, "\(answer.body)")
            #expect(harness.simulators[0].stats.requests == 1)
        }
    }

    @Test(arguments: [Kind.azureDeployments, .bedrock, .anthropic, .gemini])
    func midStreamBreakEndsWithAnErrorEvent(kind: Kind) async throws {
        // Chunks 20 ms apart: the break comes well after the client got its first bytes. (Sent
        // back to back, the data and the abort can reach the gateway together, and the HTTP
        // client may report the abort first: then the gateway rightly fails over instead.)
        try await Self.run(kind, chunkInterval: .milliseconds(20)) {
            harness in
            harness.simulators[0].enqueue([.closeMidStream(afterChunks: 3)])
            let answer = try await harness.chat(stream: true)
            #expect(answer.status == 200)
            #expect(answer.headers.first(name: "x-switchyard-provider") == "sim-0")
            let last = try #require(ssePayloads(answer.body).last.flatMap(jsonObject))
            #expect(last["error"] != nil, "\(answer.body)")
        }
    }

    @Test(arguments: [Kind.bedrock, .anthropic, .gemini])
    func clientErrorsAreFinalAndOpenAIShaped(kind: Kind) async throws {
        try await Self.run(kind) {
            harness in
            harness.simulators[0].enqueue([.status(400)])
            let answer = try await harness.chat()
            #expect(answer.status == 400)
            let error = try #require(answer.json?["error"] as? [String: Any])
            #expect(error["type"] as? String == "invalid_request_error")
            #expect(error.keys.contains("param") && error.keys.contains("code"))
            #expect(harness.simulators[1].stats.requests == 0)
        }
    }
}
