/// One problem found in a configuration file, located by its path
/// (`models.gpt-5.deployments[1].provider: unknown provider "bedrock-wst"`).
public struct ConfigIssue: Sendable, Hashable, CustomStringConvertible {
    /// The dotted path of the offending field.
    public var path: String
    /// What is wrong. Never contains a secret value.
    public var message: String

    /// Creates an issue.
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { self.path.isEmpty ? self.message : "\(self.path): \(self.message)" }
}

/// The configuration is invalid; ``issues`` lists every problem found.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    /// All problems, in file order.
    public var issues: [ConfigIssue]

    /// Creates an error.
    public init(issues: [ConfigIssue]) { self.issues = issues }

    public var description: String { self.issues.map(\.description).joined(separator: "\n") }
}
