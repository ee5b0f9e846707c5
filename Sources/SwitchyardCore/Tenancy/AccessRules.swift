/// What a tenant or a key may use. `nil` means "any"; an empty list means "none".
public struct AccessRules: Hashable, Sendable {
    /// Model names the caller may ask for.
    public var models: [String]?
    /// Clouds the caller may be served on.
    public var clouds: [String]?
    /// Regions the caller may be served in.
    public var regions: [String]?

    /// Creates rules; all default to "any".
    public init(models: [String]? = nil, clouds: [String]? = nil, regions: [String]? = nil) {
        self.models = models
        self.clouds = clouds
        self.regions = regions
    }

    /// No restriction.
    public static let any = AccessRules()

    /// Whether `model` may be asked for.
    public func allows(model: String) -> Bool { self.models.map { $0.contains(model) } ?? true }

    /// The rules that satisfy both `self` and `other` (a key narrows its tenant).
    public func narrowed(by other: AccessRules) -> AccessRules {
        AccessRules(
            models: Self.intersect(self.models, other.models),
            clouds: Self.intersect(self.clouds, other.clouds),
            regions: Self.intersect(self.regions, other.regions)
        )
    }

    private static func intersect(_ lhs: [String]?, _ rhs: [String]?) -> [String]? {
        guard let lhs else { return rhs }
        guard let rhs else { return lhs }
        return lhs.filter(rhs.contains)
    }
}
