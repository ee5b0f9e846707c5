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

    @Flag(name: .long, help: "Exit 1 when the contract terms leave a model without deployment or match nothing.")
    var strict = false

    func run() async throws {
        let config = try loadConfig(self.config)
        print(Self.routingTable(config))
        let warnings = Self.contractWarnings(config)
        if !warnings.isEmpty {
            print("\ncontract warnings:")
            for warning in warnings { print("  \(warning)") }
            if self.strict { throw ExitCode(1) }
        }
    }

    /// Intervals in which a model has no eligible deployment for anyone, and terms that cover nothing.
    static func contractWarnings(_ config: GatewayConfig) -> [String] {
        let contracts = RoutePlanner(config: config).contracts
        var warnings: [String] = []
        for model in config.models {
            for gap in contracts.gaps(model: model.name) {
                let from = gap.from.map(InstantText.format) ?? "the beginning"
                let until = gap.until.map(InstantText.format) ?? "forever"
                let why = gap.restrictions.map(\.reason).joined(separator: "; ")
                warnings.append("\(model.name): no eligible deployment for anyone from \(from) until \(until) (\(why))")
            }
        }
        for term in contracts.unmatchedTerms(models: config.models) {
            warnings.append("\(term) covers no model (\(term.models))")
        }
        return warnings
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
