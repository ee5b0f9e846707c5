import Foundation

/// The contract terms compiled against the catalog: for every model, the instants at which its
/// eligible deployments change and the eligible set between them, so that planning a request is
/// a binary search plus a filter.
public struct ContractBook: Sendable {
    /// A term narrowed to one model: the interval in which it restricts that model's clouds.
    public struct Restriction: Sendable, Hashable {
        /// The term.
        public var term: ContractTerm
        /// Where the restriction starts (inclusive).
        public var start: Date
        /// Where it ends (exclusive), or never.
        public var end: Date?
        /// The only clouds allowed meanwhile.
        public var clouds: [String]

        func isInForce(at instant: Date) -> Bool { instant >= self.start && self.end.map { instant < $0 } != false }

        /// `agreement 'x' term 1 (first_access): only azure from A until B`.
        public var reason: String {
            let until = self.end.map { " until \(InstantText.format($0))" } ?? ""
            return
                "\(self.term): only \(self.clouds.joined(separator: ", ")) from \(InstantText.format(self.start))\(until)"
        }
    }

    /// The eligible deployments (indices into the model's deployments) during one interval.
    struct Segment: Sendable {
        var eligible: [Int]
        /// For each barred deployment, the restrictions that bar it.
        var barredBy: [Int: [Int]]
    }

    /// One model's compiled terms.
    struct ModelTerms: Sendable {
        var restrictions: [Restriction]
        /// Sorted instants where eligibility may change; segment `k` covers [boundaries[k-1], boundaries[k]).
        var boundaries: [Date]
        var segments: [Segment]
        var revenueShares: [ContractTerm]

        func segmentIndex(at instant: Date) -> Int {
            var low = 0
            var high = self.boundaries.count
            while low < high {
                let middle = (low + high) / 2
                if self.boundaries[middle] <= instant { low = middle + 1 } else { high = middle }
            }
            return low
        }

        /// Where segment `index` starts (`nil`: the beginning of time).
        func start(of index: Int) -> Date? { index == 0 ? nil : self.boundaries[index - 1] }

        /// Where segment `index` ends (`nil`: never).
        func end(of index: Int) -> Date? { index < self.boundaries.count ? self.boundaries[index] : nil }
    }

    /// Every agreement, as configured.
    public let agreements: [Agreement]
    let models: [String: ModelTerms]

    /// Compiles `agreements` against `models`.
    public init(agreements: [Agreement], models: [ModelConfig], providers: [ProviderConfig]) {
        self.agreements = agreements
        let clouds = Dictionary(providers.map { ($0.id, $0.cloud) }, uniquingKeysWith: { first, _ in first })
        let terms = agreements.flatMap(\.terms)
        var compiled: [String: ModelTerms] = [:]
        for model in models {
            let restrictions = terms.compactMap { Self.restriction($0, for: model) }
            var boundaries = Set<Date>()
            for restriction in restrictions {
                boundaries.insert(restriction.start)
                if let end = restriction.end { boundaries.insert(end) }
            }
            let sorted = boundaries.sorted()
            let deploymentClouds = model.deployments.map { clouds[$0.provider] ?? "" }
            let segments = (0...sorted.count).map { index -> Segment in
                let instant = index == 0 ? Date.distantPast : sorted[index - 1]
                var segment = Segment(eligible: [], barredBy: [:])
                for (deployment, cloud) in deploymentClouds.enumerated() {
                    let barring = restrictions.indices.filter {
                        restrictions[$0].isInForce(at: instant) && !restrictions[$0].clouds.contains(cloud)
                    }
                    if barring.isEmpty {
                        segment.eligible.append(deployment)
                    } else {
                        segment.barredBy[deployment] = barring
                    }
                }
                return segment
            }
            let shares = terms.filter { term in
                if case .revenueShare = term.kind { return term.models.matches(model) }
                return false
            }
            compiled[model.name] = ModelTerms(
                restrictions: restrictions,
                boundaries: sorted,
                segments: segments,
                revenueShares: shares
            )
        }
        self.models = compiled
    }

    /// The interval in which `term` restricts `model`, if it does.
    static func restriction(_ term: ContractTerm, for model: ModelConfig) -> Restriction? {
        guard term.models.matches(model) else { return nil }
        switch term.kind {
        case .exclusive(let clouds):
            return Restriction(term: term, start: term.from, end: term.until, clouds: clouds)
        case .firstAccess(let clouds, let window):
            guard let launched = model.launched, term.isInForce(at: launched) else { return nil }
            let seconds = Double(window.components.seconds) + Double(window.components.attoseconds) / 1e18
            return Restriction(term: term, start: launched, end: launched.addingTimeInterval(seconds), clouds: clouds)
        case .revenueShare:
            return nil
        }
    }

    /// Indices of `model`'s deployments that the terms allow at `instant` (all of them for an unknown model).
    func eligibleDeployments(model: String, at instant: Date) -> [Int]? {
        guard let terms = self.models[model] else { return nil }
        return terms.segments[terms.segmentIndex(at: instant)].eligible
    }

    /// The restrictions barring deployment `index` of `model` at `instant`.
    public func barring(model: String, deployment index: Int, at instant: Date) -> [Restriction] {
        guard let terms = self.models[model] else { return [] }
        let segment = terms.segments[terms.segmentIndex(at: instant)]
        return (segment.barredBy[index] ?? []).map { terms.restrictions[$0] }
    }

    /// The first instant after `instant` at which one of `deployments` becomes eligible, if any.
    func nextAvailability(model: String, deployments: Set<Int>, after instant: Date) -> Date? {
        guard let terms = self.models[model] else { return nil }
        let current = terms.segmentIndex(at: instant)
        for index in (current + 1)..<max(current + 1, terms.segments.count)
        where terms.segments[index].eligible.contains(where: deployments.contains) {
            return terms.start(of: index)
        }
        return nil
    }

    /// The revenue shares that traffic of `model` served on `cloud` at `instant` accrues on `charge`.
    public func accruals(model: String, cloud: String?, at instant: Date, charge: USDNanos) -> [RevenueShareAccrual] {
        guard let terms = self.models[model] else { return [] }
        return terms.revenueShares.compactMap { term in
            guard term.isInForce(at: instant), case .revenueShare(let beneficiary, let percent, let clouds) = term.kind
            else {
                return nil
            }
            if let clouds, !clouds.contains(cloud ?? "") { return nil }
            return RevenueShareAccrual(
                beneficiary: beneficiary,
                agreementID: term.agreementID,
                amount: percent.of(charge)
            )
        }
    }

    /// Every interval in which `model` has no eligible deployment for anyone.
    public func gaps(model: String) -> [(from: Date?, until: Date?, restrictions: [Restriction])] {
        guard let terms = self.models[model] else { return [] }
        var gaps: [(from: Date?, until: Date?, restrictions: [Restriction])] = []
        for (index, segment) in terms.segments.enumerated() where segment.eligible.isEmpty {
            let blocking = Set(segment.barredBy.values.flatMap { $0 }).sorted().map { terms.restrictions[$0] }
            if let last = gaps.last, last.until == terms.start(of: index), last.until != nil {
                gaps[gaps.count - 1].until = terms.end(of: index)
                gaps[gaps.count - 1].restrictions = Array(Set(last.restrictions + blocking)).sorted {
                    $0.reason < $1.reason
                }
            } else {
                gaps.append((terms.start(of: index), terms.end(of: index), blocking))
            }
        }
        return gaps
    }
}

/// Revenue accrued to a partner by one ledger entry.
public struct RevenueShareAccrual: Sendable, Hashable, Codable {
    /// Who is owed (`microsoft`).
    public var beneficiary: String
    /// The agreement that grants it.
    public var agreementID: String
    /// The exact amount.
    public var amount: USDNanos

    /// Creates an accrual.
    public init(beneficiary: String, agreementID: String, amount: USDNanos) {
        self.beneficiary = beneficiary
        self.agreementID = agreementID
        self.amount = amount
    }
}

extension ContractBook {
    /// The revenue-share terms covering `model` in force at `instant`.
    public func accrualTerms(model: String, at instant: Date) -> [ContractTerm] {
        self.models[model]?.revenueShares.filter { $0.isInForce(at: instant) } ?? []
    }
}
