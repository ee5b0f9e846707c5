import ArgumentParser
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import SwitchyardCore
import SwitchyardServer
import SwitchyardStore
import UnixSignals

/// Owns the upstream HTTP client; stops it after the server (ServiceGroup stops in reverse order).
struct HTTPClientService: Service {
    let client: HTTPClient

    func run() async throws {
        try? await gracefulShutdown()
        try await self.client.shutdown()
    }
}

/// Wires a validated configuration into running services: store, ledger writer, upstream
/// client and the HTTP server.
enum GatewayRunner {
    static func makeLogger(level: Logger.Level) -> Logger {
        var logger = Logger(label: "switchyard")
        logger.logLevel = level
        return logger
    }

    static func openStore(_ location: StoreLocation) throws -> any LedgerStore {
        switch location {
        case .sqlite(let path): return try SQLiteLedgerStore(path: path)
        case .memory: return MemoryLedgerStore()
        case .postgres:
            throw ValidationError("store: PostgreSQL is not supported by this build yet; use sqlite:PATH or memory")
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
        let store = try Self.openStore(config.store)
        let ledger = LedgerWriter(store: store, logger: logger)
        let httpClient = Gateway.makeHTTPClient(for: config, logger: logger)
        let gateway = Gateway(config: config, httpClient: httpClient, ledger: ledger, store: store)
        let app = buildApplication(gateway: gateway, listen: listen, logger: logger, onServerRunning: onServerRunning)
        var groupConfiguration = ServiceGroupConfiguration(
            services: [ledger, HTTPClientService(client: httpClient), app],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(30)
        try await ServiceGroup(configuration: groupConfiguration).run()
    }
}
