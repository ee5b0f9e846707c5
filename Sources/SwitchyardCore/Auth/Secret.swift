/// A secret value (API key, password, connection string) whose description never reveals it.
///
/// Interpolating a `Secret` into a log message or an error prints `<redacted>`; only code that
/// must send the value upstream reads ``value``.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret itself. Read it only to put it on the wire.
    public let value: String

    /// Wraps a secret value.
    public init(_ value: String) { self.value = value }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}
