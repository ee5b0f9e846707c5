import Foundation
import Logging
import ServiceLifecycle
import SwitchyardCore
import SwitchyardStore
import Synchronization
import Testing

func sampleEntry(_ id: String, tokens: Int = 16) -> LedgerEntry {
    LedgerEntry(
        requestID: id,
        time: Date(timeIntervalSince1970: 1_790_000_000.123),
        tenant: "acme",
        keyID: "key-1",
        model: "gpt-5",
        provider: "azure-east",
        deployment: "gpt-5-prod",
        cloud: "azure",
        region: "eastus",
        status: 200,
        stream: true,
        attempts: 2,
        latencyMillis: 120,
        timeToFirstByteMillis: 40,
        usage: TokenUsage(promptTokens: 6, completionTokens: tokens, cachedTokens: 2),
        usageEstimated: false,
        cost: USDNanos(167_500),
        charge: USDNanos(201_000),
        errorCode: nil
    )
}

func temporaryDatabasePath() throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
        "switchyard-store-\(UUID().uuidString)"
    )
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory.appendingPathComponent("ledger.db").path
}

@Suite struct SQLiteLedgerStoreTests {
    @Test func entriesRoundTripExactly() async throws {
        let store = try SQLiteLedgerStore(path: try temporaryDatabasePath())
        let entry = sampleEntry("req_1")
        try await store.insert([entry])
        #expect(try await store.allEntries() == [entry])
    }

    @Test func reinsertingARequestIDIsIgnored() async throws {
        let store = try SQLiteLedgerStore(path: try temporaryDatabasePath())
        try await store.insert([sampleEntry("req_1"), sampleEntry("req_2")])
        try await store.insert([sampleEntry("req_2", tokens: 99), sampleEntry("req_3")])
        #expect(try await store.count() == 3)
        #expect(try await store.allEntries().first { $0.requestID == "req_2" }?.usage.completionTokens == 16)
    }

    @Test func reopeningTheFileKeepsEntriesAndTheSchema() async throws {
        let path = try temporaryDatabasePath()
        try await SQLiteLedgerStore(path: path).insert([sampleEntry("req_1")])
        let reopened = try SQLiteLedgerStore(path: path)
        #expect(try await reopened.count() == 1)
    }
}

@Suite struct LedgerWriterTests {
    @Test(.timeLimit(.minutes(1))) func recordedEntriesAreCommittedInTheBackground() async throws {
        let store = try SQLiteLedgerStore(path: try temporaryDatabasePath())
        let writer = LedgerWriter(store: store, logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { group async throws in
            group.addTask { try await writer.run() }
            for index in 0..<500 { writer.record(sampleEntry("req_\(index)")) }
            await writer.flushed()
            #expect(try await store.count() == 500)
            #expect(writer.queueDepth == 0)
            group.cancelAll()
        }
    }

    @Test(.timeLimit(.minutes(1))) func gracefulShutdownDrainsTheQueue() async throws {
        let path = try temporaryDatabasePath()
        let store = try SQLiteLedgerStore(path: path)
        let writer = LedgerWriter(store: store, logger: Logger(label: "test"))
        let group = ServiceGroup(services: [writer], gracefulShutdownSignals: [], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            for index in 0..<2000 { writer.record(sampleEntry("req_\(index)")) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(try await SQLiteLedgerStore(path: path).count() == 2000)
    }

    @Test(.timeLimit(.minutes(1))) func aFailingStoreIsRetriedUntilItAccepts() async throws {
        let store = FlakyStore(failures: 3)
        let writer = LedgerWriter(store: store, logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { group async throws in
            group.addTask { try await writer.run() }
            writer.record(sampleEntry("req_1"))
            await writer.flushed()
            #expect(try await store.count() == 1)
            #expect(store.attempts == 4)
            group.cancelAll()
        }
    }
}

@Suite struct LedgerJournalTests {
    /// A writer whose store never answers is abandoned (as a killed process would be); a new
    /// writer on the same spool path finds every recorded entry in the journal and commits it.
    @Test(.timeLimit(.minutes(1))) func entriesOfADeadWriterComeBackFromTheJournal() async throws {
        let directory = URL(fileURLWithPath: try temporaryDatabasePath()).deletingLastPathComponent().path
        let spool = directory + "/ledger.spool"
        let dead = LedgerWriter(store: StallingStore(), logger: Logger(label: "test"), spoolPath: spool)
        try await withThrowingTaskGroup(of: Void.self) { group async throws in
            group.addTask { try await dead.run() }
            for index in 0..<100 { dead.record(sampleEntry("req_\(index)")) }
            // The store never commits, yet the entries reach the journal right away.
            let deadline = ContinuousClock.now + .seconds(10)
            while Self.journaled(directory) < 100 {
                try #require(ContinuousClock.now < deadline, "the journal never got the entries")
                try await Task.sleep(for: .milliseconds(5))
            }

            let store = MemoryLedgerStore()
            let successor = LedgerWriter(store: store, logger: Logger(label: "test"), spoolPath: spool)
            #expect(successor.spoolDepth == 100)
            #expect(Self.journaled(directory) == 0)
            let services = ServiceGroup(services: [successor], gracefulShutdownSignals: [], logger: Logger(label: "t"))
            group.addTask { try await services.run() }
            await services.triggerGracefulShutdown()
            while successor.spoolDepth > 0 { try await Task.sleep(for: .milliseconds(5)) }
            #expect(try await store.count() == 100)
            group.cancelAll()
        }
    }

    static func journaled(_ directory: String) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasPrefix("ledger.spool.journal.") }.reduce(0) { count, name in
            let data = FileManager.default.contents(atPath: directory + "/" + name) ?? Data()
            return count + data.split(separator: 0x0A).count
        }
    }
}

/// A store whose inserts never finish (until cancelled).
final class StallingStore: LedgerStore {
    func insert(_ entries: [LedgerEntry]) async throws { try await Task.sleep(for: .seconds(3600)) }
    func ping() async throws {}
    func count() async throws -> Int { 0 }
    func revenueShareTotals(beneficiary: String?, from: Date, until: Date) async throws -> [RevenueShareTotal] { [] }
    func usage(by dimension: UsageDimension, from: Date, until: Date) async throws -> [UsageTotal] { [] }
}

/// A store that fails its first `failures` inserts.
final class FlakyStore: LedgerStore {
    private let inner = MemoryLedgerStore()
    private let state: Mutex<(failures: Int, attempts: Int)>

    init(failures: Int) { self.state = Mutex((failures, 0)) }

    var attempts: Int { self.state.withLock { $0.attempts } }

    func insert(_ entries: [LedgerEntry]) async throws {
        let fail = self.state.withLock { state -> Bool in
            state.attempts += 1
            if state.failures > 0 {
                state.failures -= 1
                return true
            }
            return false
        }
        if fail { throw FlakyStoreError() }
        try await self.inner.insert(entries)
    }

    func ping() async throws {}
    func count() async throws -> Int { try await self.inner.count() }
    func revenueShareTotals(beneficiary: String?, from: Date, until: Date) async throws -> [RevenueShareTotal] { [] }
    func usage(by dimension: UsageDimension, from: Date, until: Date) async throws -> [UsageTotal] { [] }
}
struct FlakyStoreError: Error {}
