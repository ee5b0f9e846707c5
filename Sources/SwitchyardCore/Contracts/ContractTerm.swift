import Foundation

/// A partnership agreement: an id and the terms it puts in force.
public struct Agreement: Sendable, Hashable {
    /// The agreement's id (`azure-first-access`).
    public var id: String
    /// Its terms, in configured order.
    public var terms: [ContractTerm]

    /// Creates an agreement.
    public init(id: String, terms: [ContractTerm]) {
        self.id = id
        self.terms = terms
    }
}

/// One term of an agreement, in force during [``from``, ``until``) (UTC).
public struct ContractTerm: Sendable, Hashable, CustomStringConvertible {
    /// What the term does.
    public enum Kind: Sendable, Hashable {
        /// Models launched in [from, until) may run only on `clouds` during [launched, launched + window).
        case firstAccess(clouds: [String], window: Duration)
        /// During [from, until) matching models run only on `clouds`.
        case exclusive(clouds: [String])
        /// During [from, until) matching traffic (optionally only on `clouds`) accrues `percent` of its charge to `beneficiary`.
        case revenueShare(beneficiary: String, percent: Percent, clouds: [String]?)
    }

    /// The agreement the term belongs to.
    public var agreementID: String
    /// Its position in the agreement, from 1.
    public var number: Int
    /// What it does.
    public var kind: Kind
    /// Which models it covers.
    public var models: ModelSelector
    /// Inclusive start.
    public var from: Date
    /// Exclusive end; only first-access terms may leave it open.
    public var until: Date?

    /// Creates a term.
    public init(agreementID: String, number: Int, kind: Kind, models: ModelSelector, from: Date, until: Date?) {
        self.agreementID = agreementID
        self.number = number
        self.kind = kind
        self.models = models
        self.from = from
        self.until = until
    }

    /// `first_access`, `exclusive` or `revenue_share`.
    public var kindName: String {
        switch self.kind {
        case .firstAccess: "first_access"
        case .exclusive: "exclusive"
        case .revenueShare: "revenue_share"
        }
    }

    /// Whether `instant` lies in [from, until).
    public func isInForce(at instant: Date) -> Bool {
        instant >= self.from && self.until.map { instant < $0 } != false
    }

    /// `agreement 'azure-first-access' term 1 (first_access)`.
    public var description: String { "agreement '\(self.agreementID)' term \(self.number) (\(self.kindName))" }
}

/// Prints instants the way every report and message does: `2026-12-20T00:00:00Z`.
public enum InstantText {
    /// ISO 8601 in UTC, whole seconds.
    public static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle())
    }

    /// Parses `2026-12-20`, `2026-12-20T10:00:00Z`, `2026-12-20T10:00Z` or with fractional seconds.
    public static func parse(_ text: String) -> Date? {
        if let day = DateText.parseDay(text) { return day }
        var candidate = text
        if candidate.count == 17, candidate.hasSuffix("Z") {
            candidate.insert(contentsOf: ":00", at: candidate.index(before: candidate.endIndex))
        }
        if let date = try? Date(candidate, strategy: .iso8601) { return date }
        return try? Date(candidate, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
