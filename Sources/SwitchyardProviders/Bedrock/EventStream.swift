import SwitchyardCore

/// A header value of an `application/vnd.amazon.eventstream` message (all ten wire types).
public enum EventStreamHeaderValue: Sendable, Equatable {
    /// Types 0 and 1.
    case bool(Bool)
    /// Type 2.
    case byte(Int8)
    /// Type 3.
    case short(Int16)
    /// Type 4.
    case integer(Int32)
    /// Type 5.
    case long(Int64)
    /// Type 6.
    case bytes([UInt8])
    /// Type 7.
    case string(String)
    /// Type 8: milliseconds since the epoch.
    case timestamp(Int64)
    /// Type 9: 16 bytes.
    case uuid([UInt8])
}

/// One event-stream message.
public struct EventStreamMessage: Sendable, Equatable {
    /// Headers by name.
    public var headers: [String: EventStreamHeaderValue]
    /// The payload (JSON for Bedrock).
    public var payload: [UInt8]

    /// Creates a message.
    public init(headers: [String: EventStreamHeaderValue], payload: [UInt8]) {
        self.headers = headers
        self.payload = payload
    }

    /// A string header's value.
    public func string(_ name: String) -> String? {
        if case .string(let value) = self.headers[name] { return value }
        return nil
    }
}

/// Why an event stream cannot be decoded.
public struct EventStreamError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The failure class; extensible.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { self.name }
        /// The prelude CRC does not match.
        public static let preludeChecksum = Code(name: "prelude_checksum")
        /// The message CRC does not match.
        public static let messageChecksum = Code(name: "message_checksum")
        /// Lengths are impossible or beyond the limits.
        public static let invalidLength = Code(name: "invalid_length")
        /// A header is cut short, repeated or of an unknown type.
        public static let invalidHeaders = Code(name: "invalid_headers")
    }

    /// The failure class.
    public var code: Code
    public var description: String { "event stream: \(self.code)" }
}

/// Splits a byte stream into event-stream messages, whatever the read boundaries (§3.5 of the
/// wire reference). A pure state machine: ``push(_:)`` bytes, then call ``next()`` until nil.
public struct EventStreamDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0

    /// The largest message accepted (aws-c-event-stream's limit).
    public static let maxMessageBytes = 24 << 20
    /// The largest headers section accepted (botocore's limit).
    public static let maxHeaderBytes = 128 << 10

    /// Creates a decoder.
    public init() {}

    /// Appends bytes as they arrived.
    public mutating func push(_ bytes: some Sequence<UInt8>) {
        if self.start > 0 && self.start >= self.buffer.count / 2 {
            self.buffer.removeFirst(self.start)
            self.start = 0
        }
        self.buffer.append(contentsOf: bytes)
    }

    /// Whether bytes of an unfinished message are buffered.
    public var hasPartialMessage: Bool { self.start < self.buffer.count }

    /// The next complete message, or nil until more bytes arrive.
    /// - Throws: ``EventStreamError`` on a CRC mismatch or malformed framing (the stream is then unusable).
    public mutating func next() throws(EventStreamError) -> EventStreamMessage? {
        let available = self.buffer.count - self.start
        guard available >= 12 else { return nil }
        let base = self.start
        let totalLength = Int(self.uint32(at: base))
        let headersLength = Int(self.uint32(at: base + 4))
        let preludeCRC = self.uint32(at: base + 8)
        guard CRC32.checksum(self.buffer[base..<(base + 8)]) == preludeCRC else {
            throw EventStreamError(code: .preludeChecksum)
        }
        guard totalLength >= 16, totalLength <= Self.maxMessageBytes, headersLength <= Self.maxHeaderBytes,
            headersLength <= totalLength - 16
        else { throw EventStreamError(code: .invalidLength) }
        guard available >= totalLength else { return nil }
        let end = base + totalLength
        let messageCRC = self.uint32(at: end - 4)
        guard CRC32.checksum(self.buffer[(base + 8)..<(end - 4)], seed: preludeCRC) == messageCRC else {
            throw EventStreamError(code: .messageChecksum)
        }
        let headers = try Self.headers(self.buffer[(base + 12)..<(base + 12 + headersLength)])
        let payload = Array(self.buffer[(base + 12 + headersLength)..<(end - 4)])
        self.start = end
        return EventStreamMessage(headers: headers, payload: payload)
    }

    private func uint32(at index: Int) -> UInt32 {
        UInt32(self.buffer[index]) << 24 | UInt32(self.buffer[index + 1]) << 16 | UInt32(self.buffer[index + 2]) << 8
            | UInt32(self.buffer[index + 3])
    }

    /// Decodes the headers section, size-skipping nothing: every type is read (and so sized) exactly.
    static func headers(_ bytes: ArraySlice<UInt8>) throws(EventStreamError) -> [String: EventStreamHeaderValue] {
        var headers: [String: EventStreamHeaderValue] = [:]
        var index = bytes.startIndex
        func take(_ count: Int) throws(EventStreamError) -> ArraySlice<UInt8> {
            guard count >= 0, bytes.endIndex - index >= count else { throw EventStreamError(code: .invalidHeaders) }
            defer { index += count }
            return bytes[index..<(index + count)]
        }
        func integer(_ count: Int) throws(EventStreamError) -> UInt64 {
            try take(count).reduce(0) { $0 << 8 | UInt64($1) }
        }
        while index < bytes.endIndex {
            let nameLength = Int(try integer(1))
            guard nameLength > 0 else { throw EventStreamError(code: .invalidHeaders) }
            guard let name = String(validating: try take(nameLength), as: UTF8.self) else {
                throw EventStreamError(code: .invalidHeaders)
            }
            let value: EventStreamHeaderValue
            switch try integer(1) {
            case 0: value = .bool(true)
            case 1: value = .bool(false)
            case 2: value = .byte(Int8(bitPattern: UInt8(try integer(1))))
            case 3: value = .short(Int16(bitPattern: UInt16(try integer(2))))
            case 4: value = .integer(Int32(bitPattern: UInt32(try integer(4))))
            case 5: value = .long(Int64(bitPattern: try integer(8)))
            case 6: value = .bytes(Array(try take(Int(try integer(2)))))
            case 7:
                guard let text = String(validating: try take(Int(try integer(2))), as: UTF8.self) else {
                    throw EventStreamError(code: .invalidHeaders)
                }
                value = .string(text)
            case 8: value = .timestamp(Int64(bitPattern: try integer(8)))
            case 9: value = .uuid(Array(try take(16)))
            default: throw EventStreamError(code: .invalidHeaders)
            }
            guard headers.updateValue(value, forKey: name) == nil else { throw EventStreamError(code: .invalidHeaders) }
        }
        return headers
    }
}

/// Writes event-stream messages (the simulator's Bedrock streams, tests).
public enum EventStreamEncoder {
    /// One message with `headers` in the given order.
    public static func encode(headers: [(String, EventStreamHeaderValue)], payload: [UInt8]) -> [UInt8] {
        var headerBytes: [UInt8] = []
        func append(_ value: UInt64, _ count: Int) {
            for shift in stride(from: (count - 1) * 8, through: 0, by: -8) {
                headerBytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
            }
        }
        for (name, value) in headers {
            let nameBytes = Array(name.utf8)
            headerBytes.append(UInt8(nameBytes.count))
            headerBytes.append(contentsOf: nameBytes)
            switch value {
            case .bool(let flag): headerBytes.append(flag ? 0 : 1)
            case .byte(let v):
                headerBytes.append(2)
                append(UInt64(UInt8(bitPattern: v)), 1)
            case .short(let v):
                headerBytes.append(3)
                append(UInt64(UInt16(bitPattern: v)), 2)
            case .integer(let v):
                headerBytes.append(4)
                append(UInt64(UInt32(bitPattern: v)), 4)
            case .long(let v):
                headerBytes.append(5)
                append(UInt64(bitPattern: v), 8)
            case .bytes(let bytes):
                headerBytes.append(6)
                append(UInt64(bytes.count), 2)
                headerBytes.append(contentsOf: bytes)
            case .string(let text):
                headerBytes.append(7)
                append(UInt64(text.utf8.count), 2)
                headerBytes.append(contentsOf: text.utf8)
            case .timestamp(let v):
                headerBytes.append(8)
                append(UInt64(bitPattern: v), 8)
            case .uuid(let bytes):
                headerBytes.append(9)
                headerBytes.append(contentsOf: bytes.prefix(16))
            }
        }
        let total = 16 + headerBytes.count + payload.count
        var message: [UInt8] = []
        message.reserveCapacity(total)
        for value in [UInt32(total), UInt32(headerBytes.count)] {
            message.append(contentsOf: [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) })
        }
        let preludeCRC = CRC32.checksum(message)
        message.append(contentsOf: [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: preludeCRC >> $0) })
        message.append(contentsOf: headerBytes)
        message.append(contentsOf: payload)
        let messageCRC = CRC32.checksum(message)
        message.append(contentsOf: [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: messageCRC >> $0) })
        return message
    }

    /// A Bedrock event message (`:event-type`, JSON payload).
    public static func event(_ type: String, payload: [UInt8]) -> [UInt8] {
        Self.encode(
            headers: [
                (":event-type", .string(type)), (":content-type", .string("application/json")),
                (":message-type", .string("event")),
            ],
            payload: payload
        )
    }

    /// A Bedrock exception message (`:exception-type` in lowerCamelCase).
    public static func exception(_ type: String, message: String) -> [UInt8] {
        var payload = Array(#"{"message":"#.utf8)
        JSONValue.writeString(message, into: &payload)
        payload.append(UInt8(ascii: "}"))
        return Self.encode(
            headers: [
                (":exception-type", .string(type)), (":content-type", .string("application/json")),
                (":message-type", .string("exception")),
            ],
            payload: payload
        )
    }
}
