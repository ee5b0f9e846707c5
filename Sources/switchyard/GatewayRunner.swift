import ArgumentParser
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import SwitchyardCore
import SwitchyardProviders
import SwitchyardServer
import SwitchyardStore
import UnixSignals

/// Owns the upstream HTTP clients; stops them after the server (ServiceGroup stops in reverse order).
struct HTTPClientService: Service {
    let clients: UpstreamClients

    func run() async throws {
        try? await gracefulShutdown()
        try await self.clients.shutdown()
    }
}

/// How log records are written to standard output.
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

/// Wires a validated configuration into running services: store, ledger writer, upstream
/// client and the HTTP server.
enum GatewayRunner {
    static func makeLogger(level: Logger.Level, format: LogFormat = .text) -> Logger {
        if format == .json { LoggingSystem.bootstrap { JSONLogHandler(label: $0) } }
        var logger = Logger(label: "switchyard")
        logger.logLevel = level
        return logger
    }

    /// The store of `config`, and the service it needs running (PostgreSQL's connection pool).
    static func openStore(_ config: GatewayConfig, logger: Logger) throws -> (any LedgerStore, PostgresLedgerStore?) {
        switch config.store {
        case .sqlite(let path): return (try SQLiteLedgerStore(path: path), nil)
        case .memory: return (MemoryLedgerStore(), nil)
        case .postgres(let url):
            let store = try PostgresLedgerStore(url: url, logger: logger)
            return (store, store)
        }
    }

    /// Where ledger entries wait while the store is down.
    static func spoolPath(_ config: GatewayConfig) -> String? {
        if let path = config.spoolPath { return path }
        switch config.store {
        case .sqlite(let path): return path + ".spool"
        case .postgres: return "switchyard-ledger.spool"
        case .memory: return nil
        }
    }

    /// Runs `body` with the store open (and migrated); for PostgreSQL the pool runs meanwhile.
    static func withStore<T: Sendable>(
        _ config: GatewayConfig,
        logger: Logger,
        _ body: @Sendable (any LedgerStore) async throws -> T
    ) async throws -> T {
        let (store, postgres) = try Self.openStore(config, logger: logger)
        guard let postgres else { return try await body(store) }
        return try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
            group.addTask { try await postgres.run() }
            do {
                try await postgres.migrate()
                let result = try await body(store)
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    /// Runs the gateway until SIGTERM/SIGINT, then drains: in-flight requests finish, the
    /// ledger is flushed, the upstream client closes.
    static func run(
        config: GatewayConfig,
        listen: ListenAddress? = nil,
        logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let (store, postgres) = try Self.openStore(config, logger: logger)
        let ledger = LedgerWriter(store: store, logger: logger, spoolPath: Self.spoolPath(config))
        let clients = UpstreamClients(config: config, logger: logger)
        let gateway = Gateway(config: config, clients: clients, ledger: ledger, store: store, logger: logger)
        var migrate: (@Sendable () async throws -> Void)?
        if let postgres { migrate = { try await postgres.migrate() } }
        let app = buildApplication(
            gateway: gateway,
            listen: listen,
            logger: logger,
            beforeServerStarts: migrate,
            onServerRunning: onServerRunning
        )
        // Started in this order, stopped in reverse: the server drains first, then the upstream
        // client closes, then the ledger writer commits what is left, then the database pool closes.
        var services: [any Service] = [ledger, HTTPClientService(clients: clients)]
        if let tracer = gateway.tracer { services.append(tracer) }  // stops before the client it posts with
        services.append(app)
        if let postgres { services.insert(postgres, at: 0) }
        var groupConfiguration = ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(30)
        try await ServiceGroup(configuration: groupConfiguration).run()
    }
}
