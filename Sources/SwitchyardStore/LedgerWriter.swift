import Logging
import ServiceLifecycle
import SwitchyardCore
import Synchronization

/// Group-commits ledger entries off the request path.
///
/// ``record(_:)`` appends to an in-memory queue and returns at once. ``run()`` (a `Service`)
/// writes whatever has queued in one transaction, so while one commit runs the next batch
/// gathers: batches grow with load and latency stays one commit. On graceful shutdown it
/// drains the queue before returning. List it *before* the HTTP server in the `ServiceGroup`,
/// so that it stops after the server has finished its in-flight requests.
public final class LedgerWriter: LedgerSink, Service {
    private struct State {
        var queue: [LedgerEntry] = []
        var unjournaled: [LedgerEntry] = []
        var recorded = 0
        var written = 0
        var waiters: [(target: Int, continuation: CheckedContinuation<Void, Never>)] = []
        var spoolDepth = 0
    }

    /// The most entries one commit carries: a backlog (a slow or returning database) goes in as
    /// a series of commits that each finish well inside the store's timeout.
    static let maximumBatch = 5_000

    private let store: any LedgerStore
    private let logger: Logger
    private let state = Mutex(State())
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    private let spool: LedgerSpool?
    private let journal: LedgerJournal?
    private let journalWakeups: AsyncStream<Void>
    private let journalWake: AsyncStream<Void>.Continuation

    /// Creates a writer in front of `store`.
    /// - Parameters:
    ///   - spoolPath: where to keep entries while the store is unreachable, with the journal of
    ///     uncommitted entries next to it (`SPOOL.journal.N`). Without one, a failing batch is
    ///     retried in memory, and entries not yet committed die with the process.
    public init(store: any LedgerStore, logger: Logger, spoolPath: String? = nil) {
        self.store = store
        self.logger = logger
        self.spool = spoolPath.map(LedgerSpool.init(path:))
        self.journal = spoolPath.map { LedgerJournal(base: $0 + ".journal") }
        (self.wakeups, self.wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        (self.journalWakeups, self.journalWake) = AsyncStream.makeStream(
            of: Void.self,
            bufferingPolicy: .bufferingNewest(1)
        )
        self.recoverJournal()
        let depth = self.spool?.depth ?? 0
        self.state.withLock { $0.spoolDepth = depth }
    }

    /// Entries a killed process left in the journal go to the spool, which replays them
    /// idempotently (some may already be in the store).
    private func recoverJournal() {
        guard let journal = self.journal, let spool = self.spool else { return }
        let (entries, files) = journal.leftovers()
        guard !files.isEmpty else { return }
        do {
            if !entries.isEmpty { try spool.append(entries) }
            journal.remove(files)
            if !entries.isEmpty {
                self.logger.notice(
                    "ledger journal recovered",
                    metadata: ["switchyard.ledger.entries": "\(entries.count)"]
                )
            }
        } catch {
            self.logger.error("ledger journal recovery failed", metadata: ["error.type": "\(type(of: error))"])
        }
    }

    public func record(_ entry: LedgerEntry) {
        let journaled = self.journal != nil
        self.state.withLock {
            $0.queue.append(entry)
            if journaled { $0.unjournaled.append(entry) }
            $0.recorded += 1
        }
        self.wake.yield()
        if journaled { self.journalWake.yield() }
    }

    /// Entries recorded but not yet committed (or spooled).
    public var queueDepth: Int { self.state.withLock { $0.recorded - $0.written } }

    /// Entries waiting in the spool file for the store to come back.
    public var spoolDepth: Int { self.state.withLock { $0.spoolDepth } }

    /// Whether a spool keeps entries safe while the store is down.
    public var hasSpool: Bool { self.spool != nil }

    /// Returns once every entry recorded before the call is committed.
    public func flushed() async {
        await withCheckedContinuation { continuation in
            let done = self.state.withLock { state -> Bool in
                if state.written >= state.recorded { return true }
                state.waiters.append((state.recorded, continuation))
                return false
            }
            if done { continuation.resume() }
        }
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            if self.journal != nil {
                group.addTask {
                    for await _ in self.journalWakeups { self.writeJournal() }
                }
            }
            if self.spool != nil {
                // While entries wait in the spool, retry the store twice a second.
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .milliseconds(500))
                        if self.spoolDepth > 0 { self.wake.yield() }
                    }
                }
            }
            for await _ in self.wakeups.cancelOnGracefulShutdown() {
                await self.writePending()
            }
            group.cancelAll()
        }
        // Graceful shutdown (or cancellation): the server has stopped; commit what is left.
        await self.writePending()
        self.journalWake.finish()
        if self.queueDepth == 0 { self.journal?.removeAll() }
        self.logger.debug("ledger writer drained")
    }

    /// Appends what was recorded since the last call to the journal, right away and
    /// independently of store commits (which can take much longer).
    private func writeJournal() {
        guard let journal = self.journal else { return }
        let (entries, last) = self.state.withLock { state -> ([LedgerEntry], Int) in
            defer { state.unjournaled.removeAll(keepingCapacity: true) }
            return (state.unjournaled, state.recorded)
        }
        guard !entries.isEmpty else { return }
        do {
            try journal.append(entries, lastSequence: last)
        } catch {
            self.logger.error("ledger journal write failed", metadata: ["error.type": "\(type(of: error))"])
        }
    }

    /// Moves spooled entries into the store once it answers; the spool is cleared only after commit.
    private func replaySpool() async {
        guard let spool = self.spool, spool.depth > 0 else { return }
        do {
            let entries = try spool.entries()
            var start = 0
            while start < entries.count {
                let end = min(start + 5000, entries.count)
                try await self.store.insert(Array(entries[start..<end]))
                start = end
            }
            try spool.clear()
            self.state.withLock { $0.spoolDepth = 0 }
            self.logger.info("ledger spool replayed", metadata: ["switchyard.ledger.entries": "\(entries.count)"])
        } catch {
            // Still down: try again on the next tick.
        }
    }

    private func writePending() async {
        await self.replaySpool()
        while true {
            let batch = self.state.withLock { state -> [LedgerEntry] in
                guard state.queue.count > Self.maximumBatch else {
                    defer { state.queue.removeAll(keepingCapacity: true) }
                    return state.queue
                }
                defer { state.queue.removeFirst(Self.maximumBatch) }
                return Array(state.queue.prefix(Self.maximumBatch))
            }
            guard !batch.isEmpty else { return }
            await self.commit(batch)
            let (ready, written) = self.state.withLock { state -> ([CheckedContinuation<Void, Never>], Int) in
                state.written += batch.count
                let written = state.written
                let ready = state.waiters.filter { $0.target <= written }.map(\.continuation)
                state.waiters.removeAll { $0.target <= written }
                return (ready, written)
            }
            self.journal?.release(through: written)
            for continuation in ready { continuation.resume() }
        }
    }

    /// Commits `batch`; when the store fails, spools it (or, without a spool, retries with
    /// backoff until the store accepts it): entries are never dropped.
    private func commit(_ batch: [LedgerEntry]) async {
        var delay = Duration.milliseconds(50)
        while true {
            do {
                // Keep order: while older entries wait in the spool, new ones join them there.
                if let spool = self.spool, spool.depth > 0 {
                    try spool.append(batch)
                    self.state.withLock { $0.spoolDepth = spool.depth }
                    return
                }
                try await self.store.insert(batch)
                return
            } catch {
                if let spool = self.spool {
                    do {
                        try spool.append(batch)
                        self.state.withLock { $0.spoolDepth = spool.depth }
                        self.logger.info(
                            "ledger store unavailable, entries spooled",
                            metadata: ["switchyard.ledger.batch": "\(batch.count)", "error.type": "\(type(of: error))"]
                        )
                        return
                    } catch {
                        self.logger.error("ledger spool write failed", metadata: ["error.type": "\(type(of: error))"])
                    }
                }
                if Task.isCancelled {
                    // Shutdown escalated to cancellation while the store is down. Losing money
                    // records is an operator-visible event, hence error level despite being a library.
                    self.logger.error(
                        "ledger entries lost: store unavailable at shutdown",
                        metadata: ["switchyard.ledger.batch": "\(batch.count)"]
                    )
                    return
                }
                self.logger.info(
                    "ledger write failed, retrying",
                    metadata: ["switchyard.ledger.batch": "\(batch.count)", "error.type": "\(type(of: error))"]
                )
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }
}
