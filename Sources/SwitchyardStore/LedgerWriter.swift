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
    }

    private let store: any LedgerStore
    private let logger: Logger
    private let state = Mutex(State())
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    /// Creates a writer in front of `store`.
    public init(store: any LedgerStore, logger: Logger) {
        self.store = store
        self.logger = logger
        (self.wakeups, self.wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    public func record(_ entry: LedgerEntry) {
        self.state.withLock {
            $0.queue.append(entry)
            $0.recorded += 1
        }
        self.wake.yield()
    }

    /// Entries recorded but not yet committed.
    public var queueDepth: Int { self.state.withLock { $0.recorded - $0.written } }

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
        for await _ in self.wakeups.cancelOnGracefulShutdown() {
            await self.writePending()
        }
        // Graceful shutdown (or cancellation): the server has stopped; commit what is left.
        await self.writePending()
        self.logger.debug("ledger writer drained")
    }

    private func writePending() async {
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

    /// Commits `batch`, retrying with backoff until the store accepts it: entries are never dropped.
    private func commit(_ batch: [LedgerEntry]) async {
        var delay = Duration.milliseconds(50)
        while true {
            do {
                try await self.store.insert(batch)
                return
            } catch {
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
