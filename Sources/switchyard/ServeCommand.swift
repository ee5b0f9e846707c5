import ArgumentParser
import Foundation
import Logging
import SwitchyardCore

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the gateway.")

    @Option(name: .long, help: "The configuration file.")
    var config: String

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(name: .long, help: "Log format: text, or json (one JSON object per line).")
    var logFormat: LogFormat = .text

    @Option(name: .long, help: "Event-loop threads (default: the CPUs this process may run on).")
    var threads: Int?

    @Flag(name: .long, inversion: .prefixedNo, help: "Run Swift Concurrency on the event loops (fewer thread hops).")
    var eventLoopExecutor = true

    func run() async throws {
        ProcessRuntime.configure(threads: self.threads, eventLoopExecutor: self.eventLoopExecutor)
        let config = try loadConfig(self.config)
        let logger = GatewayRunner.makeLogger(
            level: Logger.Level(rawValue: self.logLevel) ?? .info,
            format: self.logFormat
        )
        try await GatewayRunner.run(config: config, logger: logger) { port in
            logger.info(
                "switchyard listening",
                metadata: ["server.address": "\(config.listen.host)", "server.port": "\(port)"]
            )
        }
    }
}

/// Loads and validates a configuration file; on error prints every issue and exits non-zero.
func loadConfig(_ path: String) throws -> GatewayConfig {
    do {
        return try GatewayConfig.load(path: path, environment: ProcessInfo.processInfo.environment)
    } catch let error as ConfigError {
        var stderr = StandardError()
        print("\(path): invalid configuration", to: &stderr)
        for issue in error.issues { print("  \(issue)", to: &stderr) }
        throw ExitCode(2)
    }
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) { FileHandle.standardError.write(Data(string.utf8)) }
}
