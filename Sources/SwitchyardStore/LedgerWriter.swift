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
        var recorded = 0
        var written = 0
        var waiters: [(target: Int, continuation: CheckedContinuation<Void, Never>)] = []
        var spoolDepth = 0
    }

    private let store: any LedgerStore
    private let logger: Logger
    private let state = Mutex(State())
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    private let spool: LedgerSpool?

    /// Creates a writer in front of `store`.
    /// - Parameters:
    ///   - spoolPath: where to keep entries while the store is unreachable. Without one, a failing
    ///     batch is retried in memory (and lost if the process dies meanwhile).
    public init(store: any LedgerStore, logger: Logger, spoolPath: String? = nil) {
        self.store = store
        self.logger = logger
        self.spool = spoolPath.map(LedgerSpool.init(path:))
        (self.wakeups, self.wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let depth = self.spool?.depth ?? 0
        self.state.withLock { $0.spoolDepth = depth }
    }

    public func record(_ entry: LedgerEntry) {
        self.state.withLock {
            $0.queue.append(entry)
            $0.recorded += 1
        }
        self.wake.yield()
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
        self.logger.debug("ledger writer drained")
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
                defer { state.queue.removeAll(keepingCapacity: true) }
                return state.queue
            }
            guard !batch.isEmpty else { return }
            await self.commit(batch)
            let ready = self.state.withLock { state -> [CheckedContinuation<Void, Never>] in
                state.written += batch.count
                let written = state.written
                let ready = state.waiters.filter { $0.target <= written }.map(\.continuation)
                state.waiters.removeAll { $0.target <= written }
                return ready
            }
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
