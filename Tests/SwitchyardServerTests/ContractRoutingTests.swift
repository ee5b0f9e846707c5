import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import SwitchyardCore
import SwitchyardSimulator
import SwitchyardStore
import Testing

struct FixedClock: WallClock {
    let instant: Date
    func now() -> Date { self.instant }
}

/// Contract terms through the server: routing, refusals, /v1/models, the admin API, revenue share in the ledger.
@Suite(.timeLimit(.minutes(1))) struct ContractRoutingTests {
    static let launch = InstantText.parse("2026-11-20") ?? .distantPast
    static let duringWindow = InstantText.parse("2026-11-29T12:00:00Z") ?? .distantPast

    /// sim-0 on cloud-0, sim-1 on cloud-1; cloud-1 has first access to gpt-5 for 30 days after launch;
    /// partner earns 20 % of all gpt-5 revenue; tenant "cloud0-shop" may only use cloud-0.
    static func configure(_ urls: [String]) -> GatewayConfig {
        var config = Harness.config(simulatorURLs: urls)
        config.adminKey = Secret("admin-secret")
        config.models[0].launched = Self.launch
        config.models[0].publisher = "openai"
        config.tenants.append(TenantConfig(id: "cloud0-shop", clouds: ["cloud-0"]))
        config.keys.append(ClientKeyConfig(id: "key-c0", key: Secret("sk-cloud0"), tenant: "cloud0-shop"))
        config.agreements = [
            Agreement(
                id: "cloud1-first",
                terms: [
                    ContractTerm(
                        agreementID: "cloud1-first",
                        number: 1,
                        kind: .firstAccess(clouds: ["cloud-1"], window: .seconds(30 * 86_400)),
                        models: ModelSelector(publisher: "openai"),
                        from: InstantText.parse("2025-01-01") ?? .distantPast,
                        until: nil
                    ),
                    ContractTerm(
                        agreementID: "cloud1-first",
                        number: 2,
                        kind: .revenueShare(
                            beneficiary: "partner",
                            percent: Percent(millionths: 20_000_000),
                            clouds: nil
                        ),
                        models: ModelSelector(name: "gpt-*"),
                        from: InstantText.parse("2025-01-01") ?? .distantPast,
                        until: InstantText.parse("2031-01-01")
                    ),
                ]
            )
        ]
        return config
    }

    @Test func duringFirstAccessTrafficGoesToTheFirstCloudAndAccruesRevenueShare() async throws {
        try await Harness.run(simulators: 2, configure: Self.configure, clock: FixedClock(instant: Self.duringWindow)) {
            harness in
            let answer = try await harness.chat()
            #expect(answer.status == 200)
            #expect(answer.headers.first(name: "x-switchyard-cloud") == "cloud-1")
            #expect(harness.simulators[0].stats.requests == 0)
            let entry = try #require(await harness.ledger.entries(count: 1).first)
            #expect(
                entry.revenueShares == [
                    RevenueShareAccrual(
                        beneficiary: "partner",
                        agreementID: "cloud1-first",
                        amount: Percent(millionths: 20_000_000).of(entry.charge)
                    )
                ]
            )
            #expect(entry.charge > .zero)
        }
    }

    @Test func aTenantOutsideTheWindowCloudIsRefusedWithWhenItOpens() async throws {
        try await Harness.run(simulators: 2, configure: Self.configure, clock: FixedClock(instant: Self.duringWindow)) {
            harness in
            let answer = try await harness.request(
                body: #"{"model":"gpt-5","messages":[{"role":"user","content":"x"}]}"#,
                key: "sk-cloud0"
            )
            #expect(answer.status == 403)
            let error = try #require(answer.json?["error"] as? [String: Any])
            #expect(error["code"] as? String == "model_not_available")
            let message = try #require(error["message"] as? String)
            #expect(message.contains("agreement 'cloud1-first' term 1 (first_access)"))
            #expect(message.contains("It becomes available on your clouds at 2026-12-20T00:00:00Z."))
            let models = try await harness.request("/v1/models", method: .GET, key: "sk-cloud0")
            #expect((models.json?["data"] as? [Any])?.isEmpty == true)
            let everyone = try await harness.request("/v1/models", method: .GET)
            #expect((everyone.json?["data"] as? [Any])?.count == 1)
            #expect(harness.simulators.allSatisfy { $0.stats.requests == 0 })
        }
    }

    @Test func afterTheWindowTheTenantIsServedOnItsCloud() async throws {
        let after = InstantText.parse("2026-12-20T00:00:00Z") ?? .distantPast
        try await Harness.run(simulators: 2, configure: Self.configure, clock: FixedClock(instant: after)) { harness in
            let answer = try await harness.request(
                body: #"{"model":"gpt-5","messages":[{"role":"user","content":"x"}]}"#,
                key: "sk-cloud0"
            )
            #expect(answer.status == 200)
            #expect(answer.headers.first(name: "x-switchyard-cloud") == "cloud-0")
        }
    }

    @Test func theAdminAPIExplainsAndListsTheTimelineOnlyForTheAdminKey() async throws {
        try await Harness.run(simulators: 2, configure: Self.configure, clock: FixedClock(instant: Self.duringWindow)) {
            harness in
            let explain = try await harness.request(
                "/admin/v1/explain?model=gpt-5&tenant=cloud0-shop",
                method: .GET,
                key: "admin-secret"
            )
            #expect(explain.status == 200)
            let deployments = try #require(explain.json?["deployments"] as? [[String: Any]])
            #expect(deployments.map { $0["eligible"] as? Bool } == [false, false])
            #expect(explain.json?["refusal"] as? String != nil)
            let timeline = try await harness.request("/admin/v1/timeline", method: .GET, key: "admin-secret")
            let events = try #require(timeline.json?["events"] as? [[String: Any]])
            #expect(events.compactMap { $0["at"] as? String } == ["2026-12-20T00:00:00Z", "2031-01-01T00:00:00Z"])
            #expect(try await harness.request("/admin/v1/timeline", method: .GET).status == 403)  // a client key
            #expect(try await harness.request("/admin/v1/timeline", method: .GET, key: nil).status == 401)
            #expect(
                try await harness.request("/admin/v1/explain?model=nope", method: .GET, key: "admin-secret").status
                    == 404
            )
            #expect(
                try await harness.request("/admin/v1/explain?model=gpt-5&at=soon", method: .GET, key: "admin-secret")
                    .status == 400
            )
        }
    }

    @Test func revenueShareReportsSumTheStoredAmountsExactly() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "switchyard-rs-\(UUID().uuidString).db"
        ).path
        let store = try SQLiteLedgerStore(path: path)
        let writer = LedgerWriter(store: store, logger: .init(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks async throws in
            tasks.addTask { try await writer.run() }
            try await Harness.run(
                simulators: 2,
                configure: Self.configure,
                store: store,
                clock: FixedClock(instant: Self.duringWindow)
            ) { harness in
                var expected = USDNanos.zero
                for stream in [false, true, false, true, false] {
                    _ = try await harness.chat(stream: stream)
                }
                let entries = await harness.ledger.entries(count: 5)
                for entry in entries {
                    writer.record(entry)
                    expected = expected + Percent(millionths: 20_000_000).of(entry.charge)
                }
                await writer.flushed()
                let report = try await harness.request(
                    "/admin/v1/reports/revenue-share?beneficiary=partner&from=2026-11-01&until=2026-12-01",
                    method: .GET,
                    key: "admin-secret"
                )
                #expect(report.json?["total_nanos"] as? Int64 == expected.value)
                let rows = try #require(report.json?["rows"] as? [[String: Any]])
                #expect(rows.first?["entries"] as? Int == 5)
                let outside = try await harness.request(
                    "/admin/v1/reports/revenue-share?from=2026-12-01&until=2027-01-01",
                    method: .GET,
                    key: "admin-secret"
                )
                #expect(outside.json?["total_nanos"] as? Int64 == 0)
            }
            tasks.cancelAll()
        }
    }
}
