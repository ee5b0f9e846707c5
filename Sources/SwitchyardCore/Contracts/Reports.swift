import Foundation

/// The timeline as the CLI and the admin API return it.
public struct TimelineReport: Sendable, Encodable {
    public var from: Date
    public var until: Date?
    public var events: [TimelineEvent]

    /// Creates a report.
    public init(from: Date, until: Date?, events: [TimelineEvent]) {
        self.from = from
        self.until = until
        self.events = events
    }
}

/// Revenue share owed, as the CLI and the admin API return it. Totals are sums of stored exact amounts.
public struct RevenueShareReport: Sendable, Encodable {
    public struct Row: Sendable, Encodable {
        public var beneficiary: String
        public var agreementID: String
        public var entries: Int
        public var amountNanos: Int64
        public var amountUSD: String
    }

    public var beneficiary: String?
    public var from: Date
    public var until: Date
    public var rows: [Row]
    public var totalNanos: Int64
    public var totalUSD: String

    /// Builds the report from per-agreement totals.
    public init(beneficiary: String?, from: Date, until: Date, totals: [RevenueShareTotal]) {
        self.beneficiary = beneficiary
        self.from = from
        self.until = until
        self.rows = totals.map {
            Row(
                beneficiary: $0.beneficiary,
                agreementID: $0.agreementID,
                entries: $0.entries,
                amountNanos: $0.amount.value,
                amountUSD: $0.amount.description
            )
        }
        let total = totals.reduce(USDNanos.zero) { $0 + $1.amount }
        self.totalNanos = total.value
        self.totalUSD = total.description
    }
}

/// The one JSON style of every report: snake_case keys, ISO 8601 instants, sorted keys.
public enum ReportJSON {
    /// A configured encoder.
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return encoder
    }
}

/// A usage report as the CLI and the admin API return it; ``total`` is the sum of the rows.
public struct UsageReport: Sendable, Encodable {
    public var by: String
    public var from: Date
    public var until: Date
    public var rows: [UsageTotal]
    public var total: UsageTotal

    /// Builds the report and its total.
    public init(by: String, from: Date, until: Date, rows: [UsageTotal]) {
        self.by = by
        self.from = from
        self.until = until
        self.rows = rows
        self.total = rows.reduce(
            UsageTotal(
                group: "total",
                requests: 0,
                errors: 0,
                promptTokens: 0,
                completionTokens: 0,
                cost: .zero,
                charge: .zero
            )
        ) { total, row in
            UsageTotal(
                group: "total",
                requests: total.requests + row.requests,
                errors: total.errors + row.errors,
                promptTokens: total.promptTokens + row.promptTokens,
                completionTokens: total.completionTokens + row.completionTokens,
                cost: total.cost + row.cost,
                charge: total.charge + row.charge
            )
        }
    }
}
