import Foundation
import SwitchyardCore

/// Per-day sums kept beside the ledger (`ledger_daily`), so that usage reports over whole UTC
/// days read a few thousand rollup rows instead of millions of entries. Updated in the same
/// transaction as the entries it sums, and only for entries actually inserted, so replays do
/// not count twice.
struct DailyRollup {
    struct Key: Hashable, Comparable {
        var day: String
        var tenant: String
        var keyID: String
        var model: String
        var provider: String
        var cloud: String

        static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.day, lhs.tenant, lhs.keyID, lhs.model, lhs.provider, lhs.cloud)
                < (rhs.day, rhs.tenant, rhs.keyID, rhs.model, rhs.provider, rhs.cloud)
        }
    }

    struct Sums {
        var requests: Int64 = 0
        var errors: Int64 = 0
        var promptTokens: Int64 = 0
        var completionTokens: Int64 = 0
        var cost: Int64 = 0
        var charge: Int64 = 0
    }

    /// Rows in key order (a fixed order keeps concurrent upserts from deadlocking).
    private(set) var rows: [String: (Key, Sums)] = [:]

    mutating func add(_ entry: LedgerEntry) {
        let key = Key(
            day: Self.day(SQLiteLedgerStore.millis(entry.time)),
            tenant: entry.tenant,
            keyID: entry.keyID,
            model: entry.model,
            provider: entry.provider ?? "-",
            cloud: entry.cloud ?? "-"
        )
        let id = [key.day, key.tenant, key.keyID, key.model, key.provider, key.cloud].joined(separator: "\u{0}")
        var sums = self.rows[id]?.1 ?? Sums()
        sums.requests += 1
        if entry.status >= 400 || entry.errorCode != nil { sums.errors += 1 }
        sums.promptTokens += Int64(entry.usage.promptTokens)
        sums.completionTokens += Int64(entry.usage.completionTokens)
        sums.cost += entry.cost.value
        sums.charge += entry.charge.value
        self.rows[id] = (key, sums)
    }

    var sorted: [(Key, Sums)] { self.rows.values.sorted { $0.0 < $1.0 } }

    /// `YYYY-MM-DD` (UTC) of an instant in milliseconds, as the SQL of both engines computes it.
    static func day(_ millis: Int64) -> String {
        let seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
        return String(InstantText.format(Date(timeIntervalSince1970: Double(seconds))).prefix(10))
    }

    /// Whether a report period can be answered from the rollup: both ends at UTC midnight.
    static func coversWholeDays(from: Date, until: Date) -> Bool {
        SQLiteLedgerStore.millis(from) % 86_400_000 == 0 && SQLiteLedgerStore.millis(until) % 86_400_000 == 0
    }
}

extension ReportSQL {
    /// The expression a usage report groups by when it reads `ledger_daily`.
    static func rollupGroupExpression(_ dimension: UsageDimension) -> String {
        switch dimension {
        case .tenant: "tenant"
        case .key: "key_id"
        case .model: "model"
        case .provider: "provider"
        case .cloud: "cloud"
        case .day: "day"
        case .month: "substr(day, 1, 7)"
        }
    }
}
