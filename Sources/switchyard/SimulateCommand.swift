import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SwitchyardSimulator
import UnixSignals

struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run one simulated cloud (every provider dialect, scriptable faults) for tests and benchmarks."
    )

    @Option(name: .long, help: "Port (0 picks a free one).") var port: Int = 0
    @Option(name: .long, help: "Completion tokens per answer.") var tokens: Int = 16
    @Option(name: .long, help: "Milliseconds between stream chunks.") var chunkInterval: Int = 0
    @Option(name: .long, help: "Require this API key from callers.") var apiKey: String?

    func run() async throws {
        ProcessRuntime.configure(threads: nil, eventLoopExecutor: true)
        var logger = Logger(label: "switchyard.simulator")
        logger.logLevel = .warning
        let app = Simulator.application(
            options: SimulatorOptions(
                completionTokens: self.tokens,
                chunkInterval: .milliseconds(self.chunkInterval),
                requiredAPIKey: self.apiKey
            ),
            port: self.port,
            logger: logger,
            onServerRunning: { port in
                print("switchyard simulate: listening on http://127.0.0.1:\(port)")
                fflush(nil)
            }
        )
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }
}
