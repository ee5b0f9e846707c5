import Foundation
import SwitchyardCore

extension LedgerEntry {
    /// The entry as one line of JSON for the journal and the spool, written by hand: Foundation's
    /// `JSONEncoder` cost about 20 µs per entry, a noticeable share of a request's CPU. The
    /// keys and values are those of the synthesized `Codable` conformance (dates as seconds
    /// since 2001, as `JSONEncoder` writes them), so `JSONDecoder` reads the line back.
    func appendLine(to out: inout String) {
        out += #"{"requestID":"#
        JSONText.appendQuoted(self.requestID, to: &out)
        out += #","time":"#
        out += self.time.timeIntervalSinceReferenceDate.description
        Self.append("tenant", self.tenant, to: &out)
        Self.append("keyID", self.keyID, to: &out)
        Self.append("model", self.model, to: &out)
        Self.append("provider", self.provider, to: &out)
        Self.append("deployment", self.deployment, to: &out)
        Self.append("cloud", self.cloud, to: &out)
        Self.append("region", self.region, to: &out)
        out += #","status":\#(self.status),"stream":\#(self.stream),"attempts":\#(self.attempts)"#
        out += #","latencyMillis":\#(self.latencyMillis)"#
        if let ttfb = self.timeToFirstByteMillis { out += #","timeToFirstByteMillis":\#(ttfb)"# }
        out += #","usage":{"promptTokens":\#(self.usage.promptTokens)"#
        out += #","completionTokens":\#(self.usage.completionTokens),"cachedTokens":\#(self.usage.cachedTokens)}"#
        out += #","usageEstimated":\#(self.usageEstimated),"cost":\#(self.cost.value),"charge":\#(self.charge.value)"#
        Self.append("errorCode", self.errorCode, to: &out)
        out += #","revenueShares":["#
        for (index, share) in self.revenueShares.enumerated() {
            out += index == 0 ? #"{"beneficiary":"# : #",{"beneficiary":"#
            JSONText.appendQuoted(share.beneficiary, to: &out)
            out += #","agreementID":"#
            JSONText.appendQuoted(share.agreementID, to: &out)
            out += #","amount":\#(share.amount.value)}"#
        }
        out += "]}\n"
    }

    /// `entries`, one line each.
    static func lines(_ entries: [LedgerEntry]) -> Data {
        var text = ""
        text.reserveCapacity(entries.count * 512)
        for entry in entries { entry.appendLine(to: &text) }
        return Data(text.utf8)
    }

    private static func append(_ key: String, _ value: String?, to out: inout String) {
        guard let value else { return }
        out += #",""# + key + #"":"#
        JSONText.appendQuoted(value, to: &out)
    }
}
