// Ledger write throughput: N synthetic entries (with one revenue share each) written in
// batches of 1,000 through each store, as the group-commit writer does under load. Traffic of
// 17 tenants with 3 keys each on 2 models: about 100 daily-rollup rows change per batch.
import Foundation
import Logging
import SwitchyardCore
import SwitchyardStore

let arguments = CommandLine.arguments
let total = arguments.count > 1 ? Int(arguments[1]) ?? 100_000 : 100_000
let postgresURL = arguments.count > 2 ? arguments[2] : ProcessInfo.processInfo.environment["SWITCHYARD_POSTGRES_URL"]
let batchSize = arguments.count > 3 ? Int(arguments[3]) ?? 1_000 : 1_000
let run = UUID().uuidString.prefix(8)

func entries(_ batch: Int, prefix: String = "req") -> [LedgerEntry] {
    let share = RevenueShareAccrual(beneficiary: "microsoft", agreementID: "azure-first-access", amount: USDNanos(40_200))
    let models = ["gpt-5", "gpt-5-mini"]
    var result: [LedgerEntry] = []
    result.reserveCapacity(batchSize)
    for index in 0..<batchSize {
        let sequence: Int = batch * batchSize + index
        let time = Date(timeIntervalSince1970: 1_795_000_000 + Double(sequence) / 1000)
        var entry = LedgerEntry(
            requestID: "\(prefix)_\(run)_\(sequence)",
            time: time,
            tenant: "tenant-\(index % 17)",
            keyID: "key-\(index % 17)-\(index % 3)",  // a key belongs to one tenant
            model: models[index % 2],
            status: 200,
            stream: index % 3 == 0,
            attempts: 1,
            latencyMillis: 120
        )
        entry.provider = "azure-eastus"
        entry.deployment = "gpt-5-prod"
        entry.cloud = "azure"
        entry.region = "eastus"
        entry.timeToFirstByteMillis = 40
        entry.usage = TokenUsage(promptTokens: 19, completionTokens: 16)
        entry.cost = USDNanos(167_500)
        entry.charge = USDNanos(201_000)
        entry.revenueShares = [share]
        result.append(entry)
    }
    return result
}

/// Through the group-commit writer, as the gateway writes: every entry recorded at once (a
/// backlog), then wait until all are committed. Batches are whatever queued, capped at 5,000.
func measureWriter(_ name: String, _ store: any LedgerStore) async throws {
    let all = (0..<(total / batchSize)).flatMap { entries($0, prefix: "writer") }
    let writer = LedgerWriter(store: store, logger: Logger(label: "bench"))
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await writer.run() }
        let started = ContinuousClock.now
        for entry in all { writer.record(entry) }
        await writer.flushed()
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("\(name) via the writer: \(total) entries in \(String(format: "%.2f", seconds)) s = \(Int(Double(total) / seconds)) entries/s")
        group.cancelAll()
    }
}

func measure(_ name: String, _ store: any LedgerStore) async throws {
    let batches = (0..<(total / batchSize)).map { entries($0) }
    let started = ContinuousClock.now
    for batch in batches { try await store.insert(batch) }
    let elapsed = ContinuousClock.now - started
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    print("\(name): \(total) entries in \(String(format: "%.2f", seconds)) s = \(Int(Double(total) / seconds)) entries/s")
}

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-throughput-\(run)")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
try await measure("sqlite", try SQLiteLedgerStore(path: directory.appendingPathComponent("ledger.db").path))
try await measureWriter("sqlite", try SQLiteLedgerStore(path: directory.appendingPathComponent("writer.db").path))

if let postgresURL {
    let store = try PostgresLedgerStore(url: Secret(postgresURL), logger: Logger(label: "bench"))
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await store.run() }
        try await store.migrate()
        try await measure("postgres", store)
        try await measureWriter("postgres", store)
        group.cancelAll()
    }
} else {
    print("postgres: skipped (pass a URL or set SWITCHYARD_POSTGRES_URL)")
}
