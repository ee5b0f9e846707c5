import SwitchyardCore
import Synchronization

/// Runs `operation`, giving up after `duration`: while the database is down the pool would
/// otherwise wait for a connection indefinitely (and the writer would never spool).
///
/// On timeout the caller gets its error at once; the operation is cancelled but not awaited
/// (a query on the wire finishes on its own; inserts are idempotent, so a late commit of a
/// batch that was spooled meanwhile is harmless).
func withDeadline<T: Sendable>(
    _ duration: Duration,
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let rendezvous = Mutex(Rendezvous<T>.empty)
    let finish: @Sendable (Result<T, any Error>) -> Void = { result in
        let waiting = rendezvous.withLock { state -> CheckedContinuation<T, any Error>? in
            switch state {
            case .empty:
                state = .done(result)
                return nil
            case .waiting(let continuation):
                state = .delivered
                return continuation
            case .done, .delivered:
                return nil
            }
        }
        waiting?.resume(with: result)
    }
    let work = Task {
        do { finish(.success(try await operation())) } catch { finish(.failure(error)) }
    }
    let timer = Task {
        try await Task.sleep(for: duration)
        finish(.failure(StoreError(message: "the database did not answer within \(duration)")))
        work.cancel()
    }
    defer { timer.cancel() }
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            let ready = rendezvous.withLock { state -> Result<T, any Error>? in
                if case .done(let result) = state {
                    state = .delivered
                    return result
                }
                state = .waiting(continuation)
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    } onCancel: {
        work.cancel()
    }
}

/// Whichever comes first, the result or the caller's continuation, waits here for the other.
private enum Rendezvous<T: Sendable> {
    case empty
    case waiting(CheckedContinuation<T, any Error>)
    case done(Result<T, any Error>)
    case delivered
}
