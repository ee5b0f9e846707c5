/// Picks models by name glob (`gpt-5*`), publisher and product line; every given field must match.
public struct ModelSelector: Sendable, Hashable, CustomStringConvertible {
    /// A glob over the model name: `*` any run of characters, `?` one character.
    public var name: String?
    /// The publisher, exactly.
    public var publisher: String?
    /// The product line, exactly.
    public var product: String?

    /// Creates a selector; with no field set it matches every model.
    public init(name: String? = nil, publisher: String? = nil, product: String? = nil) {
        self.name = name
        self.publisher = publisher
        self.product = product
    }

    /// Whether `model` is selected.
    public func matches(_ model: ModelConfig) -> Bool {
        if let publisher = self.publisher, model.publisher != publisher { return false }
        if let product = self.product, model.product != product { return false }
        if let name = self.name, !Self.glob(name, matches: model.name) { return false }
        return true
    }

    /// `name=gpt-5*, publisher=openai, product=frontier` (only the fields set).
    public var description: String {
        let parts = [("name", self.name), ("publisher", self.publisher), ("product", self.product)]
            .compactMap { key, value in value.map { "\(key)=\($0)" } }
        return parts.isEmpty ? "all models" : parts.joined(separator: ", ")
    }

    /// Glob matching with `*` and `?`, iterative with backtracking to the last star.
    static func glob(_ pattern: String, matches text: String) -> Bool {
        let pattern = Array(pattern.unicodeScalars)
        let text = Array(text.unicodeScalars)
        var p = 0
        var t = 0
        var star: Int?
        var resume = 0
        while t < text.count {
            if p < pattern.count && (pattern[p] == "?" || pattern[p] == text[t]) {
                p += 1
                t += 1
            } else if p < pattern.count && pattern[p] == "*" {
                star = p
                resume = t
                p += 1
            } else if let starIndex = star {
                p = starIndex + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.count && pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}
