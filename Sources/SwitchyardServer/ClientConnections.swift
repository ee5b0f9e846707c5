import NIOCore
import Synchronization

/// The gateway's open client connections, so that a request stops the moment its client
/// leaves, also while the upstream is silent and nothing is written that could fail.
///
/// A client that closes its sending side counts as gone, as nginx counts it: HTTP clients do
/// not half-close a connection while they still wait for the answer.
final class ClientConnections: Sendable {
    private let open = Mutex<[ObjectIdentifier: ClientConnection]>([:])

    /// The handler that tracks one connection; one per accepted connection.
    func makeHandler() -> some RemovableChannelHandler { ClientConnectionHandler(registry: self) }

    /// The connection a request arrived on (an untracked one if the channel is unknown).
    func connection(of channel: any Channel) -> ClientConnection {
        self.open.withLock { $0[ObjectIdentifier(channel)] } ?? ClientConnection()
    }

    fileprivate func add(_ connection: ClientConnection, for channel: any Channel) {
        self.open.withLock { $0[ObjectIdentifier(channel)] = connection }
    }

    fileprivate func remove(_ channel: any Channel) {
        _ = self.open.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }
}

/// One client connection: whether the client has left, and the request task waiting on it.
final class ClientConnection: Sendable {
    private struct State {
        var gone = false
        var waiter: Waiter?
        /// ``depart()`` is cancelling the waiter (outside the lock: cancelling runs handlers that
        /// may close this very connection); the waiter's scope must not end before that is done.
        var cancelling = false
        var leaving: CheckedContinuation<Void, Never>?
    }

    /// The request task, cancellable from the event loop. `UnsafeCurrentTask` is not Sendable
    /// because it does not keep the task alive; here it is cancelled only while
    /// ``whileConnected(_:)`` runs in that task (whose end waits for a cancel in progress), so
    /// the task is alive. Cancelling a task from another thread is what `Task.cancel()` does too.
    private struct Waiter: @unchecked Sendable {
        let task: UnsafeCurrentTask
    }

    private let state = Mutex(State())

    /// Whether the client has closed the connection (or its side of it).
    var isGone: Bool { self.state.withLock { $0.gone } }

    /// Runs `work` in the current task and cancels that task if the client leaves meanwhile
    /// (at once if it already has). Cancelling cancels the upstream request `work` waits on.
    func whileConnected<T, E: Error>(_ work: () async throws(E) -> T) async throws(E) -> T {
        guard let waiter = withUnsafeCurrentTask(body: { $0.map(Waiter.init) }) else { return try await work() }
        let gone = self.state.withLock { state in
            if !state.gone { state.waiter = waiter }
            return state.gone
        }
        if gone { waiter.task.cancel() }
        let result: Result<T, E>
        do {
            result = .success(try await work())
        } catch {
            result = .failure(error)
        }
        await self.release()
        return try result.get()
    }

    /// Ends the current task's watch, after a cancel of it that is under way.
    private func release() async {
        let cancelling = self.state.withLock { state in
            state.waiter = nil
            return state.cancelling
        }
        guard cancelling else { return }
        await withCheckedContinuation { continuation in
            let done = self.state.withLock { state in
                if state.cancelling { state.leaving = continuation }
                return !state.cancelling
            }
            if done { continuation.resume() }
        }
    }

    fileprivate func depart() {
        let waiter = self.state.withLock { state -> Waiter? in
            guard !state.gone else { return nil }
            state.gone = true
            state.cancelling = state.waiter != nil
            return state.waiter
        }
        guard let waiter else { return }
        waiter.task.cancel()
        let leaving = self.state.withLock { state in
            state.cancelling = false
            defer { state.leaving = nil }
            return state.leaving
        }
        leaving?.resume()
    }
}

/// Sits in each client connection's pipeline and reports when the client leaves.
private final class ClientConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    let registry: ClientConnections
    let connection = ClientConnection()

    init(registry: ClientConnections) { self.registry = registry }

    func handlerAdded(context: ChannelHandlerContext) {
        self.registry.add(self.connection, for: context.channel)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.registry.remove(context.channel)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { self.connection.depart() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.connection.depart()
        self.registry.remove(context.channel)
        context.fireChannelInactive()
    }
}
