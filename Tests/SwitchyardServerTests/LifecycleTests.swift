import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SwitchyardCore
import SwitchyardSimulator
import Testing

@Suite(.timeLimit(.minutes(1))) struct LifecycleTests {
    @Test func gracefulShutdownLetsAStreamInFlightFinishAndRecordsIt() async throws {
        try await Harness.run(
            simulators: 1,
            options: SimulatorOptions(completionTokens: 60, chunkInterval: .milliseconds(5))
        ) { harness in
            let request = harness.makeRequest(
                body: #"{"model":"gpt-5","stream":true,"messages":[{"role":"user","content":"go"}]}"#
            )
            let response = try await harness.http.execute(request, timeout: .seconds(30))
            var iterator = response.body.makeAsyncIterator()
            var received = try #require(try await iterator.next())
            await harness.shutdownGateway()  // SIGTERM while the stream is in flight
            while var chunk = try await iterator.next() { received.writeBuffer(&chunk) }
            #expect(String(buffer: received).hasSuffix("data: [DONE]\n\n"))
            let entry = try #require(await harness.ledger.entries(count: 1).first)
            #expect(entry.status == 200 && entry.usage.completionTokens == 60 && !entry.usageEstimated)
        }
    }

    @Test func readinessFollowsTheStore() async throws {
        try await Harness.run(simulators: 1, store: UnreachableStore()) { harness in
            let ready = try await harness.request("/readyz", method: .GET, key: nil)
            #expect(ready.status == 503)
            #expect(ready.errorCode == "not_ready")
            #expect(try await harness.request("/healthz", method: .GET, key: nil).status == 200)
        }
    }
}

struct UnreachableStore: LedgerStore {
    struct Down: Error {}
    func insert(_ entries: [LedgerEntry]) async throws { throw Down() }
    func ping() async throws { throw Down() }
    func count() async throws -> Int { throw Down() }
    func revenueShareTotals(beneficiary: String?, from: Date, until: Date) async throws -> [RevenueShareTotal] { [] }
    func usage(by dimension: UsageDimension, from: Date, until: Date) async throws -> [UsageTotal] { [] }
}
