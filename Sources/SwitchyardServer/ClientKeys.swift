import Foundation
import Logging
import SwitchyardCore
import Synchronization

/// The keys and tenants the gateway accepts, cached in memory so that authentication costs no
/// database round trip. ``refresh()`` reloads everything when the store's change counter moved;
/// ``ControlSync`` calls it every 250 ms, so a revocation on any replica is seen by every other
/// within that interval plus one read.
public final class ClientKeys: Sendable {
    private struct State {
        var directory: ClientDirectory
        var attempted = false
    }

    private let config: GatewayConfig
    private let store: (any ControlStore)?
    private let state: Mutex<State>

    /// Starts with the configuration's keys; stored keys arrive with the first refresh.
    public init(config: GatewayConfig, store: (any ControlStore)?) {
        self.config = config
        self.store = store
        self.state = Mutex(State(directory: ClientDirectory(config: config)))
    }

    /// The current directory.
    public var directory: ClientDirectory { self.state.withLock { $0.directory } }

    /// The caller presenting `key` at `instant`, or `nil`.
    public func identify(_ key: String, at instant: Date) -> Caller? {
        self.directory.identify(key, at: instant)
    }

    /// Loads stored keys once, for requests that arrive before the first background refresh.
    public func ensureLoaded() async {
        guard self.store != nil else { return }
        let first = self.state.withLock { state -> Bool in
            defer { state.attempted = true }
            return !state.attempted
        }
        if first { _ = try? await self.refresh() }
    }

    /// Reloads tenants and keys if the store changed since the last load.
    /// - Returns: whether the directory was replaced.
    @discardableResult
    public func refresh() async throws -> Bool {
        guard let store = self.store else { return false }
        let version = try await store.controlVersion()
        if self.state.withLock({ $0.directory.version }) == version { return false }
        // Read the counter first: a change committed meanwhile makes the next refresh reload again.
        async let tenants = store.tenants()
        async let keys = store.keys(tenant: nil)
        let directory = ClientDirectory(
            config: self.config,
            tenants: try await tenants,
            keys: try await keys,
            version: version
        )
        self.state.withLock { state in
            if (state.directory.version ?? Int64.min) <= version { state.directory = directory }
            state.attempted = true
        }
        return true
    }
}
