import AsyncHTTPClient
import Foundation
import Glibc
import NIOCore
import NIOHTTP1
import SwitchyardCore
import SwitchyardSimulator
import Synchronization
import Testing

/// The fault table of README.md ("Failure handling"): every fault class × stream/non-stream ×
/// one or two deployments, asserting what the client sees, `x-switchyard-attempts`, the
/// breaker state at `GET /admin/v1/health` and the ledger entry.
@Suite(.timeLimit(.minutes(2))) struct FaultSuiteTests {
    static let adminKey = "admin-test-key"

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        /// What simulator 0 does (nil: nothing listens at its address).
        var fault: SimulatedFault?
        /// Simulator 0 speaks Bedrock's event-stream dialect.
        var bedrock = false
        /// With one deployment and no stream (or a fault before the first byte): status and code.
        var status: Int
        var code: String
        /// The fault hits after the first byte of a stream: no failover, an in-band error event.
        var midStream = false
        /// The breaker trips (a failure); otherwise the deployment cools down (throttling).
        var trips = true
        /// The request's own fault: final, passed on, no verdict on the deployment.
        var final = false

        var testDescription: String { self.name }
    }

    static let rows: [Row] = [
        Row(
            name: "429 with retry-after",
            fault: .status(429, retryAfterSeconds: 2),
            status: 429,
            code: "rate_limit_exceeded",
            trips: false
        ),
        Row(
            name: "429 without retry-after",
            fault: .status(429),
            status: 429,
            code: "rate_limit_exceeded",
            trips: false
        ),
        Row(
            name: "429 with x-ratelimit-reset",
            fault: .rateLimitReset("6m0s"),
            status: 429,
            code: "rate_limit_exceeded",
            trips: false
        ),
        Row(name: "500", fault: .status(500), status: 502, code: "upstream_error"),
        Row(
            name: "400 (the request's fault)",
            fault: .status(400),
            status: 400,
            code: "upstream_400",
            trips: false,
            final: true
        ),
        Row(name: "503", fault: .status(503), status: 503, code: "upstream_unavailable"),
        Row(name: "connect refused", fault: nil, status: 502, code: "upstream_error"),
        Row(name: "hang before headers", fault: .hang(maxSeconds: 30), status: 504, code: "upstream_timeout"),
        Row(
            name: "hang mid-stream",
            fault: .hangMidStream(afterChunks: 2, maxSeconds: 30),
            status: 504,
            code: "upstream_timeout",
            midStream: true
        ),
        Row(name: "connection reset", fault: .reset, status: 502, code: "upstream_error"),
        Row(name: "malformed JSON", fault: .malformedJSON, status: 502, code: "upstream_error"),
        Row(
            name: "OpenAI in-stream error event",
            fault: .streamError(afterChunks: 2),
            status: 502,
            code: "upstream_error",
            midStream: true
        ),
        Row(
            name: "Bedrock exception frame",
            fault: .streamError(afterChunks: 2),
            bedrock: true,
            status: 502,
            code: "upstream_error",
            midStream: true
        ),
    ]

    static func configure(_ row: Row, deployments: Int) -> ([String]) -> GatewayConfig {
        { urls in
            var config =
                row.bedrock
                ? ProviderKindsTests.config(.bedrock, urls: urls)
                : Harness.config(simulatorURLs: urls, firstByteTimeout: .seconds(1))
            config.adminKey = Secret(Self.adminKey)
            config.routing.firstByteTimeout = .seconds(1)
            config.routing.idleTimeout = .seconds(1)  // generous: the whole suite runs in parallel on 2 cores
            config.routing.breaker = BreakerConfig(consecutiveFailures: 1, openFor: .seconds(60))
            if row.fault == nil {
                config.providers[0].baseURL = "http://127.0.0.1:1/v1"
            }
            config.models[0].deployments = Array(config.models[0].deployments.prefix(deployments))
            return config
        }
    }

    static let modes = [false, true]

    @Test(arguments: rows, modes)
    func oneDeployment(row: Row, stream: Bool) async throws {
        try await Self.run(row, deployments: 1) { harness in
            let answer = try await harness.chat(stream: stream)
            let entry = try #require(await harness.ledger.entries(count: 1).first)
            if row.final { return try await Self.expectFinal(harness, answer: answer, entry: entry) }
            #expect(answer.headers.first(name: "x-switchyard-attempts") == "1")
            #expect(entry.attempts == 1)
            if stream && row.midStream {
                try Self.expectInBandError(answer, entry: entry)
            } else {
                #expect(answer.status == row.status, "\(answer.body)")
                #expect(answer.errorCode == row.code)
                let error = try #require(answer.json?["error"] as? [String: Any])
                #expect(Set(error.keys) == ["message", "type", "param", "code"])
                #expect(!answer.body.contains("upstream-key") && !answer.body.contains("Simulated"))
                if row.status == 429 { #expect(answer.headers.first(name: "retry-after") != nil) }
                #expect(entry.status == row.status && entry.errorCode == row.code)
            }
            try await Self.expectHealth(harness, row: row)
        }
    }

    @Test(arguments: rows, modes)
    func twoDeployments(row: Row, stream: Bool) async throws {
        try await Self.run(row, deployments: 2) { harness in
            let answer = try await harness.chat(stream: stream)
            let entry = try #require(await harness.ledger.entries(count: 1).first)
            if row.final { return try await Self.expectFinal(harness, answer: answer, entry: entry) }
            if stream && row.midStream {
                // Bytes reached the client: too late to fail over.
                #expect(answer.headers.first(name: "x-switchyard-attempts") == "1")
                #expect(harness.simulators[1].stats.requests == 0)
                try Self.expectInBandError(answer, entry: entry)
            } else {
                #expect(answer.status == 200, "\(answer.body)")
                #expect(answer.headers.first(name: "x-switchyard-provider") == "sim-1")
                #expect(answer.headers.first(name: "x-switchyard-attempts") == "2")
                if stream {
                    #expect(ssePayloads(answer.body).last == "[DONE]")
                } else {
                    #expect(answer.json?["object"] as? String == "chat.completion")
                }
                #expect(entry.status == 200 && entry.attempts == 2 && entry.provider == "sim-1")
                #expect(entry.errorCode == nil && entry.usage.completionTokens > 0)
            }
            try await Self.expectHealth(harness, row: row)
        }
    }

    static func run(_ row: Row, deployments: Int, _ body: (Harness) async throws -> Void) async throws {
        try await Harness.run(
            simulators: 2,
            options: row.bedrock ? ProviderKindsTests.options(.bedrock) : SimulatorOptions(),
            configure: Self.configure(row, deployments: deployments),
            // Health time stands still, so a 1 s cooldown is still visible when the test looks.
            clock: FixedClock(instant: Date(timeIntervalSince1970: 1_795_000_000))
        ) { harness in
            if let fault = row.fault { harness.simulators[0].enqueue([fault]) }
            try await body(harness)
        }
    }

    static func expectInBandError(_ answer: Harness.Answer, entry: LedgerEntry) throws {
        #expect(answer.status == 200)
        #expect(answer.headers.first(name: "x-switchyard-provider") == "sim-0")
        let payloads = ssePayloads(answer.body)
        #expect(payloads.count > 1)  // the first chunks arrived before the failure
        let last = try #require(payloads.last.flatMap(jsonObject))
        let error = try #require(last["error"] as? [String: Any])
        #expect(Set(error.keys) == ["message", "type", "param", "code"])
        #expect(entry.status == 200 && entry.errorCode == "upstream_stream_interrupted")
        #expect(entry.provider == "sim-0" && entry.usageEstimated)
    }

    /// Simulator 0's deployment (or the unreachable one) shows the failure at the health endpoint.
    /// A client error from the upstream: passed on as it is, no failover, the deployment untouched.
    static func expectFinal(_ harness: Harness, answer: Harness.Answer, entry: LedgerEntry) async throws {
        #expect(answer.status == 400, "\(answer.body)")
        let error = try #require(answer.json?["error"] as? [String: Any])
        #expect(error["type"] as? String == "invalid_request_error")
        #expect(answer.headers.first(name: "x-switchyard-attempts") == "1")
        #expect(entry.status == 400 && entry.errorCode == "upstream_400" && entry.attempts == 1)
        #expect(harness.simulators[1].stats.requests == 0)
        let health = try await harness.request("/admin/v1/health", method: .GET, key: Self.adminKey)
        let deployments = try #require(health.json?["deployments"] as? [[String: Any]])
        let first = try #require(deployments.first { $0["provider"] as? String == "sim-0" })
        #expect(first["state"] as? String == "closed" && first["available"] as? Bool == true, "\(first)")
        #expect(first["cooldown_until"] == nil && first["last_failure"] == nil)
    }

    static func expectHealth(_ harness: Harness, row: Row) async throws {
        let answer = try await harness.request("/admin/v1/health", method: .GET, key: Self.adminKey)
        #expect(answer.status == 200)
        let deployments = try #require(answer.json?["deployments"] as? [[String: Any]])
        let first = try #require(deployments.first { $0["provider"] as? String == "sim-0" })
        if row.trips {
            #expect(first["state"] as? String == "open", "\(first)")
            #expect(first["available"] as? Bool == false)
            #expect(first["open_until"] as? String != nil)
            #expect(first["last_failure"] as? String != nil)
        } else {
            #expect(first["state"] as? String == "closed", "\(first)")
            #expect(first["cooldown_until"] as? String != nil)
            #expect(first["last_failure"] as? String == "throttled")
        }
    }
}

/// Routing around trouble over several requests: breakers, cooldowns, pins, in-flight limits.
@Suite(.timeLimit(.minutes(1))) struct ResilienceTests {
    static func configure(
        _ change: @escaping @Sendable (inout GatewayConfig) -> Void = { _ in }
    ) -> ([String]) -> GatewayConfig {
        { urls in
            var config = Harness.config(simulatorURLs: urls, firstByteTimeout: .seconds(1))
            config.adminKey = Secret(FaultSuiteTests.adminKey)
            config.routing.breaker = BreakerConfig(consecutiveFailures: 1, openFor: .seconds(60))
            change(&config)
            return config
        }
    }

    /// A host that takes no connections (its accept queue is full) is left after the
    /// deployment's own connect timeout, not the gateway's.
    @Test func aDeploymentsOwnConnectTimeoutRoutesAroundAHostThatTakesNoConnections() async throws {
        let unaccepting = try UnacceptingListener()
        defer { unaccepting.close() }
        let configure = Self.configure { config in
            config.routing.connectTimeout = .seconds(20)
            config.routing.firstByteTimeout = .seconds(20)
            config.providers[0].baseURL = "http://127.0.0.1:\(unaccepting.port)/v1"
            config.models[0].deployments[0].timeouts.connect = .milliseconds(200)
        }
        try await Harness.run(simulators: 2, configure: configure) { harness in
            let started = ContinuousClock.now
            let answer = try await harness.chat()
            let elapsed = ContinuousClock.now - started
            #expect(answer.status == 200 && answer.headers.first(name: "x-switchyard-attempts") == "2")
            #expect(answer.headers.first(name: "x-switchyard-provider") == "sim-1")
            #expect(elapsed >= .milliseconds(200) && elapsed < .seconds(5), "took \(elapsed)")
            let health = try await harness.request("/admin/v1/health", method: .GET, key: FaultSuiteTests.adminKey)
            let deployments = try #require(health.json?["deployments"] as? [[String: Any]])
            let unreachable = try #require(deployments.first { $0["provider"] as? String == "sim-0" })
            #expect(unreachable["last_failure"] as? String == "timeout" && unreachable["state"] as? String == "open")
        }
    }

    @Test func aHungCloudIsRoutedAroundAndTheHealthEndpointShowsWhy() async throws {
        try await Harness.run(simulators: 2, configure: Self.configure()) { harness in
            harness.simulators[0].enqueue([.hang(maxSeconds: 30)])
            let started = ContinuousClock.now
            let first = try await harness.chat()
            #expect(first.status == 200 && first.headers.first(name: "x-switchyard-attempts") == "2")
            #expect(ContinuousClock.now - started < .seconds(5))
            // The breaker is open: the next request goes straight to the healthy cloud.
            let second = try await harness.chat(stream: true)
            #expect(second.status == 200 && second.headers.first(name: "x-switchyard-attempts") == "1")
            #expect(second.headers.first(name: "x-switchyard-provider") == "sim-1")
            #expect(harness.simulators[0].stats.requests == 1)

            let health = try await harness.request("/admin/v1/health", method: .GET, key: FaultSuiteTests.adminKey)
            let deployments = try #require(health.json?["deployments"] as? [[String: Any]])
            let hung = try #require(deployments.first { $0["provider"] as? String == "sim-0" })
            #expect(hung["state"] as? String == "open")
            #expect(hung["last_failure"] as? String == "timeout")
            #expect((hung["error_rate"] as? NSNumber)?.doubleValue == 1)
            let healthy = try #require(deployments.first { $0["provider"] as? String == "sim-1" })
            #expect(healthy["state"] as? String == "closed")
            #expect(((healthy["ewma_ttfb_ms"] as? NSNumber)?.doubleValue ?? -1) >= 0)
            #expect(healthy["cloud"] as? String == "cloud-1")

            let metrics = try await harness.request("/metrics", method: .GET, key: FaultSuiteTests.adminKey)
            let lines = metrics.body.split(separator: "\n")
            #expect(
                lines.contains {
                    $0.hasPrefix("switchyard_deployment_breaker_state{") && $0.contains("sim-0") && $0.hasSuffix(" 2.0")
                }
            )
            #expect(
                lines.contains {
                    $0.hasPrefix("switchyard_deployment_available{") && $0.contains("sim-1") && $0.hasSuffix(" 1.0")
                }
            )
        }
    }

    @Test func aThrottledCloudCoolsDownForItsRetryAfter() async throws {
        try await Harness.run(simulators: 2, configure: Self.configure()) { harness in
            harness.simulators[0].enqueue([.status(429, retryAfterSeconds: 30)])
            let first = try await harness.chat()
            #expect(first.status == 200 && first.headers.first(name: "x-switchyard-provider") == "sim-1")
            let second = try await harness.chat()
            #expect(second.headers.first(name: "x-switchyard-attempts") == "1")
            #expect(second.headers.first(name: "x-switchyard-provider") == "sim-1")
            #expect(harness.simulators[0].stats.requests == 1)
        }
    }

    @Test func whenEveryDeploymentIsOpenTheBestOneIsStillTried() async throws {
        try await Harness.run(simulators: 1, configure: Self.configure()) { harness in
            harness.simulators[0].enqueue([.status(500)])
            #expect(try await harness.chat().status == 502)
            // Open, but the only one: tried anyway rather than failing blind; success closes it.
            let second = try await harness.chat()
            #expect(second.status == 200)
            #expect(harness.simulators[0].stats.requests == 2)
            let health = try await harness.request("/admin/v1/health", method: .GET, key: FaultSuiteTests.adminKey)
            let deployment = try #require((health.json?["deployments"] as? [[String: Any]])?.first)
            #expect(deployment["state"] as? String == "closed")
        }
    }

    @Test func pinsChooseWithinWhatIsAllowedAndAnythingElseIsAClearError() async throws {
        let configure = Self.configure { config in
            config.tenants = [TenantConfig(id: "acme", clouds: ["cloud-0", "cloud-1"])]
            config.providers.append(
                ProviderConfig(id: "other", kind: .openAI, cloud: "cloud-9", baseURL: "http://127.0.0.1:1/v1")
            )
            config.models[0].deployments.append(DeploymentConfig(provider: "other", target: "x"))
        }
        try await Harness.run(simulators: 2, configure: configure) { harness in
            let pinned = try await harness.chat(headers: [("x-switchyard-cloud", "cloud-1")])
            #expect(pinned.status == 200 && pinned.headers.first(name: "x-switchyard-provider") == "sim-1")
            let region = try await harness.chat(stream: true, headers: [("x-switchyard-region", "region-1")])
            #expect(region.status == 200 && region.headers.first(name: "x-switchyard-region") == "region-1")

            let outside = try await harness.chat(headers: [("x-switchyard-cloud", "cloud-9")])
            #expect(outside.status == 403 && outside.errorCode == "pin_not_allowed")
            let nowhere = try await harness.chat(headers: [("x-switchyard-cloud", "mars")])
            #expect(nowhere.status == 400 && nowhere.errorCode == "invalid_request")
            #expect((nowhere.json?["error"] as? [String: Any])?["param"] as? String == "x-switchyard-cloud")
            #expect(harness.simulators[0].stats.requests == 0)
            let entries = await harness.ledger.entries(count: 4)
            #expect(entries.map(\.status).sorted() == [200, 200, 400, 403])
        }
    }

    @Test func aFullDeploymentQueuesBrieflyThenTheNextOneServes() async throws {
        let configure = Self.configure { config in
            config.routing.firstByteTimeout = .seconds(2)
            config.routing.queueTimeout = .milliseconds(50)
            config.models[0].deployments[0].maxInFlight = 1
        }
        try await Harness.run(simulators: 2, configure: configure) { harness in
            harness.simulators[0].enqueue([.hang(maxSeconds: 30)])
            async let slow = harness.chat()
            await harness.simulators[0].waitForRequests(1)
            let fast = try await harness.chat()
            #expect(fast.status == 200)
            #expect(fast.headers.first(name: "x-switchyard-provider") == "sim-1")
            #expect(fast.headers.first(name: "x-switchyard-attempts") == "1")
            #expect(harness.simulators[0].stats.requests == 1)
            let slowAnswer = try await slow
            #expect(slowAnswer.status == 200 && slowAnswer.headers.first(name: "x-switchyard-attempts") == "2")
        }
    }

    @Test func theTotalTimeoutEndsAStreamThatTrickles() async throws {
        let configure = Self.configure { config in
            config.models[0].deployments = [config.models[0].deployments[0]]
            // The first byte comes well before, even on a loaded machine.
            config.models[0].deployments[0].timeouts.total = .seconds(2)
        }
        try await Harness.run(
            simulators: 1,
            options: SimulatorOptions(completionTokens: 1000, chunkInterval: .milliseconds(20)),
            configure: configure
        ) { harness in
            let answer = try await harness.chat(stream: true)
            #expect(answer.status == 200)
            let last = try #require(ssePayloads(answer.body).last.flatMap(jsonObject))
            #expect((last["error"] as? [String: Any])?["code"] as? String == "upstream_timeout")
            await harness.simulators[0].waitForCancellations(1)
            let entry = try #require(await harness.ledger.entries(count: 1).first)
            #expect(entry.errorCode == "upstream_stream_interrupted")
            #expect(entry.usage.completionTokens < 1000)
        }
    }

    @Test func aHedgeRacesASlowFirstDeploymentAndOnlyTheWinnerIsBilled() async throws {
        let configure = Self.configure { config in
            config.routing.firstByteTimeout = .seconds(20)
            config.models[0].hedge = true
        }
        try await Harness.run(simulators: 2, configure: configure) { harness in
            // A first request teaches the gateway sim-0's time to first byte (no hedge without it).
            let warm = try await harness.chat()
            #expect(warm.headers.first(name: "x-switchyard-attempts") == "1")

            harness.simulators[0].enqueue([.hang(maxSeconds: 30)])
            let started = ContinuousClock.now
            let answer = try await harness.chat(stream: true)
            #expect(ContinuousClock.now - started < .seconds(10))  // well before the 20 s first-byte timeout
            #expect(answer.status == 200 && ssePayloads(answer.body).last == "[DONE]")
            #expect(answer.headers.first(name: "x-switchyard-provider") == "sim-1")
            #expect(answer.headers.first(name: "x-switchyard-attempts") == "2")
            await harness.simulators[0].waitForCancellations(1)  // the loser was cancelled

            let entries = await harness.ledger.entries(count: 2)
            #expect(harness.ledger.all.count == 2)  // one entry per request: the loser is not billed
            #expect(entries[1].provider == "sim-1" && entries[1].attempts == 2 && entries[1].status == 200)
            let health = try await harness.request("/admin/v1/health", method: .GET, key: FaultSuiteTests.adminKey)
            let deployments = try #require(health.json?["deployments"] as? [[String: Any]])
            let slow = try #require(deployments.first { $0["provider"] as? String == "sim-0" })
            #expect(slow["state"] as? String == "closed" && slow["consecutive_failures"] as? Int == 0)
            #expect(slow["in_flight"] as? Int == 0)
        }
    }

    @Test func theGlobalRetryBudgetStopsRetriesOnceSpent() async throws {
        let configure = Self.configure { config in
            config.routing.breaker = BreakerConfig()  // stays closed for these few failures
            config.routing.retryRatio = 0
            config.routing.retryBurst = 1
        }
        try await Harness.run(simulators: 2, configure: configure) { harness in
            harness.simulators[0].enqueue([.status(500), .status(500)])
            let first = try await harness.chat()
            #expect(first.status == 200 && first.headers.first(name: "x-switchyard-attempts") == "2")
            // The one retry of the budget is spent, and requests earn none back (ratio 0).
            let second = try await harness.chat()
            #expect(second.status == 502 && second.errorCode == "upstream_error")
            #expect(second.headers.first(name: "x-switchyard-attempts") == "1")
            #expect(harness.simulators[1].stats.requests == 1)
        }
    }

    @Test func anUpstreamSendingOnlyKeepAlivesIsCutAtTheIdleTimeout() async throws {
        // Idle = first byte = the HTTP client's read timeout: no timer of the gateway's, and the
        // keep-alive comments keep resetting the read timeout; the stream source checks instead.
        try await Harness.run(simulators: 1, configure: Self.configure()) { harness in
            harness.simulators[0].enqueue([.hangMidStream(afterChunks: 2, maxSeconds: 30)])
            let started = ContinuousClock.now
            let answer = try await harness.chat(stream: true)
            #expect(ContinuousClock.now - started < .seconds(5))
            let last = try #require(ssePayloads(answer.body).last.flatMap(jsonObject))
            #expect((last["error"] as? [String: Any])?["code"] as? String == "upstream_timeout")
            await harness.simulators[0].waitForCancellations(1)
        }
    }

    @Test func afterItsOpenPeriodOneProbeClosesTheBreaker() async throws {
        let clock = SteppingClock(Date(timeIntervalSince1970: 1_795_000_000))
        try await Harness.run(simulators: 2, configure: Self.configure(), clock: clock) { harness in
            harness.simulators[0].enqueue([.status(500)])
            #expect(try await harness.chat().headers.first(name: "x-switchyard-provider") == "sim-1")
            let skipped = try await harness.chat()
            #expect(skipped.headers.first(name: "x-switchyard-provider") == "sim-1")
            #expect(skipped.headers.first(name: "x-switchyard-attempts") == "1")

            clock.advance(by: 61)  // open_for is 60 s: the next request probes sim-0
            let probe = try await harness.chat()
            #expect(probe.headers.first(name: "x-switchyard-provider") == "sim-0")
            #expect(probe.headers.first(name: "x-switchyard-attempts") == "1")
            let health = try await harness.request("/admin/v1/health", method: .GET, key: FaultSuiteTests.adminKey)
            let deployments = try #require(health.json?["deployments"] as? [[String: Any]])
            let recovered = try #require(deployments.first { $0["provider"] as? String == "sim-0" })
            #expect(recovered["state"] as? String == "closed" && recovered["opened"] as? Int == 1)
            #expect(harness.simulators[0].stats.requests == 2)
        }
    }
}

/// A wall clock the test moves forward.
final class SteppingClock: WallClock {
    private let instant: Mutex<Date>

    init(_ start: Date) { self.instant = Mutex(start) }

    func now() -> Date { self.instant.withLock { $0 } }

    func advance(by seconds: TimeInterval) { self.instant.withLock { $0 += seconds } }
}

/// A loopback port whose accept queue is full: connecting to it hangs, as to a host that drops
/// SYNs (Linux drops them once a listener's queue is full).
struct UnacceptingListener {
    let port: Int
    private let sockets: [Int32]

    struct Failure: Error { let call: String }

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(listener, address, length) == 0 && listen(listener, 0) == 0
                    && getsockname(listener, address, &length) == 0
            }
        }
        guard bound else { throw Failure(call: "bind/listen") }
        // One connection fills a queue of size 0 (it is never accepted).
        let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(filler, $0, length) == 0 }
        }
        guard connected else { throw Failure(call: "connect") }
        self.port = Int(UInt16(bigEndian: address.sin_port))
        self.sockets = [listener, filler]
    }

    func close() { for socket in self.sockets { _ = Glibc.close(socket) } }
}
