import Foundation
import Testing

@testable import SwitchyardCore

@Suite struct LiveWindowTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func ratesErrorsAndPercentilesPerCloud() {
        var window = LiveWindow()
        for index in 0..<100 {
            let time = self.start.addingTimeInterval(Double(index % 10))
            window.record(cloud: "azure", at: time, latencyMillis: index + 1, failed: index < 5)
        }
        window.record(cloud: "aws", at: self.start, latencyMillis: 40, failed: false)
        let snapshot = window.snapshot(at: self.start.addingTimeInterval(9))
        #expect(snapshot.map(\.cloud) == ["aws", "azure"])
        let azure = snapshot[1]
        #expect(azure.requests == 100)
        #expect(azure.requestsPerSecond == 10)
        #expect(azure.errorRate == 0.05)
        // Latencies 1…100 ms: the percentiles land within the 10 % bucket resolution.
        #expect((50...55).contains(azure.p50Millis ?? 0))
        #expect((95...105).contains(azure.p95Millis ?? 0))
        #expect((99...109).contains(azure.p99Millis ?? 0))
        #expect(snapshot[0].p50Millis.map { (40...44).contains($0) } == true)
    }

    @Test func oldSecondsLeaveTheWindow() {
        var window = LiveWindow()
        window.record(cloud: "azure", at: self.start, latencyMillis: 10, failed: true)
        window.record(cloud: "azure", at: self.start.addingTimeInterval(30), latencyMillis: 10, failed: false)
        let later = window.snapshot(at: self.start.addingTimeInterval(65))
        #expect(later[0].requests == 1)
        #expect(later[0].errorRate == 0)
        #expect(later[0].requestsPerSecond == 0)
        // A second reused after a full minute starts from zero.
        window.record(cloud: "azure", at: self.start.addingTimeInterval(60), latencyMillis: 10, failed: false)
        #expect(window.snapshot(at: self.start.addingTimeInterval(60))[0].requests == 2)
        #expect(window.snapshot(at: self.start.addingTimeInterval(200))[0].p50Millis == nil)
    }
}
