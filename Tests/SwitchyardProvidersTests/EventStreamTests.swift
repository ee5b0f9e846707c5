import SwitchyardCore
import Testing

@testable import SwitchyardProviders

/// The `application/vnd.amazon.eventstream` codec against the reference's vectors (§3.5).
@Suite struct EventStreamTests {
    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return out
    }

    static let empty = bytes("000000100000000005c248eb7d98c8ff")
    static let fooBar = bytes("0000001d00000000fd528c5a7b27666f6f273a27626172277dc3653936")
    static let delta = bytes(
        "0000009400000057b4ab9aee0b3a6576656e742d74797065070011636f6e74656e74426c6f636b44656c74610d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b22636f6e74656e74426c6f636b496e646578223a302c2264656c7461223a7b2274657874223a224869227d7d1f944657"
    )
    static let stop = bytes(
        "0000007a00000051ca2c46650b3a6576656e742d7479706507000b6d65737361676553746f700d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b2273746f70526561736f6e223a22656e645f7475726e227d5fbf09fc"
    )
    static let throttling = bytes(
        "000000b2000000613590d5d30f3a657863657074696f6e2d747970650700137468726f74746c696e67457863657074696f6e0d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d74797065070009657863657074696f6e7b226d657373616765223a22546f6f206d616e792072657175657374732c20706c656173652077616974206265666f726520747279696e6720616761696e2e227de8ffb26a"
    )

    static func decodeAll(_ bytes: [UInt8]) throws -> [EventStreamMessage] {
        var decoder = EventStreamDecoder()
        decoder.push(bytes)
        var messages: [EventStreamMessage] = []
        while let message = try decoder.next() { messages.append(message) }
        #expect(!decoder.hasPartialMessage)
        return messages
    }

    @Test func crc32MatchesZlib() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
        let whole = CRC32.checksum(Array("hello world".utf8))
        #expect(CRC32.checksum(Array(" world".utf8), seed: CRC32.checksum(Array("hello".utf8))) == whole)
    }

    @Test func awsCEventStreamVectors() throws {
        let empty = try Self.decodeAll(Self.empty)
        #expect(empty == [EventStreamMessage(headers: [:], payload: [])])
        let foo = try Self.decodeAll(Self.fooBar)
        #expect(foo == [EventStreamMessage(headers: [:], payload: Array("{'foo':'bar'}".utf8))])
    }

    @Test func bedrockVectors() throws {
        let messages = try Self.decodeAll(Self.delta + Self.stop + Self.throttling)
        #expect(messages.count == 3)
        #expect(messages[0].string(":event-type") == "contentBlockDelta")
        #expect(messages[0].string(":message-type") == "event")
        #expect(
            String(decoding: messages[0].payload, as: UTF8.self) == #"{"contentBlockIndex":0,"delta":{"text":"Hi"}}"#
        )
        #expect(messages[1].string(":event-type") == "messageStop")
        #expect(messages[2].string(":exception-type") == "throttlingException")
        #expect(messages[2].string(":message-type") == "exception")
    }

    @Test func encoderReproducesTheVectors() {
        #expect(EventStreamEncoder.encode(headers: [], payload: []) == Self.empty)
        #expect(
            EventStreamEncoder.event(
                "contentBlockDelta",
                payload: Array(#"{"contentBlockIndex":0,"delta":{"text":"Hi"}}"#.utf8)
            ) == Self.delta
        )
        #expect(
            EventStreamEncoder.exception(
                "throttlingException",
                message: "Too many requests, please wait before trying again."
            )
                == Self.throttling
        )
    }

    @Test func everySplitPointOfSeveralFrames() throws {
        let stream = Self.delta + Self.stop + Self.throttling + Self.empty
        for split in 0...stream.count {
            var decoder = EventStreamDecoder()
            var messages: [EventStreamMessage] = []
            decoder.push(stream[..<split])
            while let message = try decoder.next() { messages.append(message) }
            decoder.push(stream[split...])
            while let message = try decoder.next() { messages.append(message) }
            #expect(messages.count == 4, "split at \(split)")
            #expect(messages.first?.string(":event-type") == "contentBlockDelta")
            #expect(!decoder.hasPartialMessage)
        }
    }

    @Test func byteAtATime() throws {
        var decoder = EventStreamDecoder()
        var count = 0
        for byte in Self.delta + Self.stop {
            decoder.push([byte])
            while try decoder.next() != nil { count += 1 }
        }
        #expect(count == 2)
    }

    @Test func preludeCRCFailure() {
        var broken = Self.delta
        broken[9] ^= 0x01
        #expect(throws: EventStreamError(code: .preludeChecksum)) { try Self.decodeAll(broken) }
        var length = Self.delta
        length[3] ^= 0x01  // the total length changes: the prelude CRC no longer matches
        #expect(throws: EventStreamError(code: .preludeChecksum)) { try Self.decodeAll(length) }
    }

    @Test func messageCRCFailureAnywhereInTheBody() {
        for index in 12..<Self.delta.count {
            var broken = Self.delta
            broken[index] ^= 0x20
            #expect(throws: EventStreamError(code: .messageChecksum)) { try Self.decodeAll(broken) }
        }
    }

    @Test func everyHeaderTypeIsSizedAndDecoded() throws {
        let headers: [(String, EventStreamHeaderValue)] = [
            ("t", .bool(true)), ("f", .bool(false)), ("b", .byte(-2)), ("s", .short(-300)), ("i", .integer(70000)),
            ("l", .long(-5_000_000_000)), ("ba", .bytes([1, 2, 3])), ("str", .string("héllo")),
            ("ts", .timestamp(1_736_942_400_000)), ("u", .uuid(Array(0..<16))), (":event-type", .string("messageStop")),
        ]
        let frame = EventStreamEncoder.encode(headers: headers, payload: Array("{}".utf8))
        let messages = try Self.decodeAll(frame + Self.stop)
        #expect(messages.count == 2)
        #expect(messages[0].headers.count == headers.count)
        for (name, value) in headers { #expect(messages[0].headers[name] == value) }
        #expect(messages[1].string(":event-type") == "messageStop")
    }

    @Test func duplicateAndTruncatedHeadersAreErrors() {
        let duplicate = EventStreamEncoder.encode(headers: [("a", .bool(true)), ("a", .bool(false))], payload: [])
        #expect(throws: EventStreamError(code: .invalidHeaders)) { try Self.decodeAll(duplicate) }
        let unknownType = EventStreamEncoder.encode(headers: [("a", .string("x"))], payload: [])
        var patched = unknownType
        patched[12 + 2] = 42  // value type byte
        // Fix up the message CRC so the header error (not the CRC) is what is reported.
        let crc = CRC32.checksum(patched[0..<(patched.count - 4)])
        patched.replaceSubrange(
            (patched.count - 4)...,
            with: [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: crc >> $0) }
        )
        #expect(throws: EventStreamError(code: .invalidHeaders)) { try Self.decodeAll(patched) }
    }
}
