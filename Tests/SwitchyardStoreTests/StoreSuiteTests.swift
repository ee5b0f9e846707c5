import Foundation
import Logging
import ServiceLifecycle
import SwitchyardCore
import SwitchyardStore
import Testing

/// Both engines pass the same suite.
enum Engine: String, CaseIterable, Sendable {
    case sqlite
    case postgres

    func withStore(_ body: (any LedgerStore) async throws -> Void) async throws {
        switch self {
        case .sqlite: try await body(try SQLiteLedgerStore(path: try temporaryDatabasePath()))
        case .postgres: try await TestPostgres.withDatabase { stores, _ in try await body(stores[0]) }
        }
    }
}

func entry(_ id: String, at time: Date, charge: Int64, shares: [RevenueShareAccrual] = []) -> LedgerEntry {
    var entry = sampleEntry(id)
    entry.time = time
    entry.charge = USDNanos(charge)
    entry.revenueShares = shares
    return entry
}

@Suite(.timeLimit(.minutes(1))) struct StoreSuiteTests {
    static let day = Date(timeIntervalSince1970: 1_795_000_000)

    @Test(arguments: Engine.allCases)
    func insertsAreIdempotentByRequestID(engine: Engine) async throws {
        try await engine.withStore { store in
            try await store.insert([sampleEntry("a"), sampleEntry("b")])
            try await store.insert([sampleEntry("b"), sampleEntry("c")])
            try await store.insert([])
            #expect(try await store.count() == 3)
            try await store.ping()
        }
    }

    /// Large batches (written in parallel halves on PostgreSQL), replayed with overlap: every
    /// entry once, and the daily rollup that whole-day reports read equals the entries.
    @Test(arguments: Engine.allCases)
    func largeReplayedBatchesCountEveryEntryOnce(engine: Engine) async throws {
        try await engine.withStore { store in
            let ms = RevenueShareAccrual(beneficiary: "microsoft", agreementID: "a1", amount: USDNanos(3))
            let batch = (0..<5_000).map { index in
                entry("big-\(index)", at: Self.day.addingTimeInterval(Double(index)), charge: 7, shares: [ms])
            }
            try await store.insert(Array(batch[..<3_000]))
            try await store.insert(Array(batch[2_000...]))  // the last 1,000 of the first batch again
            #expect(try await store.count() == 5_000)
            let start = Self.day.addingTimeInterval(
                -Self.day.timeIntervalSince1970.truncatingRemainder(dividingBy: 86_400)
            )
            let rollup = try await store.usage(by: .tenant, from: start, until: start.addingTimeInterval(2 * 86_400))
            let entries = try await store.usage(by: .tenant, from: Self.day, until: Self.day.addingTimeInterval(5_000))
            #expect(rollup.map(\.requests) == [5_000])
            #expect(rollup.map(\.charge) == [USDNanos(35_000)])
            #expect(rollup == entries)
            let shares = try await store.revenueShareTotals(
                beneficiary: nil,
                from: start,
                until: start.addingTimeInterval(2 * 86_400)
            )
            #expect(shares.map(\.amount) == [USDNanos(15_000)])
        }
    }

    @Test(arguments: Engine.allCases)
    func revenueShareTotalsAreExactSumsInTheHalfOpenPeriod(engine: Engine) async throws {
        try await engine.withStore { store in
            let ms = RevenueShareAccrual(beneficiary: "microsoft", agreementID: "a1", amount: USDNanos(200_000_001))
            let amzn = RevenueShareAccrual(beneficiary: "amazon", agreementID: "a2", amount: USDNanos(7))
            try await store.insert([
                entry("r1", at: Self.day, charge: 1_000_000_005, shares: [ms, amzn]),
                entry("r2", at: Self.day.addingTimeInterval(10), charge: 5, shares: [ms]),
                entry("r3", at: Self.day.addingTimeInterval(86_400), charge: 5, shares: [ms]),  // outside
            ])
            // A replayed entry does not count its shares twice.
            try await store.insert([entry("r2", at: Self.day.addingTimeInterval(10), charge: 5, shares: [ms])])
            let totals = try await store.revenueShareTotals(
                beneficiary: nil,
                from: Self.day,
                until: Self.day.addingTimeInterval(86_400)
            )
            #expect(
                totals == [
                    RevenueShareTotal(beneficiary: "amazon", agreementID: "a2", entries: 1, amount: USDNanos(7)),
                    RevenueShareTotal(
                        beneficiary: "microsoft",
                        agreementID: "a1",
                        entries: 2,
                        amount: USDNanos(400_000_002)
                    ),
                ]
            )
            let microsoft = try await store.revenueShareTotals(
                beneficiary: "microsoft",
                from: Self.day,
                until: Self.day.addingTimeInterval(86_401)
            )
            #expect(microsoft.map(\.amount) == [USDNanos(600_000_003)])
        }
    }

    @Test(arguments: Engine.allCases)
    func usageReportsGroupAndSumExactly(engine: Engine) async throws {
        try await engine.withStore { store in
            var entries: [LedgerEntry] = []
            for index in 0..<40 {
                var item = entry(
                    "u\(index)",
                    at: Self.day.addingTimeInterval(Double(index) * 7_200),
                    charge: 1_000_000_001 + Int64(index)
                )
                item.tenant = index % 3 == 0 ? "globex" : "acme"
                item.model = index % 2 == 0 ? "gpt-5" : "gpt-5-mini"
                item.status = index % 10 == 9 ? 503 : 200
                entries.append(item)
            }
            try await store.insert(entries)
            let until = Self.day.addingTimeInterval(40 * 7_200)
            for dimension in UsageDimension.allCases {
                let rows = try await store.usage(by: dimension, from: Self.day, until: until)
                // Totals equal the sum of the rows, and the sum of what was inserted.
                #expect(rows.reduce(0) { $0 + $1.requests } == 40, "\(dimension)")
                #expect(
                    rows.reduce(USDNanos.zero) { $0 + $1.charge } == entries.reduce(USDNanos.zero) { $0 + $1.charge }
                )
                #expect(rows.reduce(0) { $0 + $1.errors } == 4)
            }
            let tenants = try await store.usage(by: .tenant, from: Self.day, until: until)
            #expect(tenants.map(\.group) == ["acme", "globex"])
            #expect(tenants.map(\.requests) == [26, 14])
            let days = try await store.usage(by: .day, from: Self.day, until: until)
            #expect(days.first?.group == String(InstantText.format(Self.day).prefix(10)))
            let firstTwo = try await store.usage(
                by: .model,
                from: Self.day,
                until: Self.day.addingTimeInterval(7_200 * 2)
            )
            #expect(firstTwo.map(\.requests) == [1, 1])
        }
    }

    /// Reports over whole UTC days read the daily rollup; they must equal the entries they sum,
    /// replays included.
    @Test(arguments: Engine.allCases)
    func wholeDayReportsFromTheRollupEqualTheEntries(engine: Engine) async throws {
        try await engine.withStore { store in
            let midnight = Date(timeIntervalSince1970: 1_795_046_400)  // 2026-11-19T00:00:00Z
            var entries: [LedgerEntry] = []
            for index in 0..<60 {
                // Spread over three days, with entries on the last millisecond of a day and the first of the next.
                let offset = index == 0 ? 86_399.999 : index == 1 ? 86_400 : Double(index) * 4_000
                var item = entry("d\(index)", at: midnight.addingTimeInterval(offset), charge: 100 + Int64(index))
                item.tenant = ["acme", "globex", "initech"][index % 3]
                item.provider = index % 4 == 0 ? nil : "p\(index % 2)"
                item.cloud = index % 4 == 0 ? nil : "c\(index % 3)"
                item.status = index % 7 == 0 ? 429 : 200
                entries.append(item)
            }
            try await store.insert(Array(entries[0..<30]))
            try await store.insert(Array(entries[20..<60]))  // overlapping replay
            let until = midnight.addingTimeInterval(3 * 86_400)
            for dimension in UsageDimension.allCases {
                let fromRollup = try await store.usage(by: dimension, from: midnight, until: until)
                // One millisecond less on each side: not whole days, so the entries themselves are read.
                let fromEntries = try await store.usage(
                    by: dimension,
                    from: midnight.addingTimeInterval(-0.001),
                    until: until.addingTimeInterval(-0.001)
                )
                #expect(fromRollup == fromEntries, "\(dimension)")
                #expect(fromRollup.reduce(0) { $0 + $1.requests } == 60)
            }
            let days = try await store.usage(by: .day, from: midnight, until: midnight.addingTimeInterval(86_400))
            #expect(days.map(\.group) == ["2026-11-19"])
            #expect(days.first?.requests == 21)  // 23:59:59.999 counts on the first day, midnight on the second
        }
    }

    @Test(arguments: Engine.allCases)
    func aSpooledLedgerReplaysExactlyOnceWhenTheStoreReturns(engine: Engine) async throws {
        try await engine.withStore { store in
            let spool = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString)").path
            let gate = SwitchableStore(inner: store)
            let writer = LedgerWriter(store: gate, logger: Logger(label: "test"), spoolPath: spool)
            try await withThrowingTaskGroup(of: Void.self) { group async throws in
                group.addTask { try await writer.run() }
                gate.isDown = true
                for index in 0..<300 { writer.record(sampleEntry("spooled-\(index)")) }
                await writer.flushed()
                #expect(writer.spoolDepth == 300)
                #expect(try await store.count() == 0)
                gate.isDown = false
                writer.record(sampleEntry("after"))
                await writer.flushed()
                #expect(writer.spoolDepth == 0)
                #expect(try await store.count() == 301)
                group.cancelAll()
            }
        }
    }

    @Test func aSpoolSurvivesARestartAndIsReplayedByTheNextProcess() async throws {
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString)").path
        let store = try SQLiteLedgerStore(path: try temporaryDatabasePath())
        let down = SwitchableStore(inner: store)
        down.isDown = true
        let first = LedgerWriter(store: down, logger: Logger(label: "test"), spoolPath: spool)
        let group = ServiceGroup(services: [first], gracefulShutdownSignals: [], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks async throws in
            tasks.addTask { try await group.run() }
            for index in 0..<50 { first.record(sampleEntry("e\(index)")) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(try await store.count() == 0)
        let second = LedgerWriter(store: store, logger: Logger(label: "test"), spoolPath: spool)
        #expect(second.spoolDepth == 50)
        try await withThrowingTaskGroup(of: Void.self) { tasks async throws in
            tasks.addTask { try await second.run() }
            second.record(sampleEntry("e0"))  // a duplicate of a spooled one: counted once
            await second.flushed()
            tasks.cancelAll()
        }
        #expect(try await store.count() == 50)
        #expect(second.spoolDepth == 0)
    }

    @Test func twoInstancesShareOnePostgresLedgerWithoutDoubleCounting() async throws {
        try await TestPostgres.withDatabase(stores: 2) { stores, _ in
            try await withThrowingTaskGroup(of: Void.self) { group async throws in
                for (index, store) in stores.enumerated() {
                    group.addTask {
                        for batch in 0..<20 {
                            // Overlapping ids: each instance also retries the other's batches.
                            let ids = (0..<50).map { "r\((batch + index) % 20)-\($0)" }
                            try await store.insert(ids.map { sampleEntry($0) })
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await stores[0].count() == 1000)
            #expect(try await stores[1].count() == 1000)
        }
    }

    @Test func migrationsAreIdempotentAcrossReplicas() async throws {
        try await TestPostgres.withDatabase(stores: 3) { stores, _ in
            for store in stores { try await store.migrate() }
            try await stores[2].insert([sampleEntry("x")])
            #expect(try await stores[0].count() == 1)
        }
    }
}

/// A store that can be switched off, as a database that goes away and comes back.
final class SwitchableStore: LedgerStore, @unchecked Sendable {
    let inner: any LedgerStore
    private let lock = NSLock()
    private var down = false

    init(inner: any LedgerStore) { self.inner = inner }

    var isDown: Bool {
        get { self.lock.withLock { self.down } }
        set { self.lock.withLock { self.down = newValue } }
    }

    struct Down: Error {}

    func insert(_ entries: [LedgerEntry]) async throws {
        if self.isDown { throw Down() }
        try await self.inner.insert(entries)
    }

    func ping() async throws {
        if self.isDown { throw Down() }
        try await self.inner.ping()
    }

    func count() async throws -> Int { try await self.inner.count() }

    func revenueShareTotals(beneficiary: String?, from: Date, until: Date) async throws -> [RevenueShareTotal] {
        try await self.inner.revenueShareTotals(beneficiary: beneficiary, from: from, until: until)
    }

    func usage(by dimension: UsageDimension, from: Date, until: Date) async throws -> [UsageTotal] {
        try await self.inner.usage(by: dimension, from: from, until: until)
    }
}
