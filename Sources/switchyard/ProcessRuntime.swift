import Foundation
import NIOCore
import NIOPosix

/// Threading of the gateway process, set once at start before anything uses NIO.
enum ProcessRuntime {
    /// Runs NIO with `threads` event loops (default: the CPUs this process may run on) and makes
    /// those event loops Swift Concurrency's global executor.
    ///
    /// Why: a request crosses between NIO (sockets of the client and of the upstream) and Swift
    /// Concurrency (the handler) several times. With the default global executor each crossing
    /// is a thread hop (a futex wake and a context switch); with the event loops as executor the
    /// handler continues on the loop that owns the socket. Measured in BENCHMARKS.md.
    static func configure(threads: Int?, eventLoopExecutor: Bool) {
        NIOSingletons.groupLoopCountSuggestion = max(1, threads ?? Self.allowedCPUCount())
        if eventLoopExecutor {
            NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        }
    }

    /// CPUs in this process's affinity mask (`taskset`, cgroups cpusets), from /proc; falls back
    /// to the active processor count.
    static func allowedCPUCount() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") })
        else { return ProcessInfo.processInfo.activeProcessorCount }
        var count = 0
        for range in line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces).split(
            separator: ","
        ) {
            let bounds = range.split(separator: "-").compactMap { Int($0) }
            if bounds.count == 2 { count += bounds[1] - bounds[0] + 1 } else if bounds.count == 1 { count += 1 }
        }
        return count > 0 ? count : ProcessInfo.processInfo.activeProcessorCount
    }
}
