import Foundation
import NIOHTTP1
import SwitchyardCore
import SwitchyardSimulator
import Testing

/// Known upstream quotas (`rpm`/`tpm` on a deployment) steer routing away from a deployment that
/// would answer 429, instead of spending an attempt on it.
@Suite(.timeLimit(.minutes(1))) struct UpstreamQuotaTests {
    static let start = Date(timeIntervalSince1970: 1_795_996_810)  // 10 s into a UTC minute

    @Test func aDeploymentAtItsKnownQuotaIsSkippedAndAllAtQuotaIsA429() async throws {
        let configure: ([String]) -> GatewayConfig = { urls in
            var config = Harness.config(simulatorURLs: urls)
            config.models[0].deployments[0].requestsPerMinute = 1
            config.models[0].deployments[1].requestsPerMinute = 2
            config.tenants[0].limits.requestsPerMinute = 4
            return config
        }
        let clock = ManualClock(Self.start)
        try await Harness.run(simulators: 2, configure: configure, clock: clock) { harness in
            let first = try await harness.chat()
            #expect(first.status == 200 && first.headers.first(name: "x-switchyard-provider") == "sim-0")
            for _ in 0..<2 {
                let next = try await harness.chat()
                #expect(next.status == 200 && next.headers.first(name: "x-switchyard-provider") == "sim-1")
                #expect(next.headers.first(name: "x-switchyard-attempts") == "1")
            }
            let refused = try await harness.chat()
            #expect(refused.status == 429 && refused.errorCode == "rate_limit_exceeded")
            #expect(refused.headers.first(name: "x-ratelimit-limit-requests") == "1")
            #expect(refused.headers.first(name: "retry-after") == "50")
            #expect(harness.simulators[0].stats.requests == 1 && harness.simulators[1].stats.requests == 2)
            // That refusal did not use the tenant's own limit (4 per minute): a fourth request
            // still passes it and meets the upstream quotas again.
            let again = try await harness.chat()
            #expect(again.status == 429)
            let message = (again.json?["error"] as? [String: Any])?["message"] as? String
            #expect(message?.contains("upstream rate limit") == true)
            // The next minute the quotas are fresh.
            clock.advance(by: 60)
            let later = try await harness.chat()
            #expect(later.status == 200 && later.headers.first(name: "x-switchyard-provider") == "sim-0")
        }
    }
}
