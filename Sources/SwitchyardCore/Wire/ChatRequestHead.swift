import Foundation

/// What routing needs from a chat completion request, read without decoding the rest.
///
/// ``parse(_:)`` validates the whole body as JSON in one pass but only looks at the top-level
/// `model`, `stream`, `stream_options` and `messages`; ``upstreamBody(model:includeUsage:)``
/// splices the deployment's target name (and, for streams, `stream_options.include_usage`) into
/// the original bytes, leaving everything else untouched.
public struct ChatRequestHead: Sendable {
    /// The original body.
    public let body: [UInt8]
    /// The model the client asked for.
    public let model: String
    /// Whether the client asked for a stream.
    public let stream: Bool
    /// Whether the client asked for the usage chunk (`stream_options.include_usage`).
    public let clientWantsUsage: Bool
    /// Number of messages.
    public let messageCount: Int

    let modelValue: Range<Int>
    let streamOptionsValue: Range<Int>?
    let closingBrace: Int

    /// Reads the routing fields of a chat completion body.
    /// - Throws: ``GatewayError`` with code `invalid_request` when the body is not a JSON object or
    ///   `model`/`messages` are missing or of the wrong type.
    public static func parse(_ body: [UInt8]) throws(GatewayError) -> ChatRequestHead {
        var scanner = JSONScanner(body)
        let members: [JSONScanner.Member]
        let closingBrace: Int
        do {
            (members, closingBrace) = try scanner.topLevelObject()
        } catch {
            throw GatewayError(
                code: .invalidRequest,
                message: "We could not parse the JSON body of your request: \(error.reason) at byte \(error.offset)."
            )
        }
        var model: String?
        var modelValue: Range<Int>?
        var stream = false
        var wantsUsage = false
        var streamOptionsValue: Range<Int>?
        var messageCount: Int?
        for member in members {
            switch member.key {
            case "model":
                guard case .string(let value) = member.kind else {
                    throw GatewayError(code: .invalidRequest, message: "'model' must be a string.", param: "model")
                }
                model = value
                modelValue = member.value
            case "stream":
                switch member.kind {
                case .bool(let value): stream = value
                case .null: stream = false
                default:
                    throw GatewayError(code: .invalidRequest, message: "'stream' must be a boolean.", param: "stream")
                }
            case "stream_options":
                switch member.kind {
                case .object(let includeUsage): wantsUsage = includeUsage ?? false
                case .null: break
                default:
                    throw GatewayError(
                        code: .invalidRequest,
                        message: "'stream_options' must be an object.",
                        param: "stream_options"
                    )
                }
                streamOptionsValue = member.value
            case "messages":
                guard case .array(let count) = member.kind else {
                    throw GatewayError(
                        code: .invalidRequest,
                        message: "'messages' must be an array.",
                        param: "messages"
                    )
                }
                messageCount = count
            default: break
            }
        }
        guard let model, let modelValue, !model.isEmpty else {
            throw GatewayError(code: .invalidRequest, message: "You must provide a model parameter.", param: "model")
        }
        guard let messageCount else {
            throw GatewayError(code: .invalidRequest, message: "'messages' is a required property.", param: "messages")
        }
        guard messageCount > 0 else {
            throw GatewayError(
                code: .invalidRequest,
                message: "'messages' must contain at least one message.",
                param: "messages"
            )
        }
        return ChatRequestHead(
            body: body,
            model: model,
            stream: stream,
            clientWantsUsage: stream && wantsUsage,
            messageCount: messageCount,
            modelValue: modelValue,
            streamOptionsValue: streamOptionsValue,
            closingBrace: closingBrace
        )
    }

    /// The body to send upstream: `model` replaced by `model`, and for streams
    /// `stream_options.include_usage` forced on when `includeUsage` is set, so usage is always captured.
    public func upstreamBody(model: String, includeUsage: Bool) -> [UInt8] {
        var edits: [(range: Range<Int>, text: String)] = [(self.modelValue, JSONText.quoted(model))]
        if includeUsage && self.stream && !self.clientWantsUsage {
            let options = #"{"include_usage":true}"#
            if let range = self.streamOptionsValue {
                edits.append((range, options))
            } else {
                edits.append((self.closingBrace..<self.closingBrace, #","stream_options":"# + options))
            }
        }
        edits.sort { $0.range.lowerBound < $1.range.lowerBound }
        var out = [UInt8]()
        out.reserveCapacity(self.body.count + 64)
        var cursor = 0
        for edit in edits {
            out.append(contentsOf: self.body[cursor..<edit.range.lowerBound])
            out.append(contentsOf: Array(edit.text.utf8))
            cursor = edit.range.upperBound
        }
        out.append(contentsOf: self.body[cursor...])
        return out
    }
}

/// A validating single-pass JSON scanner that reports the top-level members of an object.
struct JSONScanner {
    struct Failure: Error {
        var reason: String
        var offset: Int
    }

    /// What the scanner remembers about a top-level value.
    enum Kind {
        case string(String)
        case bool(Bool)
        case null
        case number
        /// An object; for `stream_options` the value of its `include_usage` member, if boolean.
        case object(includeUsage: Bool?)
        /// An array and its element count.
        case array(count: Int)
    }

    struct Member {
        var key: String
        var value: Range<Int>
        var kind: Kind
    }

    private let bytes: [UInt8]
    private var index = 0
    private static let maxDepth = 256

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func topLevelObject() throws(Failure) -> (members: [Member], closingBrace: Int) {
        self.skipWhitespace()
        guard self.peek() == UInt8(ascii: "{") else { throw self.failure("expected a JSON object") }
        var members: [Member] = []
        let closing = try self.object(depth: 0) { key, range, kind in
            members.append(Member(key: key, value: range, kind: kind))
        }
        self.skipWhitespace()
        guard self.index == self.bytes.count else { throw self.failure("unexpected data after the JSON object") }
        return (members, closing)
    }

    private func failure(_ reason: String) -> Failure { Failure(reason: reason, offset: self.index) }

    private func peek() -> UInt8? { self.index < self.bytes.count ? self.bytes[self.index] : nil }

    private mutating func skipWhitespace() {
        while self.index < self.bytes.count {
            switch self.bytes[self.index] {
            case 0x20, 0x09, 0x0A, 0x0D: self.index += 1
            default: return
            }
        }
    }

    /// Scans an object starting at `{`; calls `member` for each member; returns the index of `}`.
    private mutating func object(depth: Int, member: (String, Range<Int>, Kind) -> Void) throws(Failure) -> Int {
        guard depth < Self.maxDepth else { throw self.failure("nesting too deep") }
        self.index += 1
        self.skipWhitespace()
        if self.peek() == UInt8(ascii: "}") {
            self.index += 1
            return self.index - 1
        }
        while true {
            self.skipWhitespace()
            guard self.peek() == UInt8(ascii: "\"") else { throw self.failure("expected a member name") }
            let key = try self.string()
            self.skipWhitespace()
            guard self.peek() == UInt8(ascii: ":") else { throw self.failure("expected ':'") }
            self.index += 1
            self.skipWhitespace()
            let start = self.index
            let kind = try self.value(depth: depth + 1, wantsUsageFlag: depth == 0 && key == "stream_options")
            member(key, start..<self.index, kind)
            self.skipWhitespace()
            switch self.peek() {
            case UInt8(ascii: ","): self.index += 1
            case UInt8(ascii: "}"):
                self.index += 1
                return self.index - 1
            default: throw self.failure("expected ',' or '}'")
            }
        }
    }

    private mutating func value(depth: Int, wantsUsageFlag: Bool = false) throws(Failure) -> Kind {
        guard let byte = self.peek() else { throw self.failure("unexpected end of input") }
        switch byte {
        case UInt8(ascii: "\""): return .string(try self.string())
        case UInt8(ascii: "{"):
            var includeUsage: Bool?
            _ = try self.object(depth: depth) { key, _, kind in
                if wantsUsageFlag, key == "include_usage", case .bool(let flag) = kind { includeUsage = flag }
            }
            return .object(includeUsage: includeUsage)
        case UInt8(ascii: "["):
            guard depth < Self.maxDepth else { throw self.failure("nesting too deep") }
            self.index += 1
            self.skipWhitespace()
            var count = 0
            if self.peek() == UInt8(ascii: "]") {
                self.index += 1
                return .array(count: 0)
            }
            while true {
                self.skipWhitespace()
                _ = try self.value(depth: depth + 1)
                count += 1
                self.skipWhitespace()
                switch self.peek() {
                case UInt8(ascii: ","): self.index += 1
                case UInt8(ascii: "]"):
                    self.index += 1
                    return .array(count: count)
                default: throw self.failure("expected ',' or ']'")
                }
            }
        case UInt8(ascii: "t"):
            try self.literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try self.literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try self.literal("null")
            return .null
        default:
            try self.number()
            return .number
        }
    }

    private mutating func literal(_ word: String) throws(Failure) {
        let expected = word.utf8
        guard self.index + expected.count <= self.bytes.count,
            self.bytes[self.index..<(self.index + expected.count)].elementsEqual(expected)
        else { throw self.failure("invalid literal") }
        self.index += expected.count
    }

    private mutating func number() throws(Failure) {
        let start = self.index
        if self.peek() == UInt8(ascii: "-") { self.index += 1 }
        guard let first = self.peek(), Self.isDigit(first) else { throw self.failure("invalid value") }
        if first == UInt8(ascii: "0") { self.index += 1 } else { self.digits() }
        if self.peek() == UInt8(ascii: ".") {
            self.index += 1
            guard let next = self.peek(), Self.isDigit(next) else { throw self.failure("invalid number") }
            self.digits()
        }
        if self.peek() == UInt8(ascii: "e") || self.peek() == UInt8(ascii: "E") {
            self.index += 1
            if self.peek() == UInt8(ascii: "+") || self.peek() == UInt8(ascii: "-") { self.index += 1 }
            guard let next = self.peek(), Self.isDigit(next) else { throw self.failure("invalid number") }
            self.digits()
        }
        if self.index == start { throw self.failure("invalid value") }
    }

    private mutating func digits() {
        while let byte = self.peek(), Self.isDigit(byte) { self.index += 1 }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// Scans a string starting at `"` and returns its decoded value.
    private mutating func string() throws(Failure) -> String {
        self.index += 1
        let start = self.index
        var hasEscapes = false
        while true {
            guard let byte = self.peek() else { throw self.failure("unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                let raw = self.bytes[start..<self.index]
                self.index += 1
                if !hasEscapes {
                    guard let text = String(validating: raw, as: UTF8.self) else { throw self.failure("invalid UTF-8") }
                    return text
                }
                return try self.unescape(raw)
            case UInt8(ascii: "\\"):
                hasEscapes = true
                self.index += 1
                guard let escaped = self.peek() else { throw self.failure("unterminated string") }
                switch escaped {
                case UInt8(ascii: "u"):
                    guard self.index + 4 < self.bytes.count,
                        (1...4).allSatisfy({ Self.isHexDigit(self.bytes[self.index + $0]) })
                    else { throw self.failure("invalid \\u escape") }
                    self.index += 5
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    self.index += 1
                default: throw self.failure("invalid escape")
                }
            case 0..<0x20: throw self.failure("control character in string")
            default: self.index += 1
            }
        }
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F"))
    }

    /// Decodes an escaped string (rare on the hot path: model names have no escapes).
    private func unescape(_ raw: ArraySlice<UInt8>) throws(Failure) -> String {
        let quoted = [UInt8(ascii: "\"")] + raw + [UInt8(ascii: "\"")]
        guard let text = try? JSONDecoder().decode(String.self, from: Data(quoted)) else {
            throw self.failure("invalid string")
        }
        return text
    }
}
