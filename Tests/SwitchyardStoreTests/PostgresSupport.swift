import Foundation
import Logging
import PostgresNIO
import SwitchyardCore
import SwitchyardStore
import Testing

/// The PostgreSQL server of the tests: `SWITCHYARD_POSTGRES_URL` (scripts/test.sh and .ci/run
/// start one and set it). A missing server is a failure, never a skip.
enum TestPostgres {
    static func serverURL() throws -> URLComponents {
        guard let text = ProcessInfo.processInfo.environment["SWITCHYARD_POSTGRES_URL"],
            let url = URLComponents(string: text)
        else {
            Issue.record(
                "SWITCHYARD_POSTGRES_URL is not set: run the tests with scripts/test.sh, which starts PostgreSQL"
            )
            throw StoreError(message: "no PostgreSQL server")
        }
        return url
    }

    /// Runs `body` against a fresh database (created and dropped around it) with migrated stores.
    static func withDatabase(
        stores count: Int = 1,
        _ body: ([PostgresLedgerStore], Secret) async throws -> Void
    ) async throws {
        var url = try Self.serverURL()
        let name = "switchyard_test_\(UUID().uuidString.prefix(8).lowercased())"
        try await Self.admin(url) { client in
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        }
        url.path = "/" + name
        let secret = Secret(url.string ?? "")
        let stores = try (0..<count).map { _ in try PostgresLedgerStore(url: secret, logger: Logger(label: "test")) }
        try await withThrowingTaskGroup(of: Void.self) { group async throws in
            for store in stores { group.addTask { try await store.run() } }
            do {
                for store in stores { try await store.migrate() }
                try await body(stores, secret)
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
        }
        try await Self.admin(try Self.serverURL()) { client in
            try await client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
        }
    }

    private static func admin(
        _ url: URLComponents,
        _ body: @escaping @Sendable (PostgresClient) async throws -> Void
    ) async throws {
        let configuration = PostgresClient.Configuration(
            host: url.host ?? "127.0.0.1",
            port: url.port ?? 5432,
            username: url.user ?? "postgres",
            password: url.password,
            database: String(url.path.dropFirst()).isEmpty ? "postgres" : String(url.path.dropFirst()),
            tls: .disable
        )
        let client = PostgresClient(configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group async throws in
            group.addTask { await client.run() }
            do { try await body(client) } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
        }
    }
}
