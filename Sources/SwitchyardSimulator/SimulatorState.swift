import Foundation
import Synchronization

/// The mutable side of a simulated cloud: the fault script and what it has seen.
/// Shared between the server and tests, which script faults and wait for events through it.
public final class SimulatorState: Sendable {
    /// What a test can observe.
    public struct Stats: Sendable {
        /// Chat requests received.
        public var requests = 0
        /// Requests whose caller went away before the answer was complete.
        public var cancelled = 0
        /// The body of the last chat request, as received.
        public var lastRequestBody: [UInt8]?
        /// The `authorization` header of the last chat request.
        public var lastAuthorization: String?
        /// The W3C `traceparent` of the latest chat request, if it carried one.
        public var lastTraceparent: String?
        /// Connections the caller closed (or reset), and when the latest of them closed (wall
        /// time, so that a test in another process can compare it with its own).
        public var departures = 0
        public var lastDeparture: Date?
    }

    private struct Storage {
        var faults: [SimulatedFault] = []
        var stats = Stats()
        var waiters: [Waiter] = []

        /// Takes the waiters whose count has been reached.
        mutating func ready() -> [CheckedContinuation<Void, Never>] {
            let stats = self.stats
            let ready = self.waiters.filter { stats[keyPath: $0.counter] >= $0.target }
            self.waiters.removeAll { stats[keyPath: $0.counter] >= $0.target }
            return ready.map(\.continuation)
        }
    }

    private struct Waiter {
        var counter: any KeyPath<Stats, Int> & Sendable
        var target: Int
        var continuation: CheckedContinuation<Void, Never>
    }

    private let storage = Mutex(Storage())

    /// Creates a state with no faults scripted.
    public init() {}

    /// Scripts `faults` for the next requests, in order (after any already scripted).
    public func enqueue(_ faults: [SimulatedFault]) { self.storage.withLock { $0.faults.append(contentsOf: faults) } }

    /// Forgets every scripted fault.
    public func clearFaults() { self.storage.withLock { $0.faults.removeAll() } }

    /// A snapshot of the counters.
    public var stats: Stats { self.storage.withLock { $0.stats } }

    /// Returns once at least `count` requests have been cancelled by their caller.
    public func waitForCancellations(_ count: Int) async { await self.wait(for: \.cancelled, count) }

    /// Returns once at least `count` chat requests have arrived.
    public func waitForRequests(_ count: Int) async { await self.wait(for: \.requests, count) }

    /// Returns once callers have closed at least `count` connections.
    public func waitForDepartures(_ count: Int) async { await self.wait(for: \.departures, count) }

    private func wait(for counter: any KeyPath<Stats, Int> & Sendable, _ count: Int) async {
        await withCheckedContinuation { continuation in
            let done = self.storage.withLock { storage -> Bool in
                if storage.stats[keyPath: counter] >= count { return true }
                storage.waiters.append(Waiter(counter: counter, target: count, continuation: continuation))
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Changes the storage and wakes whoever waits for the counts it reached.
    private func update<T>(_ change: (inout Storage) -> T) -> T {
        let (result, ready) = self.storage.withLock { storage in
            let result = change(&storage)
            return (result, storage.ready())
        }
        for continuation in ready { continuation.resume() }
        return result
    }

    /// Counts a chat request and hands out the fault scripted for it, if any.
    func takeFault() -> SimulatedFault? {
        self.update { storage in
            storage.stats.requests += 1
            return storage.faults.isEmpty ? nil : storage.faults.removeFirst()
        }
    }

    func recordRequest(body: [UInt8], authorization: String?, traceparent: String?) {
        self.storage.withLock { storage in
            storage.stats.lastRequestBody = body
            storage.stats.lastAuthorization = authorization
            storage.stats.lastTraceparent = traceparent
        }
    }

    func recordCancellation() { self.update { $0.stats.cancelled += 1 } }

    func recordDeparture(at instant: Date) {
        self.update { storage in
            storage.stats.departures += 1
            storage.stats.lastDeparture = instant
        }
    }
}
