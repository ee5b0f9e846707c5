import ArgumentParser
import Foundation
import SwitchyardCore

struct ExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show every deployment of a model with the reason it is eligible or not."
    )

    @Option(name: .long, help: "The configuration file.") var config: String
    @Option(name: .long, help: "The model.") var model: String
    @Option(name: .long, help: "Explain for this tenant (its clouds and regions apply).") var tenant: String?
    @Option(name: .long, help: "The instant (UTC), default now.") var at: String?
    @Option(name: .long, help: "table, csv or json.") var format: OutputFormat = .table

    func run() async throws {
        let config = try loadConfig(self.config)
        let instant = try parseInstant(self.at, option: "at") ?? Date()
        let explanation: Explanation
        do {
            explanation = try RoutePlanner(config: config).explain(model: self.model, tenant: self.tenant, at: instant)
        } catch {
            throw ValidationError(error.message)
        }
        if self.format == .json { return try printJSON(explanation) }
        var rows = [["#", "PROVIDER", "CLOUD", "REGION", "TARGET", "ELIGIBLE", "WHY NOT"]]
        for (index, deployment) in explanation.deployments.enumerated() {
            let reasons = deployment.reasons.isEmpty ? ["-"] : deployment.reasons
            for (line, reason) in reasons.enumerated() {
                rows.append(
                    line == 0
                        ? [
                            String(index + 1), deployment.provider, deployment.cloud, deployment.region ?? "-",
                            deployment.target, deployment.eligible ? "yes" : "no", reason,
                        ]
                        : ["", "", "", "", "", "", reason]
                )
            }
        }
        if self.format == .table {
            print("\(self.model) for tenant \(self.tenant ?? "(any)") at \(InstantText.format(instant))\n")
        }
        print(TableText.render(rows, format: self.format))
        if self.format == .table {
            for share in explanation.revenueShares { print("\nrevenue share: \(share)") }
            if let refusal = explanation.refusal { print("\nrefused: \(refusal)") }
        }
    }
}

struct TimelineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timeline",
        abstract: "List every instant at which routing eligibility or revenue accrual changes."
    )

    @Option(name: .long, help: "The configuration file.") var config: String
    @Option(name: .long, help: "From this instant (UTC), default now.") var from: String?
    @Option(name: .long, help: "Until this instant (UTC, exclusive), default forever.") var until: String?
    @Option(name: .long, help: "table, csv or json.") var format: OutputFormat = .table

    func run() async throws {
        let config = try loadConfig(self.config)
        let from = try parseInstant(self.from, option: "from") ?? Date()
        let until = try parseInstant(self.until, option: "until")
        let events = RoutePlanner(config: config).contracts.timeline(models: config.models, from: from, until: until)
        if self.format == .json { return try printJSON(TimelineReport(from: from, until: until, events: events)) }
        var rows = [["AT", "AGREEMENT", "TERM", "KIND", "MODELS", "CHANGE"]]
        for event in events {
            rows.append([
                InstantText.format(event.at), event.agreement, String(event.term), event.kind,
                event.models.joined(separator: " "), event.change,
            ])
        }
        print(TableText.render(rows, format: self.format))
    }
}
