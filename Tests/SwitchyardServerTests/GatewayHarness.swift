import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import SwitchyardCore
import SwitchyardProviders
import SwitchyardServer
import SwitchyardSimulator
import SwitchyardStore
import Synchronization

/// Collects ledger entries and lets a test wait for them (entries of streams are recorded
/// after the last byte went out, so a test must wait rather than look right away).
final class RecordingLedger: LedgerSink {
    private let state = Mutex<(entries: [LedgerEntry], waiters: [(Int, CheckedContinuation<Void, Never>)])>(([], []))

    func record(_ entry: LedgerEntry) {
        let ready = self.state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.entries.append(entry)
            let count = state.entries.count
            let ready = state.waiters.filter { $0.0 <= count }.map(\.1)
            state.waiters.removeAll { $0.0 <= count }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    /// The first `count` entries, once they exist.
    func entries(count: Int) async -> [LedgerEntry] {
        await withCheckedContinuation { continuation in
            let done = self.state.withLock { state -> Bool in
                if state.entries.count >= count { return true }
                state.waiters.append((count, continuation))
                return false
            }
            if done { continuation.resume() }
        }
        return self.state.withLock { Array($0.entries.prefix(count)) }
    }

    var all: [LedgerEntry] { self.state.withLock { $0.entries } }
}

/// A running gateway in front of running simulators, all on loopback.
struct Harness {
    let gatewayURL: String
    let simulators: [SimulatorState]
    let ledger: RecordingLedger
    let http: HTTPClient
    /// Starts the gateway's graceful shutdown (as SIGTERM does) without waiting for it.
    let shutdownGateway: @Sendable () async -> Void

    static let clientKey = "sk-test-client"

    /// Simulator `i` is provider `sim-i` on cloud `cloud-i`, region `region-i`, with key `upstream-key-i`.
    static func config(
        simulatorURLs: [String],
        firstByteTimeout: Duration = .seconds(5),
        maxBody: Int = 10 << 20
    ) -> GatewayConfig {
        let providers = simulatorURLs.enumerated().map { index, url in
            ProviderConfig(
                id: "sim-\(index)",
                kind: .openAI,
                cloud: "cloud-\(index)",
                region: "region-\(index)",
                baseURL: url + "/v1",
                apiKey: Secret("upstream-key-\(index)")
            )
        }
        let price = PriceSheet(
            input: TokenPrice(nanosPerMillion: 1_500_000_000),
            output: TokenPrice(nanosPerMillion: 12_000_000_000)
        )
        let cost = PriceSheet(
            input: TokenPrice(nanosPerMillion: 1_250_000_000),
            output: TokenPrice(nanosPerMillion: 10_000_000_000)
        )
        return GatewayConfig(
            listen: ListenAddress(host: "127.0.0.1", port: 0),
            maxRequestBodyBytes: maxBody,
            providers: providers,
            models: [
                ModelConfig(
                    name: "gpt-5",
                    publisher: "openai",
                    price: price,
                    deployments: providers.map {
                        DeploymentConfig(provider: $0.id, target: "target-\($0.id)", cost: cost)
                    }
                )
            ],
            routing: RoutingConfig(retries: 3, connectTimeout: .seconds(1), firstByteTimeout: firstByteTimeout),
            tenants: [TenantConfig(id: "acme")],
            keys: [ClientKeyConfig(id: "key-acme", key: Secret(Self.clientKey), tenant: "acme")]
        )
    }

    /// Runs `count` simulators and a gateway configured by `configure`, calls `body`, then shuts all down.
    static func run(
        simulators count: Int,
        options: SimulatorOptions = SimulatorOptions(),
        configure: ([String]) -> GatewayConfig = { Harness.config(simulatorURLs: $0) },
        store: any LedgerStore = MemoryLedgerStore(),
        clock: any WallClock = SystemWallClock(),
        _ body: (Harness) async throws -> Void
    ) async throws {
        let logger = Logger(label: "test")
        let states = (0..<count).map { _ in SimulatorState() }
        let (simulatorPorts, simulatorPortSink) = AsyncStream.makeStream(of: (Int, Int).self)
        let simulatorApps: [any Service] = states.enumerated().map { index, state in
            Simulator.application(
                options: SimulatorOptions(
                    completionTokens: options.completionTokens,
                    firstByteLatency: options.firstByteLatency,
                    chunkInterval: options.chunkInterval,
                    requiredAPIKey: "upstream-key-\(index)",
                    awsCredentials: options.awsCredentials
                ),
                state: state,
                logger: logger,
                onServerRunning: { simulatorPortSink.yield((index, $0)) }
            )
        }
        let simulatorGroup = ServiceGroup(services: simulatorApps, gracefulShutdownSignals: [], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks async throws in
            tasks.addTask { try await simulatorGroup.run() }
            var urls = Array(repeating: "", count: count)
            var iterator = simulatorPorts.makeAsyncIterator()
            for _ in 0..<count {
                guard let (index, port) = await iterator.next() else { return }
                urls[index] = "http://127.0.0.1:\(port)"
            }
            let config = configure(urls)
            let ledger = RecordingLedger()
            let upstreamClients = UpstreamClients(config: config, logger: logger)
            let gateway = Gateway(
                config: config,
                clients: upstreamClients,
                ledger: ledger,
                store: store,
                clock: clock,
                logger: logger
            )
            let (gatewayPorts, gatewayPortSink) = AsyncStream.makeStream(of: Int.self)
            let app = buildApplication(gateway: gateway, logger: logger, onServerRunning: { gatewayPortSink.yield($0) })
            let gatewayGroup = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
            tasks.addTask { try await gatewayGroup.run() }
            var portIterator = gatewayPorts.makeAsyncIterator()
            guard let port = await portIterator.next() else { return }
            let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
            do {
                try await body(
                    Harness(
                        gatewayURL: "http://127.0.0.1:\(port)",
                        simulators: states,
                        ledger: ledger,
                        http: http,
                        shutdownGateway: { await gatewayGroup.triggerGracefulShutdown() }
                    )
                )
            } catch {
                try? await http.shutdown()
                await gatewayGroup.triggerGracefulShutdown()
                await simulatorGroup.triggerGracefulShutdown()
                try? await upstreamClients.shutdown()
                throw error
            }
            try await http.shutdown()
            await gatewayGroup.triggerGracefulShutdown()
            await simulatorGroup.triggerGracefulShutdown()
            try await tasks.waitForAll()
            try await upstreamClients.shutdown()
        }
    }

    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: String

        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(self.body.utf8))) as? [String: Any] }
        var errorCode: String? { (self.json?["error"] as? [String: Any])?["code"] as? String }
    }

    /// A request to the gateway, for a test that reads or drops the answer itself.
    func makeRequest(
        _ path: String = "/v1/chat/completions",
        method: HTTPMethod = .POST,
        body: String? = nil,
        key: String? = Harness.clientKey,
        headers: [(String, String)] = []
    ) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: self.gatewayURL + path)
        request.method = method
        if let key { request.headers.add(name: "authorization", value: "Bearer \(key)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        return request
    }

    func request(
        _ path: String = "/v1/chat/completions",
        method: HTTPMethod = .POST,
        body: String? = nil,
        key: String? = Harness.clientKey,
        headers: [(String, String)] = []
    ) async throws -> Answer {
        let request = self.makeRequest(path, method: method, body: body, key: key, headers: headers)
        let response = try await self.http.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, body: String(buffer: bytes))
    }

    func chat(stream: Bool = false, includeUsage: Bool = false, headers: [(String, String)] = []) async throws -> Answer
    {
        var body = #"{"model":"gpt-5","messages":[{"role":"user","content":"Hello there"}],"temperature":0.3"#
        if stream { body += #","stream":true"# }
        if includeUsage { body += #","stream_options":{"include_usage":true}"# }
        return try await self.request(body: body + "}", headers: headers)
    }
}

/// The `data:` payloads of an SSE body.
func ssePayloads(_ body: String) -> [String] {
    body.components(separatedBy: "\n\n").compactMap { event in
        event.hasPrefix("data: ") ? String(event.dropFirst(6)) : nil
    }
}

func jsonObject(_ text: String) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
}
