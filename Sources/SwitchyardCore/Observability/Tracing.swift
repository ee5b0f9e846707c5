import Foundation

/// Where traces go (off unless configured): `tracing: {endpoint: http://collector:4318}`.
public struct TracingConfig: Sendable, Hashable {
    /// The OTLP/HTTP base URL; spans are posted to `ENDPOINT/v1/traces` as OTLP JSON.
    public var endpoint: String
    /// `service.name` of the exported resource.
    public var serviceName: String
    /// The share of new traces recorded (0…1); a client's `traceparent` decides for its own traces.
    public var sampleRatio: Double

    /// Creates a tracing configuration.
    public init(endpoint: String, serviceName: String = "switchyard", sampleRatio: Double = 1) {
        self.endpoint = endpoint
        self.serviceName = serviceName
        self.sampleRatio = sampleRatio
    }
}

/// A W3C trace context (`traceparent: 00-TRACEID-SPANID-FLAGS`), ids as lowercase hex.
public struct TraceContext: Sendable, Hashable {
    /// 32 hex digits, not all zero.
    public var traceID: String
    /// 16 hex digits, not all zero: the span this context points at.
    public var spanID: String
    /// Whether the trace is recorded.
    public var sampled: Bool

    /// Creates a context.
    public init(traceID: String, spanID: String, sampled: Bool) {
        self.traceID = traceID
        self.spanID = spanID
        self.sampled = sampled
    }

    /// Parses a `traceparent` header; `nil` for anything malformed (which the spec says to ignore).
    public init?(traceparent: String) {
        let parts = traceparent.trimmingCharacters(in: .whitespaces).split(
            separator: "-",
            omittingEmptySubsequences: false
        )
        guard parts.count >= 4, parts[0].count == 2, Self.isHex(parts[0]), parts[0] != "ff",
            parts[0] != "00" || parts.count == 4,
            parts[1].count == 32, Self.isHex(parts[1]), parts[1] != Substring(repeating: "0", count: 32),
            parts[2].count == 16, Self.isHex(parts[2]), parts[2] != Substring(repeating: "0", count: 16),
            parts[3].count == 2, Self.isHex(parts[3]), let flags = UInt8(parts[3], radix: 16)
        else { return nil }
        self.init(traceID: String(parts[1]), spanID: String(parts[2]), sampled: flags & 1 == 1)
    }

    /// The `traceparent` header value.
    public var traceparent: String { "00-\(self.traceID)-\(self.spanID)-\(self.sampled ? "01" : "00")" }

    /// A random, non-zero id of `bytes` bytes in hex.
    public static func randomID(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        while true {
            let values = (0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if values.contains(where: { $0 != 0 }) {
                return values.map {
                    String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16)
                }
                .joined()
            }
        }
    }

    private static func isHex(_ text: Substring) -> Bool {
        text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}

/// A finished span, ready for export.
public struct SpanRecord: Sendable, Equatable {
    /// OTLP span kinds.
    public enum Kind: Int, Sendable {
        case `internal` = 1
        case server = 2
        case client = 3
    }

    /// An attribute value.
    public enum Value: Sendable, Equatable {
        case string(String)
        case int(Int64)
        case double(Double)
        case bool(Bool)
    }

    public var name: String
    public var kind: Kind
    public var traceID: String
    public var spanID: String
    public var parentSpanID: String?
    public var start: Date
    public var end: Date
    public var attributes: [(String, Value)]
    /// Set when the span failed.
    public var errorMessage: String?

    /// Creates a span record.
    public init(
        name: String,
        kind: Kind,
        traceID: String,
        spanID: String,
        parentSpanID: String?,
        start: Date,
        end: Date,
        attributes: [(String, Value)] = [],
        errorMessage: String? = nil
    ) {
        self.name = name
        self.kind = kind
        self.traceID = traceID
        self.spanID = spanID
        self.parentSpanID = parentSpanID
        self.start = start
        self.end = end
        self.attributes = attributes
        self.errorMessage = errorMessage
    }

    public static func == (lhs: SpanRecord, rhs: SpanRecord) -> Bool {
        lhs.spanID == rhs.spanID && lhs.traceID == rhs.traceID && lhs.name == rhs.name
    }
}

/// OTLP/HTTP JSON encoding of spans (`ExportTraceServiceRequest`): ids in hex, times as
/// decimal strings of Unix nanoseconds, 64-bit integers as strings, as the protobuf JSON mapping
/// and the OTLP specification require.
public enum OTLPTraceJSON {
    /// The request body for `POST /v1/traces`.
    public static func encode(_ spans: [SpanRecord], serviceName: String) -> [UInt8] {
        var out = #"{"resourceSpans":[{"resource":{"attributes":["#
        Self.attribute("service.name", .string(serviceName), into: &out)
        out += #"]},"scopeSpans":[{"scope":{"name":"switchyard"},"spans":["#
        for (index, span) in spans.enumerated() {
            if index > 0 { out += "," }
            out += #"{"traceId":""# + span.traceID + #"","spanId":""# + span.spanID + "\""
            if let parent = span.parentSpanID { out += #","parentSpanId":""# + parent + "\"" }
            out += #","name":"#
            JSONText.appendQuoted(span.name, to: &out)
            out += #","kind":\#(span.kind.rawValue)"#
            out += #","startTimeUnixNano":"\#(Self.nanos(span.start))","endTimeUnixNano":"\#(Self.nanos(span.end))""#
            out += #","attributes":["#
            for (position, (key, value)) in span.attributes.enumerated() {
                if position > 0 { out += "," }
                Self.attribute(key, value, into: &out)
            }
            out += "]"
            if let message = span.errorMessage {
                out += #","status":{"code":2,"message":"#
                JSONText.appendQuoted(message, to: &out)
                out += "}"
            } else {
                out += #","status":{"code":1}"#
            }
            out += "}"
        }
        out += "]}]}]}"
        return Array(out.utf8)
    }

    static func nanos(_ date: Date) -> UInt64 {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        let fraction = date.timeIntervalSince1970 - seconds
        return UInt64(seconds) * 1_000_000_000 + UInt64((fraction * 1e9).rounded())
    }

    private static func attribute(_ key: String, _ value: SpanRecord.Value, into out: inout String) {
        out += #"{"key":"#
        JSONText.appendQuoted(key, to: &out)
        out += #","value":{"#
        switch value {
        case .string(let text):
            out += #""stringValue":"#
            JSONText.appendQuoted(text, to: &out)
        case .int(let number): out += #""intValue":"\#(number)""#
        case .double(let number): out += #""doubleValue":\#(number.isFinite ? "\(number)" : "0")"#
        case .bool(let flag): out += #""boolValue":\#(flag)"#
        }
        out += "}}"
    }
}
