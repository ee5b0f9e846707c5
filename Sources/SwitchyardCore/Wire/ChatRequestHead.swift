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
    /// The completion cap the client set (`max_completion_tokens` or `max_tokens`, the larger
    /// when both are set), used to reserve a request's maximum cost against limits.
    public let maxTokens: Int?

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
        var maxTokens: Int?
        for member in members {
            switch member.key {
            case "max_tokens", "max_completion_tokens":
                if case .number = member.kind,
                    let value = Int(String(decoding: body[member.value], as: UTF8.self)), value >= 0
                {
                    maxTokens = max(maxTokens ?? 0, value)
                }
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
            maxTokens: maxTokens,
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
    typealias Failure = JSONValue.ParseError

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

    private var lexer: JSONLexer
    private static let maxDepth = 256

    init(_ bytes: [UInt8]) { self.lexer = JSONLexer(bytes) }

    mutating func topLevelObject() throws(Failure) -> (members: [Member], closingBrace: Int) {
        self.lexer.skipWhitespace()
        guard self.lexer.peek() == UInt8(ascii: "{") else { throw self.lexer.failure("expected a JSON object") }
        var members: [Member] = []
        let closing = try self.object(depth: 0) { key, range, kind in
            members.append(Member(key: key, value: range, kind: kind))
        }
        self.lexer.skipWhitespace()
        guard self.lexer.isAtEnd else { throw self.lexer.failure("unexpected data after the JSON object") }
        return (members, closing)
    }

    /// Scans an object starting at `{`; calls `member` for each member; returns the index of `}`.
    private mutating func object(depth: Int, member: (String, Range<Int>, Kind) -> Void) throws(Failure) -> Int {
        guard depth < Self.maxDepth else { throw self.lexer.failure("nesting too deep") }
        self.lexer.index += 1
        self.lexer.skipWhitespace()
        if self.lexer.peek() == UInt8(ascii: "}") {
            self.lexer.index += 1
            return self.lexer.index - 1
        }
        while true {
            self.lexer.skipWhitespace()
            guard self.lexer.peek() == UInt8(ascii: "\"") else { throw self.lexer.failure("expected a member name") }
            let key = try self.lexer.string()
            self.lexer.skipWhitespace()
            guard self.lexer.peek() == UInt8(ascii: ":") else { throw self.lexer.failure("expected ':'") }
            self.lexer.index += 1
            self.lexer.skipWhitespace()
            let start = self.lexer.index
            let kind = try self.value(depth: depth + 1, wantsUsageFlag: depth == 0 && key == "stream_options")
            member(key, start..<self.lexer.index, kind)
            self.lexer.skipWhitespace()
            switch self.lexer.peek() {
            case UInt8(ascii: ","): self.lexer.index += 1
            case UInt8(ascii: "}"):
                self.lexer.index += 1
                return self.lexer.index - 1
            default: throw self.lexer.failure("expected ',' or '}'")
            }
        }
    }

    private mutating func value(depth: Int, wantsUsageFlag: Bool = false) throws(Failure) -> Kind {
        guard let byte = self.lexer.peek() else { throw self.lexer.failure("unexpected end of input") }
        switch byte {
        case UInt8(ascii: "\""): return .string(try self.lexer.string())
        case UInt8(ascii: "{"):
            var includeUsage: Bool?
            _ = try self.object(depth: depth) { key, _, kind in
                if wantsUsageFlag, key == "include_usage", case .bool(let flag) = kind { includeUsage = flag }
            }
            return .object(includeUsage: includeUsage)
        case UInt8(ascii: "["):
            guard depth < Self.maxDepth else { throw self.lexer.failure("nesting too deep") }
            self.lexer.index += 1
            self.lexer.skipWhitespace()
            var count = 0
            if self.lexer.peek() == UInt8(ascii: "]") {
                self.lexer.index += 1
                return .array(count: 0)
            }
            while true {
                self.lexer.skipWhitespace()
                _ = try self.value(depth: depth + 1)
                count += 1
                self.lexer.skipWhitespace()
                switch self.lexer.peek() {
                case UInt8(ascii: ","): self.lexer.index += 1
                case UInt8(ascii: "]"):
                    self.lexer.index += 1
                    return .array(count: count)
                default: throw self.lexer.failure("expected ',' or ']'")
                }
            }
        case UInt8(ascii: "t"):
            try self.lexer.literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try self.lexer.literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try self.lexer.literal("null")
            return .null
        default:
            _ = try self.lexer.number()
            return .number
        }
    }
}
