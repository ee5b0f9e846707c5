import Foundation
import Logging
import ServiceLifecycle
import SwitchyardCore

/// Keeps a replica in step with the shared store: every 250 ms it reloads keys and tenants if
/// they changed, returns idle limit leases and pushes settlements; every ten minutes it drops
/// counters of windows older than 40 days. On graceful shutdown it returns every lease.
struct ControlSync: Service {
    let keys: ClientKeys
    let limiter: Limiter?
    let counters: (any LimitCounterStore)?
    let clock: any WallClock
    let logger: Logger
    var interval: Duration = .milliseconds(250)

    func run() async throws {
        let monotonic = ContinuousClock()
        var lastPrune = monotonic.now - .seconds(3600)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                if try await self.keys.refresh() { self.logger.debug("client keys reloaded") }
            } catch {
                self.logger.debug("client key refresh failed", metadata: ["error.type": "\(type(of: error))"])
            }
            await self.limiter?.sync(now: self.clock.now())
            if let counters = self.counters, monotonic.now - lastPrune > .seconds(600) {
                lastPrune = monotonic.now
                let cutoff = self.clock.now().addingTimeInterval(-40 * 86_400)
                try? await counters.pruneCounters(before: Int64(cutoff.timeIntervalSince1970 * 1000))
            }
            try? await Task.sleep(for: self.interval)
        }
        await self.limiter?.sync(now: self.clock.now(), returningAll: true)
    }
}
