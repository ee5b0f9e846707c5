import Foundation
import SwitchyardCore
import Synchronization

/// A ledger kept in memory (`store: memory`): for tests and benchmarks, lost on exit.
public final class MemoryLedgerStore: LedgerStore {
    private let entries = Mutex<[String: LedgerEntry]>([:])
    let control = MemoryControlState()

    /// Creates an empty store.
    public init() {}

    public func insert(_ entries: [LedgerEntry]) async throws {
        self.entries.withLock { stored in
            for entry in entries where stored[entry.requestID] == nil { stored[entry.requestID] = entry }
        }
    }

    public func ping() async throws {}

    public func usage(by dimension: UsageDimension, from: Date, until: Date) async throws -> [UsageTotal] {
        var totals: [String: UsageTotal] = [:]
        for entry in self.allEntries() where entry.time >= from && entry.time < until {
            let day = String(InstantText.format(entry.time).prefix(10))
            let group: String =
                switch dimension {
                case .tenant: entry.tenant
                case .key: entry.keyID
                case .model: entry.model
                case .provider: entry.provider ?? "-"
                case .cloud: entry.cloud ?? "-"
                case .day: day
                case .month: String(day.prefix(7))
                }
            var total =
                totals[group]
                ?? UsageTotal(
                    group: group,
                    requests: 0,
                    errors: 0,
                    promptTokens: 0,
                    completionTokens: 0,
                    cost: .zero,
                    charge: .zero
                )
            total.requests += 1
            if entry.status >= 400 || entry.errorCode != nil { total.errors += 1 }
            total.promptTokens += Int64(entry.usage.promptTokens)
            total.completionTokens += Int64(entry.usage.completionTokens)
            total.cost = total.cost + entry.cost
            total.charge = total.charge + entry.charge
            totals[group] = total
        }
        return totals.values.sorted { $0.group < $1.group }
    }

    public func revenueShareTotals(beneficiary: String?, from: Date, until: Date) async throws -> [RevenueShareTotal] {
        var totals: [String: RevenueShareTotal] = [:]
        for entry in self.allEntries() where entry.time >= from && entry.time < until {
            for share in entry.revenueShares where beneficiary == nil || share.beneficiary == beneficiary {
                let key = share.beneficiary + "\u{0}" + share.agreementID
                var total =
                    totals[key]
                    ?? RevenueShareTotal(
                        beneficiary: share.beneficiary,
                        agreementID: share.agreementID,
                        entries: 0,
                        amount: .zero
                    )
                total.entries += 1
                total.amount = total.amount + share.amount
                totals[key] = total
            }
        }
        return totals.values.sorted { ($0.beneficiary, $0.agreementID) < ($1.beneficiary, $1.agreementID) }
    }

    public func count() async throws -> Int { self.entries.withLock { $0.count } }

    /// Every entry, oldest first.
    public func allEntries() -> [LedgerEntry] {
        self.entries.withLock { Array($0.values) }.sorted { ($0.time, $0.requestID) < ($1.time, $1.requestID) }
    }
}
