import Foundation

/// One instant at which routing eligibility or revenue accrual changes.
public struct TimelineEvent: Sendable, Hashable, Encodable {
    /// When (UTC).
    public var at: Date
    /// The agreement.
    public var agreement: String
    /// The term's number in the agreement.
    public var term: Int
    /// `first_access`, `exclusive` or `revenue_share`.
    public var kind: String
    /// The models affected.
    public var models: [String]
    /// What changes, in words.
    public var change: String
}

extension ContractBook {
    /// Every instant in [`from`, `until`) at which eligibility or accrual changes for any model,
    /// sorted by time.
    public func timeline(models: [ModelConfig], from: Date, until: Date?) -> [TimelineEvent] {
        var events: [TimelineEvent] = []
        func add(_ instant: Date?, _ term: ContractTerm, _ names: [String], _ change: String) {
            guard let instant, instant >= from, until.map({ instant < $0 }) != false, !names.isEmpty else { return }
            events.append(
                TimelineEvent(
                    at: instant,
                    agreement: term.agreementID,
                    term: term.number,
                    kind: term.kindName,
                    models: names,
                    change: change
                )
            )
        }
        for term in self.agreements.flatMap(\.terms) {
            let matching = models.filter { term.models.matches($0) }
            switch term.kind {
            case .exclusive(let clouds):
                let names = matching.map(\.name)
                let scope = "\(clouds.joined(separator: ", ")) for \(term.models)"
                add(term.from, term, names, "exclusivity to \(scope) begins")
                add(term.until, term, names, "exclusivity to \(scope) ends")
            case .firstAccess(let clouds, _):
                for model in matching {
                    guard let restriction = Self.restriction(term, for: model) else { continue }
                    let cloudList = clouds.joined(separator: ", ")
                    add(
                        restriction.start,
                        term,
                        [model.name],
                        "first access for \(cloudList) begins for \(model.name) (launch)"
                    )
                    add(
                        restriction.end,
                        term,
                        [model.name],
                        "first access for \(cloudList) ends for \(model.name): other clouds become eligible"
                    )
                }
            case .revenueShare(let beneficiary, let percent, let clouds):
                let names = matching.map(\.name)
                let scope = "\(term.models)" + (clouds.map { " on " + $0.joined(separator: ", ") } ?? "")
                add(term.from, term, names, "revenue share of \(percent) to \(beneficiary) begins for \(scope)")
                add(term.until, term, names, "revenue share of \(percent) to \(beneficiary) ends for \(scope)")
            }
        }
        return events.sorted { ($0.at, $0.agreement, $0.term, $0.change) < ($1.at, $1.agreement, $1.term, $1.change) }
    }

    /// Terms that cover no model of the catalog (a first-access term covers a model only if it
    /// launched inside the term).
    public func unmatchedTerms(models: [ModelConfig]) -> [ContractTerm] {
        self.agreements.flatMap(\.terms).filter { term in
            switch term.kind {
            case .firstAccess: !models.contains { Self.restriction(term, for: $0) != nil }
            case .exclusive, .revenueShare: !models.contains { term.models.matches($0) }
            }
        }
    }
}
