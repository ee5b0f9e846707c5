import Foundation

/// The last minute of traffic per cloud, in one-second buckets: request rate, error rate and
/// latency percentiles for the dashboard.
///
/// Memory is fixed (60 buckets of a log-scale latency histogram per cloud); recording is a few
/// array writes. Latency percentiles are the upper bound of a bucket, within 10 % of the truth.
public struct LiveWindow: Sendable {
    /// Seconds of history kept.
    public static let seconds = 60
    /// Seconds the request rate is averaged over.
    public static let rateSeconds = 10

    private var clouds: [String: [SecondBucket]] = [:]

    /// An empty window.
    public init() {}

    /// Counts one finished request.
    /// - Parameters:
    ///   - failed: the cloud failed it (5xx, 429 or a timeout), as opposed to a client error.
    public mutating func record(cloud: String, at time: Date, latencyMillis: Int, failed: Bool) {
        let second = Int64(time.timeIntervalSince1970.rounded(.down))
        let slot = Int(second % Int64(Self.seconds))
        // Mutated in place through the dictionary (no copy of the minute per request).
        self.clouds[cloud, default: Self.emptyMinute][slot].count(
            second: second,
            latencyIndex: LatencyScale.index(millis: latencyMillis),
            failed: failed
        )
    }

    private static let emptyMinute = Array(repeating: SecondBucket(), count: Self.seconds)

    /// Per cloud, sorted by name: what the last minute looked like at `time`.
    public func snapshot(at time: Date) -> [CloudTraffic] {
        let now = Int64(time.timeIntervalSince1970.rounded(.down))
        return self.clouds.keys.sorted().map { cloud in
            var requests = 0
            var failures = 0
            var recent = 0
            var latency = [Int](repeating: 0, count: LatencyScale.count)
            for bucket in self.clouds[cloud] ?? []
            where bucket.second > now - Int64(Self.seconds) && bucket.second <= now {
                requests += bucket.requests
                failures += bucket.failures
                if bucket.second > now - Int64(Self.rateSeconds) { recent += bucket.requests }
                for index in latency.indices { latency[index] += bucket.latency[index] }
            }
            return CloudTraffic(
                cloud: cloud,
                requests: requests,
                requestsPerSecond: Double(recent) / Double(Self.rateSeconds),
                errorRate: requests == 0 ? 0 : Double(failures) / Double(requests),
                p50Millis: LatencyScale.percentile(0.50, of: latency),
                p95Millis: LatencyScale.percentile(0.95, of: latency),
                p99Millis: LatencyScale.percentile(0.99, of: latency)
            )
        }
    }

    private struct SecondBucket: Sendable {
        var second: Int64 = -1
        var requests = 0
        var failures = 0
        var latency = [Int](repeating: 0, count: LatencyScale.count)

        /// Counts a request in `second`, first forgetting the minute-old second this slot held.
        mutating func count(second: Int64, latencyIndex: Int, failed: Bool) {
            if self.second != second { self = SecondBucket(second: second) }
            self.requests += 1
            if failed { self.failures += 1 }
            self.latency[latencyIndex] += 1
        }
    }
}

/// One cloud's last minute.
public struct CloudTraffic: Sendable, Equatable, Codable {
    /// The cloud.
    public var cloud: String
    /// Requests finished in the last minute.
    public var requests: Int
    /// Requests per second over the last ten seconds.
    public var requestsPerSecond: Double
    /// The share of the last minute's requests the cloud failed (0…1).
    public var errorRate: Double
    /// Latency percentiles over the last minute, in milliseconds (`nil` without traffic).
    public var p50Millis: Int?
    public var p95Millis: Int?
    public var p99Millis: Int?
}

/// Latency buckets growing by 10 %: bucket `i` holds latencies up to `upperBound(i)` milliseconds.
enum LatencyScale {
    static let count = 150
    private static let bounds: [Int] = {
        var bounds: [Int] = []
        var bound = 1.0
        for _ in 0..<count {
            bounds.append(Int(bound.rounded(.up)))
            bound = max(bound * 1.1, bound + 1)
        }
        return bounds
    }()

    static func index(millis: Int) -> Int {
        var low = 0
        var high = Self.count - 1
        while low < high {
            let middle = (low + high) / 2
            if Self.bounds[middle] >= millis { high = middle } else { low = middle + 1 }
        }
        return low
    }

    static func upperBound(_ index: Int) -> Int { Self.bounds[index] }

    static func percentile(_ quantile: Double, of counts: [Int]) -> Int? {
        let total = counts.reduce(0, +)
        guard total > 0 else { return nil }
        let rank = Int((quantile * Double(total)).rounded(.up))
        var seen = 0
        for (index, count) in counts.enumerated() {
            seen += count
            if seen >= max(rank, 1) { return Self.bounds[index] }
        }
        return Self.bounds[Self.count - 1]
    }
}
