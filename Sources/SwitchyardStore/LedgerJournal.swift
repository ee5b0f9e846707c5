import Foundation
import SwitchyardCore
import Synchronization

/// Accepted entries on local disk from the moment they are recorded until the store commits
/// them, so that a gateway killed with SIGKILL (or crashing) loses none of them: the next start
/// moves what it finds here into the spool, whose replay is idempotent by request id.
///
/// Files `BASE.N` of one JSON entry per line. Appends are plain `write`s, not `fsync`ed: the
/// journal guards against the process dying, not the machine (a process's written data survives
/// its death in the page cache). A file is closed after a second or 5,000 entries, and deleted
/// once every entry in it is committed, so the journal holds about a second of traffic.
final class LedgerJournal: Sendable {
    private struct Segment {
        var number: Int
        var handle: FileHandle
        var lastSequence: Int
        var entries: Int
        var opened: ContinuousClock.Instant
    }

    private struct State {
        var current: Segment?
        var closed: [(number: Int, lastSequence: Int)] = []
        var nextNumber: Int
    }

    let base: String
    private let state: Mutex<State>

    init(base: String) {
        self.base = base
        let next = (Self.segmentNumbers(base: base).max() ?? 0) + 1
        self.state = Mutex(State(nextNumber: next))
    }

    /// Entries a process that died left behind, and the files they came from.
    func leftovers() -> (entries: [LedgerEntry], files: [String]) {
        let decoder = JSONDecoder()
        var entries: [LedgerEntry] = []
        var files: [String] = []
        for number in Self.segmentNumbers(base: self.base).sorted() {
            let path = "\(self.base).\(number)"
            files.append(path)
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            // A torn last line (death mid-write) is skipped: that entry is also in the store or lost
            // within the window the documentation states.
            entries += data.split(separator: 0x0A).compactMap { try? decoder.decode(LedgerEntry.self, from: Data($0)) }
        }
        return (entries, files)
    }

    /// Deletes files whose entries are safe elsewhere (the spool, after ``leftovers()``).
    func remove(_ files: [String]) {
        for file in files { try? FileManager.default.removeItem(atPath: file) }
    }

    /// Writes `entries`, the last of which carries sequence number `lastSequence`.
    func append(_ entries: [LedgerEntry], lastSequence: Int) throws {
        let data = LedgerEntry.lines(entries)
        try self.state.withLock { state in
            if let current = state.current,
                current.entries >= 5_000 || ContinuousClock.now - current.opened >= .seconds(1)
            {
                try? current.handle.close()
                state.closed.append((current.number, current.lastSequence))
                state.current = nil
            }
            if state.current == nil {
                let path = "\(self.base).\(state.nextNumber)"
                guard FileManager.default.createFile(atPath: path, contents: nil),
                    let handle = FileHandle(forWritingAtPath: path)
                else { throw StoreError(message: "cannot create the ledger journal \(path)") }
                state.current = Segment(
                    number: state.nextNumber,
                    handle: handle,
                    lastSequence: 0,
                    entries: 0,
                    opened: .now
                )
                state.nextNumber += 1
            }
            try state.current?.handle.write(contentsOf: data)
            state.current?.lastSequence = lastSequence
            state.current?.entries += entries.count
        }
    }

    /// Deletes the closed files whose entries are all committed (sequence numbers up to `sequence`).
    func release(through sequence: Int) {
        let done = self.state.withLock { state -> [Int] in
            let done = state.closed.filter { $0.lastSequence <= sequence }.map(\.number)
            state.closed.removeAll { $0.lastSequence <= sequence }
            return done
        }
        for number in done { try? FileManager.default.removeItem(atPath: "\(self.base).\(number)") }
    }

    /// Closes and deletes every file (a clean shutdown, after everything was committed).
    func removeAll() {
        let numbers = self.state.withLock { state -> [Int] in
            if let current = state.current {
                try? current.handle.close()
                state.closed.append((current.number, current.lastSequence))
                state.current = nil
            }
            defer { state.closed = [] }
            return state.closed.map(\.number)
        }
        for number in numbers { try? FileManager.default.removeItem(atPath: "\(self.base).\(number)") }
    }

    private static func segmentNumbers(base: String) -> [Int] {
        let url = URL(fileURLWithPath: base)
        let directory = url.deletingLastPathComponent().path
        let prefix = url.lastPathComponent + "."
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name in name.hasPrefix(prefix) ? Int(name.dropFirst(prefix.count)) : nil }
    }
}
