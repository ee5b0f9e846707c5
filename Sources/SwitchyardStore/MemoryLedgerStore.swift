import SwitchyardCore
import Synchronization

/// A ledger kept in memory (`store: memory`): for tests and benchmarks, lost on exit.
public final class MemoryLedgerStore: LedgerStore {
    private let entries = Mutex<[String: LedgerEntry]>([:])

    /// Creates an empty store.
    public init() {}

    public func insert(_ entries: [LedgerEntry]) async throws {
        self.entries.withLock { stored in
            for entry in entries where stored[entry.requestID] == nil { stored[entry.requestID] = entry }
        }
    }

    public func ping() async throws {}

    public func count() async throws -> Int { self.entries.withLock { $0.count } }

    /// Every entry, oldest first.
    public func allEntries() -> [LedgerEntry] {
        self.entries.withLock { Array($0.values) }.sorted { ($0.time, $0.requestID) < ($1.time, $1.requestID) }
    }
}
