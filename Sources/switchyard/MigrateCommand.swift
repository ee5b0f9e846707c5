import ArgumentParser
import Logging
import SwitchyardCore

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create or upgrade the ledger schema of the configured store (serve does this on start too)."
    )

    @Option(name: .long, help: "The configuration file.") var config: String

    func run() async throws {
        let config = try loadConfig(self.config)
        let count = try await GatewayRunner.withStore(config, logger: GatewayRunner.makeLogger(level: .error)) {
            store in
            try await store.count()
        }
        print("ledger schema up to date (\(count) entries)")
    }
}
