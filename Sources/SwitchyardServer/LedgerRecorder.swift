import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SwitchyardCore
import SwitchyardProviders

/// Builds the one ledger entry of a request as it progresses.
struct LedgerRecorder: Sendable {
    let gateway: Gateway
    let started = ContinuousClock.now
    var entry: LedgerEntry
    var usage: TokenUsage?
    var estimated = false
    var deploymentCost: PriceSheet = .zero
    /// The model's price to the tenant (from the route plan).
    var price: PriceSheet = .zero
    /// What the limits reserved for this request; settled in ``finish(status:errorCode:)``.
    var admission = LimitAdmission.none
    /// What the answering deployment's upstream quota reserved; settled likewise.
    var upstreamQuota = LimitAdmission.none
    var trace: RequestTrace

    init(gateway: Gateway, requestID: String, identity: ClientIdentity) {
        self.gateway = gateway
        self.entry = LedgerEntry(
            requestID: requestID,
            time: gateway.clock.now(),
            tenant: identity.tenant,
            keyID: identity.keyID,
            model: "",
            status: 0,
            stream: false,
            attempts: 0,
            latencyMillis: 0
        )
        self.trace = RequestTrace(traceparent: nil, exporter: nil, now: gateway.clock.now())
    }

    mutating func attempt(_ candidate: RouteCandidate) {
        self.entry.attempts += 1
        self.serve(candidate)
    }

    /// The deployment that answers (the last attempted, or the hedge that won).
    mutating func serve(_ candidate: RouteCandidate) {
        self.entry.provider = candidate.provider.id
        self.entry.deployment = candidate.deployment.target
        self.entry.cloud = candidate.provider.cloud
        self.entry.region = candidate.provider.region
        self.deploymentCost = candidate.deployment.cost
    }

    mutating func markFirstByte() {
        if self.entry.timeToFirstByteMillis == nil {
            self.entry.timeToFirstByteMillis = Self.millis(ContinuousClock.now - self.started)
        }
    }

    /// About four bytes per token when the upstream reported no usage.
    mutating func estimate(completionBytes: Int, promptBytes: Int) {
        self.usage = TokenUsage(promptTokens: (promptBytes + 3) / 4, completionTokens: (completionBytes + 3) / 4)
        self.estimated = true
    }

    /// One token per streamed chunk after the first (which carries only the role) when the stream
    /// ended without a usage chunk.
    mutating func estimateIfMissing(chunks: Int, promptBytes: Int) {
        guard self.usage == nil else { return }
        self.usage = TokenUsage(promptTokens: (promptBytes + 3) / 4, completionTokens: max(0, chunks - 1))
        self.estimated = true
    }

    func finish(status: Int, errorCode: String? = nil) {
        var entry = self.entry
        entry.status = status
        entry.errorCode = errorCode
        entry.latencyMillis = Self.millis(ContinuousClock.now - self.started)
        if let usage = self.usage {
            entry.usage = usage
            entry.usageEstimated = self.estimated
            entry.cost = self.deploymentCost.amount(for: usage)
            entry.charge = self.price.amount(for: usage)
            entry.revenueShares = self.gateway.planner.contracts.accruals(
                model: entry.model,
                cloud: entry.cloud,
                at: entry.time,
                charge: entry.charge
            )
        }
        // Settle with the same exact charge and tokens the ledger records (first, so that
        // whoever sees the entry sees the limits settled).
        let actual: [LimitMeter: Int64] = [
            .requests: 1,
            .tokens: Int64(entry.usage.promptTokens + entry.usage.completionTokens),
            .usd: entry.charge.value,
        ]
        self.gateway.limiter?.settle(self.admission, actual: actual)
        self.gateway.limiter?.settle(self.upstreamQuota, actual: actual)
        self.gateway.ledger.record(entry)
        self.gateway.telemetry.finished(entry)
        self.trace.finish(entry, end: self.gateway.clock.now())
    }

    static func millis(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
