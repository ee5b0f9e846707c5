/// A JSON document as a value, members kept in their order, numbers kept as their exact text.
///
/// Translation adapters parse client and upstream bodies into this, read what they need, and
/// write upstream bodies from it. Numbers keep their original text so `0.3` stays `0.3` and
/// int64 seeds survive a round trip.
public enum JSONValue: Sendable, Equatable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, as its JSON text.
    case number(String)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object; members in order (duplicate names are kept; lookups take the first).
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b || (Double(a) != nil && Double(a) == Double(b))
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// An integer number.
    public static func int(_ value: Int) -> JSONValue { .number(String(value)) }

    /// The member `key` of an object (the first, if repeated), or nil.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// The string, if this is one.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The boolean, if this is one.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The number as an integer, if it is a whole number.
    public var intValue: Int? {
        guard case .number(let text) = self else { return nil }
        if let value = Int(text) { return value }
        if let value = Double(text), value.rounded() == value, abs(value) < 9e15 { return Int(value) }
        return nil
    }

    /// The number as a double.
    public var doubleValue: Double? {
        if case .number(let text) = self { return Double(text) }
        return nil
    }

    /// The elements, if this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The members, if this is an object.
    public var objectValue: [(String, JSONValue)]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// Whether this is `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// A JSON object built from members, skipping nil values.
    public static func members(_ pairs: [(String, JSONValue?)]) -> JSONValue {
        .object(pairs.compactMap { key, value in value.map { (key, $0) } })
    }

    // MARK: parsing

    /// Parses a complete JSON text.
    /// - Throws: ``JSONValue/ParseError`` with the offset of the first problem.
    public static func parse(_ bytes: some Collection<UInt8>) throws(ParseError) -> JSONValue {
        var parser = JSONParser(Array(bytes))
        return try parser.document()
    }

    /// Parses a complete JSON text from a string.
    public static func parse(_ text: String) throws(ParseError) -> JSONValue { try Self.parse(Array(text.utf8)) }

    /// Why a text is not JSON.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        /// What is wrong.
        public var reason: String
        /// The byte offset.
        public var offset: Int
        public var description: String { "\(self.reason) at byte \(self.offset)" }
    }

    // MARK: writing

    /// The compact JSON text.
    public var jsonText: String {
        var out: [UInt8] = []
        self.write(into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The compact JSON bytes.
    public var jsonBytes: [UInt8] {
        var out: [UInt8] = []
        self.write(into: &out)
        return out
    }

    /// Appends the compact JSON text to `out`.
    public func write(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case .number(let text): out.append(contentsOf: text.utf8)
        case .string(let text): Self.writeString(text, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                element.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(member.0, into: &out)
                out.append(UInt8(ascii: ":"))
                member.1.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Appends `text` as a JSON string literal.
    public static func writeString(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), 0x30, 0x30])
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// A recursive-descent JSON parser (RFC 8259) that keeps member order and number text.
private struct JSONParser {
    var lexer: JSONLexer
    static let maxDepth = 512

    init(_ bytes: [UInt8]) { self.lexer = JSONLexer(bytes) }

    mutating func document() throws(JSONValue.ParseError) -> JSONValue {
        self.lexer.skipWhitespace()
        let value = try self.value(depth: 0)
        self.lexer.skipWhitespace()
        guard self.lexer.index == self.lexer.bytes.count else {
            throw self.lexer.failure("unexpected data after the JSON value")
        }
        return value
    }

    mutating func value(depth: Int) throws(JSONValue.ParseError) -> JSONValue {
        guard depth < Self.maxDepth else { throw self.lexer.failure("nesting too deep") }
        guard self.lexer.index < self.lexer.bytes.count else { throw self.lexer.failure("unexpected end of input") }
        switch self.lexer.bytes[self.lexer.index] {
        case UInt8(ascii: "{"):
            self.lexer.index += 1
            var members: [(String, JSONValue)] = []
            self.lexer.skipWhitespace()
            if self.lexer.peek() == UInt8(ascii: "}") {
                self.lexer.index += 1
                return .object(members)
            }
            while true {
                self.lexer.skipWhitespace()
                guard self.lexer.peek() == UInt8(ascii: "\"") else {
                    throw self.lexer.failure("expected a member name")
                }
                let key = try self.lexer.string()
                self.lexer.skipWhitespace()
                guard self.lexer.peek() == UInt8(ascii: ":") else { throw self.lexer.failure("expected ':'") }
                self.lexer.index += 1
                self.lexer.skipWhitespace()
                members.append((key, try self.value(depth: depth + 1)))
                self.lexer.skipWhitespace()
                switch self.lexer.peek() {
                case UInt8(ascii: ","): self.lexer.index += 1
                case UInt8(ascii: "}"):
                    self.lexer.index += 1
                    return .object(members)
                default: throw self.lexer.failure("expected ',' or '}'")
                }
            }
        case UInt8(ascii: "["):
            self.lexer.index += 1
            var elements: [JSONValue] = []
            self.lexer.skipWhitespace()
            if self.lexer.peek() == UInt8(ascii: "]") {
                self.lexer.index += 1
                return .array(elements)
            }
            while true {
                self.lexer.skipWhitespace()
                elements.append(try self.value(depth: depth + 1))
                self.lexer.skipWhitespace()
                switch self.lexer.peek() {
                case UInt8(ascii: ","): self.lexer.index += 1
                case UInt8(ascii: "]"):
                    self.lexer.index += 1
                    return .array(elements)
                default: throw self.lexer.failure("expected ',' or ']'")
                }
            }
        case UInt8(ascii: "\""): return .string(try self.lexer.string())
        case UInt8(ascii: "t"):
            try self.lexer.literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try self.lexer.literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try self.lexer.literal("null")
            return .null
        default: return .number(String(decoding: self.lexer.bytes[try self.lexer.number()], as: UTF8.self))
        }
    }
}
