import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SwitchyardCore
import SwitchyardSimulator
import Testing

@Suite(.timeLimit(.minutes(1))) struct ChatCompletionTests {
    @Test func aCompletionIsPassedThroughWithTheDeploymentsNameAndCredential() async throws {
        try await Harness.run(simulators: 2) { harness in
            let answer = try await harness.chat(headers: [("x-request-id", "client-id-42")])
            #expect(answer.status == 200)
            let json = try #require(answer.json)
            #expect(json["object"] as? String == "chat.completion")
            #expect((json["usage"] as? [String: Any])?["completion_tokens"] as? Int == 16)
            #expect(answer.headers.first(name: "x-switchyard-provider") == "sim-0")
            #expect(answer.headers.first(name: "x-switchyard-cloud") == "cloud-0")
            #expect(answer.headers.first(name: "x-switchyard-region") == "region-0")
            #expect(answer.headers.first(name: "x-switchyard-attempts") == "1")
            #expect(answer.headers.first(name: "x-request-id") == "client-id-42")

            let upstream = harness.simulators[0].stats
            #expect(upstream.lastAuthorization == "Bearer upstream-key-0")
            let sent = try #require(
                upstream.lastRequestBody.flatMap { jsonObject(String(decoding: $0, as: UTF8.self)) }
            )
            #expect(sent["model"] as? String == "target-sim-0")
            #expect(sent["temperature"] as? Double == 0.3)
            #expect(harness.simulators[1].stats.requests == 0)

            let entry = try #require(await harness.ledger.entries(count: 1).first)
            #expect(entry.status == 200)
            #expect(entry.tenant == "acme" && entry.keyID == "key-acme" && entry.model == "gpt-5")
            #expect(entry.provider == "sim-0" && entry.deployment == "target-sim-0" && entry.cloud == "cloud-0")
            #expect(entry.usage.completionTokens == 16 && !entry.usageEstimated)
            let prompt = Int64(entry.usage.promptTokens)
            #expect(entry.cost == USDNanos(prompt * 1250 + 16 * 10_000))
            #expect(entry.charge == USDNanos(prompt * 1500 + 16 * 12_000))
            #expect(entry.requestID.hasPrefix("req_"))
            #expect(answer.headers.first(name: "x-switchyard-request-id") == entry.requestID)
        }
    }

    @Test func aStreamEndsWithDoneAndHidesTheUsageChunkTheClientDidNotAskFor() async throws {
        try await Harness.run(simulators: 1) { harness in
            let answer = try await harness.chat(stream: true)
            #expect(answer.status == 200)
            #expect(answer.headers.first(name: "content-type") == "text/event-stream")
            let payloads = ssePayloads(answer.body)
            #expect(payloads.last == "[DONE]")
            let chunks = payloads.dropLast().compactMap(jsonObject)
            #expect(chunks.count == payloads.count - 1)
            #expect(chunks.allSatisfy { ($0["choices"] as? [Any])?.isEmpty == false })
            let text = chunks.compactMap {
                (($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["content"] as? String
            }.joined()
            #expect(text.hasPrefix("Hello from the simulated cloud."))

            let sent = try #require(
                harness.simulators[0].stats.lastRequestBody.flatMap { jsonObject(String(decoding: $0, as: UTF8.self)) }
            )
            #expect((sent["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true)
            let entry = try #require(await harness.ledger.entries(count: 1).first)
            #expect(entry.stream && entry.status == 200)
            #expect(entry.usage.completionTokens == 16 && !entry.usageEstimated)
            #expect(entry.timeToFirstByteMillis != nil)
        }
    }

    @Test func aStreamKeepsTheUsageChunkWhenTheClientAsked() async throws {
        try await Harness.run(simulators: 1) { harness in
            let payloads = ssePayloads(try await harness.chat(stream: true, includeUsage: true).body)
            let usageChunks = payloads.compactMap(jsonObject).filter { ($0["usage"] as? [String: Any]) != nil }
            #expect(usageChunks.count == 1)
            #expect((usageChunks.first?["choices"] as? [Any])?.isEmpty == true)
            #expect((usageChunks.first?["usage"] as? [String: Any])?["completion_tokens"] as? Int == 16)
            #expect(payloads.suffix(2).first.flatMap(jsonObject).map { ($0["usage"] as? [String: Any]) != nil } == true)
        }
    }

    @Test func aMidStreamFailureEndsTheStreamWithAnErrorEventAndIsRecorded() async throws {
        // Chunks 20 ms apart, so that the break comes after the client got its first bytes.
        try await Harness.run(simulators: 2, options: SimulatorOptions(chunkInterval: .milliseconds(20))) { harness in
            harness.simulators[0].enqueue([.closeMidStream(afterChunks: 3)])
            let answer = try await harness.chat(stream: true)
            #expect(answer.status == 200)
            #expect(answer.headers.first(name: "x-switchyard-provider") == "sim-0")
            let last = try #require(ssePayloads(answer.body).last.flatMap(jsonObject))
            let error = try #require(last["error"] as? [String: Any])
            #expect(Set(error.keys) == ["message", "type", "param", "code"])
            #expect(harness.simulators[1].stats.requests == 0)
            let entry = try #require(await harness.ledger.entries(count: 1).first)
            #expect(entry.errorCode == "upstream_stream_interrupted")
            // Estimated from what the client got: one token per chunk after the role chunk.
            let delivered = ssePayloads(answer.body).count - 1  // minus the error event
            #expect(entry.usageEstimated && entry.usage.completionTokens == max(0, delivered - 1))
        }
    }

    @Test func aClientThatDisconnectsCancelsTheUpstreamAndIsBilledForWhatItGot() async throws {
        try await Harness.run(
            simulators: 1,
            options: SimulatorOptions(completionTokens: 5000, chunkInterval: .milliseconds(5))
        ) { harness in
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
            let request = harness.makeRequest(
                body: #"{"model":"gpt-5","stream":true,"messages":[{"role":"user","content":"go"}]}"#
            )
            let response = try await client.execute(request, timeout: .seconds(30))
            var iterator = response.body.makeAsyncIterator()
            _ = try await iterator.next()
            try await client.shutdown()  // closes the connection mid-stream

            let started = ContinuousClock.now
            await harness.simulators[0].waitForCancellations(1)
            let entry = try #require(await harness.ledger.entries(count: 1).first)
            #expect(entry.status == 499)
            #expect(entry.errorCode == "client_disconnected")
            #expect(entry.usageEstimated)
            #expect(entry.usage.completionTokens < 5000)
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }

    /// Nothing is written while the upstream is silent, so no failed write can tell the gateway
    /// that the client left: it must notice the connection itself. Alone this takes 1–5 ms; the
    /// bound is wide because the whole suite runs in parallel on two cores (the 100 ms of the
    /// issue is asserted in the serial end-to-end suite). Unnoticed, it would take the 5 s idle
    /// timeout.
    @Test(arguments: [false, true])
    func aClientThatLeavesWhileTheUpstreamIsSilentCancelsItAtOnce(stream: Bool) async throws {
        let configure = { (urls: [String]) -> GatewayConfig in
            var config = Harness.config(simulatorURLs: urls)
            config.adminKey = Secret(FaultSuiteTests.adminKey)
            config.routing.breaker = BreakerConfig(consecutiveFailures: 1, openFor: .seconds(60))
            return config
        }
        try await Harness.run(simulators: 1, configure: configure) { harness in
            harness.simulators[0].enqueue([
                stream ? .hangMidStream(afterChunks: 2, maxSeconds: 30) : .hang(maxSeconds: 30)
            ])
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
            let request = harness.makeRequest(
                body: #"{"model":"gpt-5","stream":\#(stream),"messages":[{"role":"user","content":"go"}]}"#
            )
            let (firstChunk, firstChunkSink) = AsyncStream.makeStream(of: Void.self)
            let call = Task {
                defer { firstChunkSink.finish() }
                let response = try await client.execute(request, timeout: .seconds(30))
                for try await _ in response.body { firstChunkSink.yield() }
            }
            if stream {
                var chunks = firstChunk.makeAsyncIterator()
                await chunks.next()
            } else {
                await harness.simulators[0].waitForRequests(1)
            }

            let left = Date()
            call.cancel()  // closes the connection
            await harness.simulators[0].waitForDepartures(1)
            let departed = try #require(harness.simulators[0].stats.lastDeparture)
            #expect(departed.timeIntervalSince(left) < 1, "upstream closed \(departed.timeIntervalSince(left)) s later")

            let entry = try #require(await harness.ledger.entries(count: 1).first)
            #expect(entry.status == 499 && entry.errorCode == "client_disconnected")
            #expect(entry.attempts == 1 && entry.provider == "sim-0")
            #expect(harness.simulators[0].stats.requests == 1)
            // The client left: not a failure of the deployment.
            let health = try await harness.request("/admin/v1/health", method: .GET, key: FaultSuiteTests.adminKey)
            let deployment = try #require((health.json?["deployments"] as? [[String: Any]])?.first)
            #expect(deployment["state"] as? String == "closed" && deployment["last_failure"] == nil, "\(deployment)")
            try await client.shutdown()
        }
    }

    /// The SDKs close the connection as soon as they read `data: [DONE]`, which can be before
    /// the upstream's own end reached the gateway: that client got a complete answer.
    @Test func aClientThatLeavesRightAfterDoneGotACompleteAnswer() async throws {
        try await Harness.run(simulators: 1) { harness in
            // Every event, [DONE] included, then only keep-alives: the upstream never ends.
            harness.simulators[0].enqueue([.hangMidStream(afterChunks: 10_000, maxSeconds: 30)])
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
            let request = harness.makeRequest(
                body: #"{"model":"gpt-5","stream":true,"messages":[{"role":"user","content":"go"}]}"#
            )
            let (done, doneSink) = AsyncStream.makeStream(of: Void.self)
            let call = Task {
                defer { doneSink.finish() }
                let response = try await client.execute(request, timeout: .seconds(30))
                var text = ""
                for try await chunk in response.body {
                    text += String(buffer: chunk)
                    if text.contains("data: [DONE]") { doneSink.yield() }
                }
            }
            var events = done.makeAsyncIterator()
            await events.next()
            call.cancel()  // closes the connection

            let entry = try #require(await harness.ledger.entries(count: 1).first)
            #expect(entry.status == 200 && entry.errorCode == nil)
            #expect(entry.usage.completionTokens == 16 && !entry.usageEstimated)
            try await client.shutdown()
        }
    }
}
