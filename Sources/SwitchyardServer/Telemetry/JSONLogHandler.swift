import Foundation
import Logging
import SwitchyardCore
import Synchronization

/// Writes each log record as one JSON object per line to standard output:
/// `{"time":"…Z","level":"info","label":"switchyard","message":"request","request_id":"…",…}`.
///
/// Metadata keys become top-level fields (the record's own fields win on a clash); values are
/// strings, or arrays/objects for nested metadata. Lines are written whole under a lock.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String

    /// A handler for `label`; pass it to `LoggingSystem.bootstrap`.
    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = self.metadata
        if let provided = self.metadataProvider?.get() { fields.merge(provided) { _, new in new } }
        if let extra = event.metadata { fields.merge(extra) { _, new in new } }
        var line = "{\"time\":"
        JSONText.appendQuoted(Self.timestamp(), to: &line)
        line += ",\"level\":"
        JSONText.appendQuoted(event.level.rawValue, to: &line)
        line += ",\"label\":"
        JSONText.appendQuoted(self.label, to: &line)
        line += ",\"message\":"
        JSONText.appendQuoted(event.message.description, to: &line)
        for key in fields.keys.sorted() where !["time", "level", "label", "message"].contains(key) {
            line += ","
            JSONText.appendQuoted(key, to: &line)
            line += ":"
            Self.append(fields[key] ?? .string(""), to: &line)
        }
        line += "}\n"
        let bytes = Data(line.utf8)
        Self.output.withLock { _ in FileHandle.standardOutput.write(bytes) }
    }

    private static let output = Mutex(())

    static func timestamp() -> String {
        Date.now.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
    }

    private static func append(_ value: Logger.Metadata.Value, to line: inout String) {
        switch value {
        case .string(let text): JSONText.appendQuoted(text, to: &line)
        case .stringConvertible(let value): JSONText.appendQuoted(value.description, to: &line)
        case .array(let values):
            line += "["
            for (index, value) in values.enumerated() {
                if index > 0 { line += "," }
                Self.append(value, to: &line)
            }
            line += "]"
        case .dictionary(let values):
            line += "{"
            for (index, key) in values.keys.sorted().enumerated() {
                if index > 0 { line += "," }
                JSONText.appendQuoted(key, to: &line)
                line += ":"
                Self.append(values[key] ?? .string(""), to: &line)
            }
            line += "}"
        }
    }
}
