import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SwitchyardCore
import SwitchyardSimulator
import SwitchyardStore
import Synchronization
import Testing

/// A wall clock the test moves.
final class ManualClock: WallClock {
    private let instant: Mutex<Date>

    init(_ start: Date) { self.instant = Mutex(start) }

    func now() -> Date { self.instant.withLock { $0 } }

    func advance(by seconds: TimeInterval) { self.instant.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// Tenants, keys, limits and budgets through the admin API and real HTTP, on a real SQLite file.
@Suite(.timeLimit(.minutes(1))) struct TenancyLiveTests {
    static let adminKey = "admin-key-for-tests"
    /// 10 s into a UTC minute (2026-11-30T00:00:10Z), so windows and resets are known.
    static let start = Date(timeIntervalSince1970: 1_795_996_810)

    static func run(
        clock: any WallClock = ManualClock(Self.start),
        _ body: (Harness, SQLiteLedgerStore) async throws -> Void
    ) async throws {
        let store = try SQLiteLedgerStore(path: try temporaryPath())
        let configure: ([String]) -> GatewayConfig = { urls in
            var config = Harness.config(simulatorURLs: urls)
            config.adminKey = Secret(Self.adminKey)
            config.keySecret = Secret("server-secret-for-key-hashes")
            return config
        }
        try await Harness.run(simulators: 1, configure: configure, store: store, clock: clock) { harness in
            try await body(harness, store)
        }
    }

    static func temporaryPath() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "switchyard-tenancy-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("gateway.db").path
    }

    static func body(key: String, maxTokens: Int = 16) -> String {
        #"{"model":"gpt-5","max_tokens":\#(maxTokens),"messages":[{"role":"user","content":"Hello there"}]}"#
    }

    @Test func theAdminAPIRefusesRequestsWithoutTheAdminKeyAndClientKeys() async throws {
        try await Self.run { harness, _ in
            let none = try await harness.request("/admin/v1/tenants", method: .GET, key: nil)
            #expect(none.status == 401)
            let wrong = try await harness.request("/admin/v1/tenants", method: .GET, key: "not-the-admin-key")
            #expect(wrong.status == 401 && wrong.errorCode == "invalid_api_key")
            let client = try await harness.request("/admin/v1/tenants", method: .GET, key: Harness.clientKey)
            #expect(client.status == 403 && client.errorCode == "admin_forbidden")
            let admin = try await harness.request("/admin/v1/tenants", method: .GET, key: Self.adminKey)
            #expect(admin.status == 200)
            // The configured tenant is listed, marked as such.
            #expect(admin.body.contains(#""id":"acme","source":"config""#))
            // The explainer applies a stored tenant's clouds and models.
            _ = try await harness.request(
                "/admin/v1/tenants",
                body: #"{"id":"pinned","clouds":["cloud-9"],"models":["gpt-4o"]}"#,
                key: Self.adminKey
            )
            let explained = try await harness.request(
                "/admin/v1/explain?model=gpt-5&tenant=pinned",
                method: .GET,
                key: Self.adminKey
            )
            let verdict = try #require((explained.json?["deployments"] as? [[String: Any]])?.first)
            #expect(verdict["eligible"] as? Bool == false)
            #expect(
                verdict["reasons"] as? [String] == [
                    "tenant 'pinned' may use only clouds cloud-9", "tenant 'pinned' may not use model 'gpt-5'",
                ]
            )
        }
    }

    @Test func anOperatorCreatesATenantAndAKeyUsesItAndRevokesIt() async throws {
        try await Self.run { harness, _ in
            let tenant = try await harness.request(
                "/admin/v1/tenants",
                body: #"{"id":"globex","rpm":100,"clouds":["cloud-0"],"metadata":{"team":"search"}}"#,
                key: Self.adminKey
            )
            #expect(tenant.status == 201)
            #expect(tenant.json?["rpm"] as? Int == 100)
            let explained = try await harness.request(
                "/admin/v1/explain?model=gpt-5&tenant=globex",
                method: .GET,
                key: Self.adminKey
            )
            let verdicts = try #require(explained.json?["deployments"] as? [[String: Any]])
            #expect(verdicts.map { $0["eligible"] as? Bool } == [true])
            let created = try await harness.request(
                "/admin/v1/keys",
                body: #"{"tenant":"globex","name":"ci"}"#,
                key: Self.adminKey
            )
            #expect(created.status == 201)
            let key = try #require(created.json?["key"] as? String)
            let id = try #require(created.json?["id"] as? String)
            let prefix = try #require(created.json?["prefix"] as? String)
            #expect(key.hasPrefix(prefix) && key.count > 40 && prefix.count == 12)

            // The key is never shown again.
            let listed = try await harness.request("/admin/v1/keys?tenant=globex", method: .GET, key: Self.adminKey)
            #expect(listed.status == 200 && listed.body.contains(id) && !listed.body.contains(key))

            let chat = try await harness.request(body: Self.body(key: key), key: key)
            #expect(chat.status == 200)
            #expect(chat.headers.first(name: "x-ratelimit-limit-requests") == "100")
            let entry = try #require(await harness.ledger.entries(count: 1).first)
            #expect(entry.tenant == "globex" && entry.keyID == id)

            let revoked = try await harness.request("/admin/v1/keys/\(id)", method: .DELETE, key: Self.adminKey)
            #expect(revoked.status == 200 && revoked.json?["revoked_at"] is String)
            let refused = try await harness.request(body: Self.body(key: key), key: key)
            #expect(refused.status == 401 && refused.errorCode == "invalid_api_key")
            let again = try await harness.request("/admin/v1/keys/\(id)", method: .DELETE, key: Self.adminKey)
            #expect(again.status == 404)

            let audit = try await harness.request("/admin/v1/audit", method: .GET, key: Self.adminKey)
            let records = try #require(audit.json?["data"] as? [[String: Any]])
            #expect(records.map { $0["action"] as? String } == ["key.revoke", "key.create", "tenant.create"])
            #expect(records.allSatisfy { ($0["actor"] as? String)?.hasPrefix("admin:") == true })
            #expect(!audit.body.contains(Self.adminKey) && !audit.body.contains(key))
            let before = try #require(records[0]["before"] as? [String: Any])
            let after = try #require(records[0]["after"] as? [String: Any])
            #expect(before["revoked_at"] is NSNull && after["revoked_at"] is String)
        }
    }

    @Test func aKeyRevokedByAnotherReplicaIsRefusedWithinASecond() async throws {
        try await Self.run(clock: SystemWallClock()) { harness, store in
            let created = try await harness.request(
                "/admin/v1/keys",
                body: #"{"tenant":"acme"}"#,
                key: Self.adminKey
            )
            let key = try #require(created.json?["key"] as? String)
            let id = try #require(created.json?["id"] as? String)
            #expect(try await harness.request(body: Self.body(key: key), key: key).status == 200)
            // Another replica revokes it: this gateway only learns through the store.
            let otherReplica = TenantAdministration(store: store, config: Harness.config(simulatorURLs: []))
            _ = try await otherReplica.revokeKey(id, actor: "cli:test")
            let revokedAt = ContinuousClock.now
            var status = 200
            while status == 200 && ContinuousClock.now - revokedAt < .seconds(3) {
                status = try await harness.request("/v1/models", method: .GET, key: key).status
            }
            #expect(status == 401)
            #expect(ContinuousClock.now - revokedAt < .seconds(1))
        }
    }

    @Test func requestsOverTheRateLimitGet429WithRateLimitHeaders() async throws {
        try await Self.run { harness, _ in
            _ = try await harness.request("/admin/v1/tenants", body: #"{"id":"small","rpm":2}"#, key: Self.adminKey)
            let created = try await harness.request("/admin/v1/keys", body: #"{"tenant":"small"}"#, key: Self.adminKey)
            let key = try #require(created.json?["key"] as? String)
            let first = try await harness.request(body: Self.body(key: key), key: key)
            let second = try await harness.request(body: Self.body(key: key), key: key)
            #expect(first.status == 200 && second.status == 200)
            #expect(first.headers.first(name: "x-ratelimit-remaining-requests") == "1")
            #expect(second.headers.first(name: "x-ratelimit-remaining-requests") == "0")
            let third = try await harness.request(body: Self.body(key: key), key: key)
            #expect(third.status == 429)
            #expect(third.errorCode == "rate_limit_exceeded")
            #expect(third.headers.first(name: "retry-after") == "50")
            #expect(third.headers.first(name: "x-ratelimit-limit-requests") == "2")
            #expect(third.headers.first(name: "x-ratelimit-remaining-requests") == "0")
            #expect(third.headers.first(name: "x-ratelimit-reset-requests") == "50s")
            // The refused request is in the ledger too, and no upstream was asked.
            let entries = await harness.ledger.entries(count: 3)
            #expect(entries.map(\.status) == [200, 200, 429])
            #expect(harness.simulators[0].stats.requests == 2)
        }
    }

    @Test func aSpentBudgetRefusesWithTheResetInstantAndIsNeverOverspent() async throws {
        try await Self.run { harness, _ in
            let budget = USDNanos(1_000_000)  // USD 0.001: a handful of requests
            _ = try await harness.request(
                "/admin/v1/tenants",
                body: #"{"id":"thrifty","budget":{"usd":"0.001","per":"day"}}"#,
                key: Self.adminKey
            )
            let created = try await harness.request(
                "/admin/v1/keys",
                body: #"{"tenant":"thrifty"}"#,
                key: Self.adminKey
            )
            let key = try #require(created.json?["key"] as? String)
            var answers: [Harness.Answer] = []
            for _ in 0..<20 {
                let answer = try await harness.request(body: Self.body(key: key), key: key)
                answers.append(answer)
                if answer.status != 200 { break }
            }
            let refused = try #require(answers.last)
            #expect(refused.status == 429 && refused.errorCode == "budget_exceeded")
            let message = try #require((refused.json?["error"] as? [String: Any])?["message"] as? String)
            #expect(message.contains("2026-12-01T00:00:00Z"))
            #expect(refused.headers.first(name: "x-switchyard-budget-reset") == "2026-12-01T00:00:00Z")
            let entries = await harness.ledger.entries(count: answers.count)
            let spent = entries.reduce(USDNanos.zero) { $0 + $1.charge }
            #expect(answers.count > 2)
            #expect(spent <= budget)
            let metrics = try await harness.request("/metrics", method: .GET, key: Self.adminKey)
            #expect(metrics.body.contains(#"switchyard_limit_refusals_total{meter="usd"} 1"#))
            #expect(metrics.body.contains("switchyard_budget_alerts_total 1"))
        }
    }

    @Test func anExpiredKeyIsRefused() async throws {
        let clock = ManualClock(Self.start)
        try await Self.run(clock: clock) { harness, _ in
            let created = try await harness.request(
                "/admin/v1/keys",
                body: #"{"tenant":"acme","expires_in":"1h"}"#,
                key: Self.adminKey
            )
            #expect(created.json?["expires_at"] as? String == "2026-11-30T01:00:10Z")
            let key = try #require(created.json?["key"] as? String)
            #expect(try await harness.request("/v1/models", method: .GET, key: key).status == 200)
            clock.advance(by: 3600)
            #expect(try await harness.request("/v1/models", method: .GET, key: key).status == 401)
        }
    }

    @Test func badAdminInputIsRefusedAndChangesNothing() async throws {
        try await Self.run { harness, _ in
            let bad = try await harness.request(
                "/admin/v1/tenants",
                body: #"{"id":"globex","rpm":"fast"}"#,
                key: Self.adminKey
            )
            #expect(bad.status == 400 && bad.errorCode == "invalid_request")
            #expect((bad.json?["error"] as? [String: Any])?["param"] as? String == "rpm")
            let notJSON = try await harness.request("/admin/v1/tenants", body: "{", key: Self.adminKey)
            #expect(notJSON.status == 400)
            let unknownTenant = try await harness.request(
                "/admin/v1/keys",
                body: #"{"tenant":"nobody"}"#,
                key: Self.adminKey
            )
            #expect(unknownTenant.status == 404)
            let configured = try await harness.request(
                "/admin/v1/tenants/acme",
                method: .PATCH,
                body: #"{"rpm":5}"#,
                key: Self.adminKey
            )
            #expect(configured.status == 409)
            let tenants = try await harness.request("/admin/v1/tenants", method: .GET, key: Self.adminKey)
            #expect(!tenants.body.contains("globex"))
            let audit = try await harness.request("/admin/v1/audit", method: .GET, key: Self.adminKey)
            #expect((audit.json?["data"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func aKeyLimitedToOtherModelsCannotUseThisOne() async throws {
        try await Self.run { harness, _ in
            let created = try await harness.request(
                "/admin/v1/keys",
                body: #"{"tenant":"acme","models":["gpt-4o"]}"#,
                key: Self.adminKey
            )
            let key = try #require(created.json?["key"] as? String)
            let answer = try await harness.request(body: Self.body(key: key), key: key)
            #expect(answer.status == 403 && answer.errorCode == "model_not_available")
            let models = try await harness.request("/v1/models", method: .GET, key: key)
            #expect(models.status == 200 && !models.body.contains("gpt-5"))
        }
    }

    @Test func aPatchedLimitAppliesAtOnceAndADeletedTenantsKeysAreRefused() async throws {
        try await Self.run { harness, _ in
            _ = try await harness.request("/admin/v1/tenants", body: #"{"id":"initech","rpm":1}"#, key: Self.adminKey)
            let created = try await harness.request(
                "/admin/v1/keys",
                body: #"{"tenant":"initech"}"#,
                key: Self.adminKey
            )
            let key = try #require(created.json?["key"] as? String)
            #expect(try await harness.request(body: Self.body(key: key), key: key).status == 200)
            #expect(try await harness.request(body: Self.body(key: key), key: key).status == 429)
            let patched = try await harness.request(
                "/admin/v1/tenants/initech",
                method: .PATCH,
                body: #"{"rpm":5,"metadata":{"owner":"ops"}}"#,
                key: Self.adminKey
            )
            #expect(patched.status == 200 && patched.json?["rpm"] as? Int == 5)
            // The admin explainer knows stored tenants and their rules.
            let explained = try await harness.request(
                "/admin/v1/explain?model=gpt-5&tenant=initech",
                method: .GET,
                key: Self.adminKey
            )
            #expect(explained.status == 200 && explained.json?["tenant"] as? String == "initech")
            #expect(try await harness.request(body: Self.body(key: key), key: key).status == 200)
            let read = try await harness.request("/admin/v1/tenants/initech", method: .GET, key: Self.adminKey)
            #expect((read.json?["metadata"] as? [String: String]) == ["owner": "ops"])

            let deleted = try await harness.request("/admin/v1/tenants/initech", method: .DELETE, key: Self.adminKey)
            #expect(deleted.status == 200)
            #expect(try await harness.request(body: Self.body(key: key), key: key).status == 401)
            let gone = try await harness.request("/admin/v1/tenants/initech", method: .GET, key: Self.adminKey)
            #expect(gone.status == 404)
            let keys = try await harness.request("/admin/v1/keys?tenant=initech", method: .GET, key: Self.adminKey)
            #expect((keys.json?["data"] as? [[String: Any]])?.first?["revoked_at"] is String)
            let audit = try await harness.request("/admin/v1/audit?limit=2", method: .GET, key: Self.adminKey)
            let actions = (audit.json?["data"] as? [[String: Any]])?.map { $0["action"] as? String }
            #expect(actions == ["tenant.delete", "tenant.update"])
        }
    }

    @Test func aStreamIsSettledWithTheExactChargeTheLedgerRecords() async throws {
        try await Self.run { harness, _ in
            _ = try await harness.request(
                "/admin/v1/tenants",
                body: #"{"id":"streamer","budget":{"usd":"1","per":"month"},"tpm":100000}"#,
                key: Self.adminKey
            )
            let created = try await harness.request(
                "/admin/v1/keys",
                body: #"{"tenant":"streamer"}"#,
                key: Self.adminKey
            )
            let key = try #require(created.json?["key"] as? String)
            let body = #"{"model":"gpt-5","max_tokens":32,"stream":true,"messages":[{"role":"user","content":"Hi"}]}"#
            let first = try await harness.request(body: body, key: key)
            #expect(first.status == 200 && ssePayloads(first.body).last == "[DONE]")
            let entry = try #require(await harness.ledger.entries(count: 1).first)
            #expect(entry.charge > .zero)
            let second = try await harness.request(body: body, key: key)
            // Remaining = budget − spent − reserved in flight: the two answers differ by exactly
            // the first request's charge, as the ledger has it.
            let remaining = [first, second].compactMap {
                $0.headers.first(name: "x-switchyard-budget-remaining-usd").flatMap { TokenPrice(usdPerMillion: $0) }
            }
            #expect(remaining.count == 2)
            #expect(remaining[0].nanosPerMillion - remaining[1].nanosPerMillion == entry.charge.value)
            let tokens = [first, second].compactMap {
                $0.headers.first(name: "x-ratelimit-remaining-tokens").flatMap(Int64.init)
            }
            #expect(tokens.count == 2)
            #expect(tokens[0] - tokens[1] == Int64(entry.usage.promptTokens + entry.usage.completionTokens))
        }
    }
}
