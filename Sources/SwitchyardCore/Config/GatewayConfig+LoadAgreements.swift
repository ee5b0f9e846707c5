import Foundation
import Yams

extension ConfigReader {
    mutating func readAgreements(_ node: Node, clouds knownClouds: Set<String>) -> [Agreement] {
        guard let list = node.sequence else {
            self.fail("agreements", "expected a list of agreements")
            return []
        }
        var result: [Agreement] = []
        var ids = Set<String>()
        for (index, item) in list.enumerated() {
            let path = "agreements[\(index)]"
            guard let fields = self.fields(item, path, allowed: ["id", "terms"]) else { continue }
            guard let id = self.requiredString(fields["id"], path + ".id") else { continue }
            if !ids.insert(id).inserted { self.fail(path + ".id", "agreement \"\(id)\" is defined twice") }
            var terms: [ContractTerm] = []
            if let termList = fields["terms"]?.sequence, termList.count > 0 {
                for (termIndex, termNode) in termList.enumerated() {
                    let termPath = "\(path).terms[\(termIndex)]"
                    if let term = self.readTerm(
                        termNode,
                        termPath,
                        agreement: id,
                        number: termIndex + 1,
                        clouds: knownClouds
                    ) {
                        terms.append(term)
                    }
                }
            } else {
                self.fail(path + ".terms", "needs a list of at least one term")
            }
            result.append(Agreement(id: id, terms: terms))
        }
        return result
    }

    mutating func readTerm(
        _ node: Node,
        _ path: String,
        agreement: String,
        number: Int,
        clouds knownClouds: Set<String>
    ) -> ContractTerm? {
        let kinds: Set = ["first_access", "exclusive", "revenue_share"]
        guard let mapping = node.mapping, mapping.count == 1, let kindName = mapping.first?.key.scalar?.string,
            let body = mapping.first?.value
        else {
            self.fail(path, "expected one of first_access, exclusive, revenue_share with its fields")
            return nil
        }
        guard kinds.contains(kindName) else {
            self.fail(
                Self.join(path, kindName),
                "unknown term kind (expected one of: exclusive, first_access, revenue_share)"
            )
            return nil
        }
        let termPath = Self.join(path, kindName)
        let allowed: Set<String> =
            switch kindName {
            case "first_access": ["clouds", "models", "window", "from", "until"]
            case "exclusive": ["clouds", "models", "from", "until"]
            default: ["beneficiary", "percent", "models", "clouds", "from", "until"]
            }
        guard let fields = self.fields(body, termPath, allowed: allowed) else { return nil }
        let selector = self.readSelector(fields["models"], termPath + ".models")
        let from = self.instant(fields["from"], termPath + ".from", required: true)
        let until = self.instant(fields["until"], termPath + ".until", required: kindName != "first_access")
        if kindName != "first_access" && fields["until"] == nil {
            // The required-field error above already names it; say why.
            self.issues[self.issues.count - 1].message =
                "is required: \(kindName) terms run on fixed timelines and must end"
        }
        if let from, let until, until <= from { self.fail(termPath + ".until", "must be after from") }
        var clouds: [String]?
        if fields["clouds"] != nil {
            let list = self.stringList(fields["clouds"], termPath + ".clouds")
            if list.isEmpty { self.fail(termPath + ".clouds", "needs at least one cloud") }
            for cloud in list where !knownClouds.contains(cloud) {
                self.fail(
                    termPath + ".clouds",
                    "unknown cloud \"\(cloud)\" (clouds of the configured providers: \(knownClouds.sorted().joined(separator: ", ")))"
                )
            }
            clouds = list
        } else if kindName != "revenue_share" {
            self.fail(termPath + ".clouds", "is required")
        }
        let kind: ContractTerm.Kind
        switch kindName {
        case "first_access":
            guard let window = self.duration(fields["window"], termPath + ".window") else {
                if fields["window"] == nil { self.fail(termPath + ".window", "is required (e.g. 30d)") }
                return nil
            }
            kind = .firstAccess(clouds: clouds ?? [], window: window)
        case "exclusive":
            kind = .exclusive(clouds: clouds ?? [])
        default:
            let beneficiary = self.requiredString(fields["beneficiary"], termPath + ".beneficiary")
            var percent: Percent?
            if let text = self.string(fields["percent"], termPath + ".percent") {
                percent = Percent(parsing: text)
                if percent == nil || percent?.millionths == 0 {
                    self.fail(
                        termPath + ".percent",
                        "expected a percentage above 0 and at most 100 (at most 6 decimals), got \"\(text)\""
                    )
                }
            } else {
                self.fail(termPath + ".percent", "is required")
            }
            guard let beneficiary, let percent else { return nil }
            kind = .revenueShare(beneficiary: beneficiary, percent: percent, clouds: clouds)
        }
        guard let from, let selector else { return nil }
        return ContractTerm(
            agreementID: agreement,
            number: number,
            kind: kind,
            models: selector,
            from: from,
            until: until
        )
    }

    mutating func readSelector(_ node: Node?, _ path: String) -> ModelSelector? {
        guard let node else {
            self.fail(path, "is required (a name glob such as \"gpt-5*\", or {name, publisher, product})")
            return nil
        }
        if node.scalar != nil { return self.string(node, path).map { ModelSelector(name: $0) } }
        guard let fields = self.fields(node, path, allowed: ["name", "publisher", "product"]) else { return nil }
        let selector = ModelSelector(
            name: self.string(fields["name"], path + ".name"),
            publisher: self.string(fields["publisher"], path + ".publisher"),
            product: self.string(fields["product"], path + ".product")
        )
        if selector.name == nil && selector.publisher == nil && selector.product == nil {
            self.fail(path, "needs name, publisher or product (use name: \"*\" for every model)")
        }
        return selector
    }

    mutating func instant(_ node: Node?, _ path: String, required: Bool) -> Date? {
        guard let node else {
            if required { self.fail(path, "is required") }
            return nil
        }
        guard let text = self.string(node, path) else { return nil }
        guard let date = InstantText.parse(text) else {
            self.fail(path, "expected a UTC date (2030-12-31) or instant (2030-12-31T00:00:00Z), got \"\(text)\"")
            return nil
        }
        return date
    }
}
