import Foundation
import SwitchyardCore

/// An append-only file of ledger entries the store could not take, replayed when it answers again.
///
/// One JSON entry per line; every append is flushed to disk (`fsync`) before it returns, so an
/// entry is always in the database or in the spool. Replay inserts idempotently (by request id)
/// and truncates the file only after the store committed, so a crash mid-replay loses nothing and
/// double-counts nothing. Not thread-safe: only the ``LedgerWriter`` uses it, from one task.
final class LedgerSpool: @unchecked Sendable {
    let path: String
    private(set) var depth: Int

    init(path: String) {
        self.path = path
        self.depth = (try? Self.read(path).count) ?? 0
    }

    /// Appends `entries` durably.
    func append(_ entries: [LedgerEntry]) throws {
        let data = LedgerEntry.lines(entries)
        if !FileManager.default.fileExists(atPath: self.path) {
            _ = FileManager.default.createFile(atPath: self.path, contents: nil)
        }
        guard let handle = FileHandle(forWritingAtPath: self.path) else {
            throw StoreError(message: "cannot open the ledger spool \(self.path)")
        }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: data)
        try handle.synchronize()
        self.depth += entries.count
    }

    /// Every spooled entry, oldest first.
    func entries() throws -> [LedgerEntry] { try Self.read(self.path) }

    /// Forgets every spooled entry (after the store committed them).
    func clear() throws {
        try Data().write(to: URL(fileURLWithPath: self.path), options: .atomic)
        self.depth = 0
    }

    private static func read(_ path: String) throws -> [LedgerEntry] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let decoder = JSONDecoder()
        // A torn last line (a crash mid-append) is skipped: its batch was never acknowledged as spooled.
        return data.split(separator: 0x0A).compactMap { try? decoder.decode(LedgerEntry.self, from: Data($0)) }
    }
}
