import Foundation
import SwitchyardCore
import Testing

@testable import SwitchyardStore

/// The journal and the spool write entries with a hand-written encoder; what a later start
/// reads back with `JSONDecoder` must be the very entry, to the nano-dollar and the instant.
@Suite struct LedgerLineTests {
    static let full = LedgerEntry(
        requestID: "req_\"quoted\"\\back\nslash\u{01}é😀",
        time: Date(timeIntervalSinceReferenceDate: 817_171_717.123_456_7),
        tenant: "acme",
        keyID: "key-1",
        model: "gpt-5",
        provider: "azure-eastus",
        deployment: "gpt-5-prod",
        cloud: "azure",
        region: "eastus",
        status: 200,
        stream: true,
        attempts: 2,
        latencyMillis: 1234,
        timeToFirstByteMillis: 56,
        usage: TokenUsage(promptTokens: 1000, completionTokens: 2000, cachedTokens: 300),
        usageEstimated: true,
        cost: USDNanos(9_223_372_036_854_775_807),
        charge: USDNanos(-1),
        errorCode: "upstream_stream_interrupted",
        revenueShares: [
            RevenueShareAccrual(beneficiary: "microsoft", agreementID: "msft-rev", amount: USDNanos(123)),
            RevenueShareAccrual(beneficiary: "amazon", agreementID: "aws\tshare", amount: USDNanos(0)),
        ]
    )

    static let bare = LedgerEntry(
        requestID: "req_2",
        time: Date(timeIntervalSince1970: 0),
        tenant: "t",
        keyID: "k",
        model: "",
        status: 401,
        stream: false,
        attempts: 0,
        latencyMillis: 0
    )

    @Test(arguments: [Self.full, Self.bare])
    func aLineReadsBackAsTheSameEntry(entry: LedgerEntry) throws {
        let data = LedgerEntry.lines([entry, entry])
        let lines = data.split(separator: 0x0A)
        #expect(lines.count == 2 && data.last == 0x0A)
        let decoded = try JSONDecoder().decode(LedgerEntry.self, from: Data(lines[0]))
        #expect(decoded == entry)
    }

    @Test func theSpoolReplaysHandWrittenLines() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let spool = LedgerSpool(path: path)
        try spool.append([Self.full, Self.bare])
        #expect(try spool.entries() == [Self.full, Self.bare])
    }
}
