import Foundation

/// The tokens of JSON (RFC 8259): whitespace, literals, numbers and strings, with the position
/// of the first problem. Shared by the full parser (``JSONValue/parse(_:)``) and the hot-path
/// scanner of ``ChatRequestHead``, which differ only in what they build from the tokens.
struct JSONLexer {
    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func failure(_ reason: String) -> JSONValue.ParseError { JSONValue.ParseError(reason: reason, offset: self.index) }

    var isAtEnd: Bool { self.index == self.bytes.count }

    mutating func skipWhitespace() {
        while self.index < self.bytes.count {
            switch self.bytes[self.index] {
            case 0x20, 0x09, 0x0A, 0x0D: self.index += 1
            default: return
            }
        }
    }

    func peek() -> UInt8? { self.index < self.bytes.count ? self.bytes[self.index] : nil }

    mutating func literal(_ word: StaticString) throws(JSONValue.ParseError) {
        let count = word.utf8CodeUnitCount
        guard self.index + count <= self.bytes.count else { throw self.failure("invalid literal") }
        let matches = word.withUTF8Buffer { expected in
            self.bytes[self.index..<(self.index + count)].elementsEqual(expected)
        }
        guard matches else { throw self.failure("invalid literal") }
        self.index += count
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// Scans a number and returns its bytes' range.
    mutating func number() throws(JSONValue.ParseError) -> Range<Int> {
        let start = self.index
        if self.peek() == UInt8(ascii: "-") { self.index += 1 }
        guard let first = self.peek(), Self.isDigit(first) else { throw self.failure("invalid value") }
        if first == 0x30 {
            self.index += 1
        } else {
            while let byte = self.peek(), Self.isDigit(byte) { self.index += 1 }
        }
        if self.peek() == UInt8(ascii: ".") {
            self.index += 1
            guard let next = self.peek(), Self.isDigit(next) else { throw self.failure("invalid number") }
            while let byte = self.peek(), Self.isDigit(byte) { self.index += 1 }
        }
        if self.peek() == UInt8(ascii: "e") || self.peek() == UInt8(ascii: "E") {
            self.index += 1
            if self.peek() == UInt8(ascii: "+") || self.peek() == UInt8(ascii: "-") { self.index += 1 }
            guard let next = self.peek(), Self.isDigit(next) else { throw self.failure("invalid number") }
            while let byte = self.peek(), Self.isDigit(byte) { self.index += 1 }
        }
        return start..<self.index
    }

    mutating func hex4() throws(JSONValue.ParseError) -> UInt32 {
        guard self.index + 4 <= self.bytes.count else { throw self.failure("invalid \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = self.bytes[self.index]
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: throw self.failure("invalid \\u escape")
            }
            value = value << 4 | digit
            self.index += 1
        }
        return value
    }

    mutating func string() throws(JSONValue.ParseError) -> String {
        self.index += 1
        let start = self.index
        // Fast path: no escapes.
        while self.index < self.bytes.count {
            let byte = self.bytes[self.index]
            if byte == UInt8(ascii: "\"") {
                let raw = self.bytes[start..<self.index]
                self.index += 1
                guard let text = String(validating: raw, as: UTF8.self) else { throw self.failure("invalid UTF-8") }
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw self.failure("control character in string") }
            self.index += 1
        }
        var out: [UInt8] = Array(self.bytes[start..<min(self.index, self.bytes.count)])
        while true {
            guard self.index < self.bytes.count else { throw self.failure("unterminated string") }
            let byte = self.bytes[self.index]
            switch byte {
            case UInt8(ascii: "\""):
                self.index += 1
                guard let text = String(validating: out, as: UTF8.self) else { throw self.failure("invalid UTF-8") }
                return text
            case UInt8(ascii: "\\"):
                self.index += 1
                guard let escaped = self.peek() else { throw self.failure("unterminated string") }
                self.index += 1
                switch escaped {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try self.hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard self.peek() == UInt8(ascii: "\\"), self.index + 1 < self.bytes.count,
                            self.bytes[self.index + 1] == UInt8(ascii: "u")
                        else { throw self.failure("unpaired surrogate") }
                        self.index += 2
                        let low = try self.hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw self.failure("unpaired surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw self.failure("invalid \\u escape") }
                    out.append(contentsOf: String(Character(unicode)).utf8)
                default: throw self.failure("invalid escape")
                }
            case 0..<0x20: throw self.failure("control character in string")
            default:
                out.append(byte)
                self.index += 1
            }
        }
    }
}
