import ArgumentParser
import Foundation
import Logging
import SwitchyardCore

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Reports from the ledger.",
        subcommands: [UsageReportCommand.self, RevenueShareReportCommand.self]
    )
}

struct RevenueShareReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revenue-share",
        abstract: "Revenue share accrued per beneficiary and agreement, from the ledger's exact amounts."
    )

    @Option(name: .long, help: "The configuration file (its store is read).") var config: String
    @Option(name: .long, help: "Only this beneficiary.") var beneficiary: String?
    @Option(name: .long, help: "From this instant (UTC, inclusive).") var from: String
    @Option(name: .long, help: "Until this instant (UTC, exclusive).") var until: String
    @Option(name: .long, help: "table, csv or json.") var format: OutputFormat = .table

    func run() async throws {
        let config = try loadConfig(self.config)
        guard let from = try parseInstant(self.from, option: "from"),
            let until = try parseInstant(self.until, option: "until")
        else {
            throw ValidationError("--from and --until are required")
        }
        let beneficiary = self.beneficiary
        let totals = try await GatewayRunner.withStore(config, logger: GatewayRunner.makeLogger(level: .error)) {
            store in
            try await store.revenueShareTotals(beneficiary: beneficiary, from: from, until: until)
        }
        let report = RevenueShareReport(beneficiary: self.beneficiary, from: from, until: until, totals: totals)
        if self.format == .json { return try printJSON(report) }
        var rows = [["BENEFICIARY", "AGREEMENT", "ENTRIES", "AMOUNT_USD", "AMOUNT_NANOS"]]
        for row in report.rows {
            rows.append([row.beneficiary, row.agreementID, String(row.entries), row.amountUSD, String(row.amountNanos)])
        }
        if self.format == .table {
            rows.append([
                "TOTAL", "", String(report.rows.reduce(0) { $0 + $1.entries }), report.totalUSD,
                String(report.totalNanos),
            ])
            print("revenue share \(InstantText.format(from)) – \(InstantText.format(until))\n")
        }
        print(TableText.render(rows, format: self.format))
    }
}

struct UsageReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Requests, tokens, cost and charge from the ledger, grouped by one dimension."
    )

    @Option(name: .long, help: "The configuration file (its store is read).") var config: String
    @Option(name: .long, help: "tenant, key, model, provider, cloud, day or month.") var by: UsageDimension = .tenant
    @Option(name: .long, help: "From this instant (UTC, inclusive).") var from: String
    @Option(name: .long, help: "Until this instant (UTC, exclusive).") var until: String
    @Option(name: .long, help: "table, csv or json.") var format: OutputFormat = .table

    func run() async throws {
        let config = try loadConfig(self.config)
        guard let from = try parseInstant(self.from, option: "from"),
            let until = try parseInstant(self.until, option: "until")
        else { throw ValidationError("--from and --until are required") }
        let dimension = self.by
        let rows = try await GatewayRunner.withStore(config, logger: GatewayRunner.makeLogger(level: .error)) { store in
            try await store.usage(by: dimension, from: from, until: until)
        }
        let report = UsageReport(by: dimension.rawValue, from: from, until: until, rows: rows)
        if self.format == .json { return try printJSON(report) }
        var table = [
            [
                dimension.rawValue.uppercased(), "REQUESTS", "ERRORS", "PROMPT_TOKENS", "COMPLETION_TOKENS", "COST_USD",
                "CHARGE_USD",
            ]
        ]
        for row in rows {
            table.append([
                row.group, String(row.requests), String(row.errors), String(row.promptTokens),
                String(row.completionTokens),
                row.cost.description, row.charge.description,
            ])
        }
        if self.format == .table {
            let total = report.total
            table.append([
                "TOTAL", String(total.requests), String(total.errors), String(total.promptTokens),
                String(total.completionTokens),
                total.cost.description, total.charge.description,
            ])
            print("usage by \(dimension.rawValue) \(InstantText.format(from)) – \(InstantText.format(until))\n")
        }
        print(TableText.render(table, format: self.format))
    }
}

extension UsageDimension: ExpressibleByArgument {}
