import ArgumentParser
import Foundation
import SwitchyardCore

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a configuration and print the resolved routing table."
    )

    @Option(name: .long, help: "The configuration file.")
    var config: String

    func run() async throws {
        let config = try loadConfig(self.config)
        print(Self.routingTable(config))
    }

    static func routingTable(_ config: GatewayConfig) -> String {
        var rows = [["MODEL", "#", "DEPLOYMENT", "PROVIDER", "TYPE", "CLOUD", "REGION"]]
        for model in config.models {
            for (index, deployment) in model.deployments.enumerated() {
                let provider = config.provider(deployment.provider)
                rows.append([
                    index == 0 ? model.name : "", String(index + 1), deployment.target, deployment.provider,
                    provider?.kind.rawValue ?? "?", provider?.cloud ?? "?", provider?.region ?? "-",
                ])
            }
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        let lines = rows.map { row in
            zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingTrailingSpaces()
        }
        return
            "configuration OK: \(config.providers.count) providers, \(config.models.count) models, \(config.tenants.count) tenants, \(config.keys.count) keys\n\n"
            + lines.joined(separator: "\n")
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var copy = self
        while copy.hasSuffix(" ") { copy.removeLast() }
        return copy
    }
}
