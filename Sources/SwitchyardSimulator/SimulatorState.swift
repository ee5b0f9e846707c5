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
    }

    private struct Storage {
        var faults: [SimulatedFault] = []
        var stats = Stats()
        var cancellationWaiters: [(target: Int, continuation: CheckedContinuation<Void, Never>)] = []
        var requestWaiters: [(target: Int, continuation: CheckedContinuation<Void, Never>)] = []
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
    public func waitForCancellations(_ count: Int) async {
        await withCheckedContinuation { continuation in
            let done = self.storage.withLock { storage -> Bool in
                if storage.stats.cancelled >= count { return true }
                storage.cancellationWaiters.append((count, continuation))
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Returns once at least `count` chat requests have arrived.
    public func waitForRequests(_ count: Int) async {
        await withCheckedContinuation { continuation in
            let done = self.storage.withLock { storage -> Bool in
                if storage.stats.requests >= count { return true }
                storage.requestWaiters.append((count, continuation))
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Counts a chat request and hands out the fault scripted for it, if any.
    func takeFault() -> SimulatedFault? {
        let (fault, ready) = self.storage.withLock { storage -> (SimulatedFault?, [CheckedContinuation<Void, Never>]) in
            storage.stats.requests += 1
            let requests = storage.stats.requests
            let ready = storage.requestWaiters.filter { $0.target <= requests }.map(\.continuation)
            storage.requestWaiters.removeAll { $0.target <= requests }
            return (storage.faults.isEmpty ? nil : storage.faults.removeFirst(), ready)
        }
        for continuation in ready { continuation.resume() }
        return fault
    }

    func recordRequest(body: [UInt8], authorization: String?, traceparent: String?) {
        self.storage.withLock { storage in
            storage.stats.lastRequestBody = body
            storage.stats.lastAuthorization = authorization
            storage.stats.lastTraceparent = traceparent
        }
    }

    func recordCancellation() {
        let ready = self.storage.withLock { storage -> [CheckedContinuation<Void, Never>] in
            storage.stats.cancelled += 1
            let cancelled = storage.stats.cancelled
            let ready = storage.cancellationWaiters.filter { $0.target <= cancelled }.map(\.continuation)
            storage.cancellationWaiters.removeAll { $0.target <= cancelled }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }
}
