/// One Server-Sent Event.
public struct SSEEvent: Sendable, Hashable {
    /// The `event:` field, if any.
    public var event: String?
    /// The `data:` lines joined with `\n`.
    public var data: [UInt8]

    /// Creates an event.
    public init(event: String? = nil, data: [UInt8]) {
        self.event = event
        self.data = data
    }

    /// The data as text (tests and error paths; not for the hot path).
    public var text: String { String(decoding: self.data, as: UTF8.self) }
}

/// Splits a byte stream into Server-Sent Events, whatever the chunk boundaries.
///
/// A pure state machine: feed bytes as they arrive with ``push(_:into:)``; complete events are
/// appended to the output. Handles `\n`, `\r\n` and `\r` line ends (also split across chunks),
/// comment lines, multi-line `data:` and the optional space after the colon.
public struct SSEDecoder: Sendable {
    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    private var eventName: String?
    private var lastWasCR = false

    /// Creates a decoder.
    public init() {}

    /// Consumes `bytes`, appending every event they complete to `events`.
    public mutating func push(_ bytes: some Sequence<UInt8>, into events: inout [SSEEvent]) {
        for byte in bytes {
            if byte == 0x0A && self.lastWasCR {
                self.lastWasCR = false
                continue
            }
            self.lastWasCR = byte == 0x0D
            if byte == 0x0A || byte == 0x0D {
                self.endLine(into: &events)
            } else {
                self.line.append(byte)
            }
        }
    }

    /// Whether bytes of an unfinished event are buffered (a stream that ends here was cut short).
    public var hasPartialEvent: Bool { !self.line.isEmpty || self.hasData }

    private mutating func endLine(into events: inout [SSEEvent]) {
        defer { self.line.removeAll(keepingCapacity: true) }
        if self.line.isEmpty {
            if self.hasData { events.append(SSEEvent(event: self.eventName, data: self.data)) }
            self.data.removeAll(keepingCapacity: true)
            self.hasData = false
            self.eventName = nil
            return
        }
        if self.line[0] == UInt8(ascii: ":") { return }
        let colon = self.line.firstIndex(of: UInt8(ascii: ":")) ?? self.line.count
        var valueStart = min(colon + 1, self.line.count)
        if valueStart < self.line.count && self.line[valueStart] == 0x20 { valueStart += 1 }
        let field = self.line[0..<colon]
        if field.elementsEqual("data".utf8) {
            if self.hasData { self.data.append(0x0A) }
            self.data.append(contentsOf: self.line[valueStart...])
            self.hasData = true
        } else if field.elementsEqual("event".utf8) {
            self.eventName = String(decoding: self.line[valueStart...], as: UTF8.self)
        }
    }
}
