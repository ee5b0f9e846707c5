import Foundation
import SwitchyardCore
import Testing

@Suite struct DeploymentHealthTests {
    static let candidate = RouteCandidate(
        provider: ProviderConfig(
            id: "azure-east",
            kind: .openAI,
            cloud: "azure",
            region: "eastus",
            baseURL: "http://a"
        ),
        deployment: DeploymentConfig(provider: "azure-east", target: "gpt-5-prod")
    )
    static let start = Date(timeIntervalSince1970: 1_795_000_000)

    static func health(
        _ breaker: BreakerConfig = BreakerConfig(consecutiveFailures: 3, openFor: .seconds(30))
    ) -> DeploymentHealth {
        DeploymentHealth(candidate: Self.candidate, breaker: breaker)
    }

    @Test func consecutiveFailuresOpenTheBreakerUntilAProbeSucceeds() {
        let health = Self.health()
        let t = Self.start
        for _ in 0..<2 { health.record(.failure(reason: "HTTP 500"), at: t) }
        #expect(health.availability(at: t) == .available)
        health.record(.failure(reason: "HTTP 500"), at: t)
        #expect(health.availability(at: t) == .unavailable(until: t + 30))
        #expect(!health.admit(at: t + 29))
        let snapshot = health.snapshot(at: t + 1)
        #expect(snapshot.state == .open && !snapshot.available && snapshot.openUntil == t + 30)
        #expect(snapshot.lastFailure == "HTTP 500" && snapshot.opened == 1 && snapshot.consecutiveFailures == 3)

        // The open period is over: exactly one probe gets through.
        #expect(health.availability(at: t + 30) == .probe)
        #expect(health.admit(at: t + 30))
        #expect(!health.admit(at: t + 30))
        #expect(health.snapshot(at: t + 30).state == .halfOpen)
        health.record(.success(timeToFirstByte: .milliseconds(120)), at: t + 31)
        #expect(health.availability(at: t + 31) == .available)
        #expect(health.snapshot(at: t + 31).state == .closed)
    }

    @Test func aFailedProbeOpensTheBreakerAgain() {
        let health = Self.health()
        let t = Self.start
        for _ in 0..<3 { health.record(.failure(reason: "timeout"), at: t) }
        #expect(health.admit(at: t + 30))
        health.record(.failure(reason: "timeout"), at: t + 31)
        #expect(health.availability(at: t + 31) == .unavailable(until: t + 61))
        #expect(health.snapshot(at: t + 31).opened == 2)
    }

    @Test func anAbandonedProbeLetsTheNextRequestProbe() {
        let health = Self.health()
        let t = Self.start
        for _ in 0..<3 { health.record(.failure(reason: "timeout"), at: t) }
        #expect(health.admit(at: t + 30))
        health.record(.abandoned, at: t + 30)
        #expect(health.admit(at: t + 30))
    }

    @Test func theErrorRateOverTheWindowOpensTheBreakerWithoutAStreak() {
        let breaker = BreakerConfig(
            consecutiveFailures: 100,
            errorRate: 0.5,
            window: .seconds(10),
            minimumRequests: 10,
            openFor: .seconds(5)
        )
        let health = Self.health(breaker)
        let t = Self.start
        for i in 0..<9 {
            health.record(
                i.isMultiple(of: 2) ? .success(timeToFirstByte: .milliseconds(50)) : .failure(reason: "x"),
                at: t
            )
        }
        #expect(health.availability(at: t) == .available)  // 4 of 9, below the minimum count
        health.record(.failure(reason: "x"), at: t)  // 5 of 10
        #expect(health.availability(at: t) == .unavailable(until: t + 5))
        #expect(health.snapshot(at: t).errorRate == 0.5)
        // Outcomes older than the window no longer count.
        #expect(health.snapshot(at: t + 11).windowRequests == 0)
    }

    @Test func throttlingCoolsTheDeploymentDownWithoutOpeningTheBreaker() {
        let health = Self.health()
        let t = Self.start
        for _ in 0..<5 { health.record(.throttled(cooldown: .seconds(7)), at: t) }
        #expect(health.availability(at: t + 1) == .unavailable(until: t + 7))
        let snapshot = health.snapshot(at: t + 1)
        #expect(snapshot.state == .closed && snapshot.cooldownUntil == t + 7 && !snapshot.available)
        #expect(health.availability(at: t + 7) == .available)
        #expect(health.admit(at: t + 3, force: true))
    }

    @Test func latencyIsAnExponentiallyWeightedAverage() {
        let health = Self.health()
        #expect(health.ewmaTTFBMillis == nil)
        health.record(.success(timeToFirstByte: .milliseconds(100)), at: Self.start)
        #expect(health.ewmaTTFBMillis == 100)
        health.record(.success(timeToFirstByte: .milliseconds(200)), at: Self.start)
        #expect(abs((health.ewmaTTFBMillis ?? 0) - 120) < 0.001)
        // p95 estimate: average plus two mean deviations (deviation 0.2 × |200 − 100| = 20).
        #expect(health.p95TTFB == .milliseconds(160))
    }

    @Test(.timeLimit(.minutes(1))) func inFlightSlotsQueueBrieflyThenRefuse() async {
        let health = Self.health()
        #expect(await health.acquireSlot(limit: 1, wait: .zero))
        #expect(await !health.acquireSlot(limit: 1, wait: .milliseconds(20)))
        #expect(health.snapshot(at: Self.start).inFlight == 1)
        // A waiter gets the slot once it is released (whether it queued before or after).
        async let waiter = health.acquireSlot(limit: 1, wait: .seconds(30))
        health.releaseSlot()
        #expect(await waiter)
        health.releaseSlot()
        #expect(health.snapshot(at: Self.start).inFlight == 0)
    }

    @Test func theRetryBudgetCapsRetriesAtItsShareOfRequests() {
        let budget = RetryBudget(ratio: 0.25, burst: 2)
        #expect(budget.tryRetry() && budget.tryRetry())
        #expect(!budget.tryRetry())
        for _ in 0..<4 { budget.recordRequest() }
        #expect(budget.tryRetry())
        #expect(!budget.tryRetry())
        for _ in 0..<100 { budget.recordRequest() }
        #expect(budget.tryRetry() && budget.tryRetry() && !budget.tryRetry())  // capped at the burst
    }

    @Test func backoffIsJitteredAndCapped() {
        for retry in 1...12 {
            let delay = Backoff.delay(retry: retry, base: .milliseconds(10), max: .milliseconds(200))
            #expect(delay >= .zero && delay <= min(.milliseconds(200), .milliseconds(10 << (retry - 1))))
        }
        #expect(Backoff.delay(retry: 0, base: .milliseconds(10), max: .seconds(1)) == .zero)
    }
}
