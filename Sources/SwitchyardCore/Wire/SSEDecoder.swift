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

    private static let eventField: [UInt8] = Array("event".utf8)

    /// Consumes `bytes`, appending every event they complete to `events`.
    public mutating func push(_ bytes: some Collection<UInt8>, into events: inout [SSEEvent]) {
        let handled: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            self.push(buffer: UnsafeRawBufferPointer(buffer), into: &events)
        }
        if handled == nil {
            Array(bytes).withUnsafeBytes { self.push(buffer: $0, into: &events) }
        }
    }

    /// Consumes raw bytes: scans for line ends and moves whole runs of bytes at once.
    public mutating func push(buffer: UnsafeRawBufferPointer, into events: inout [SSEEvent]) {
        let count = buffer.count
        var index = 0
        if self.lastWasCR && count > 0 && buffer[0] == 0x0A { index = 1 }
        self.lastWasCR = false
        var start = index
        while index < count {
            let byte = buffer[index]
            guard byte == 0x0A || byte == 0x0D else {
                index += 1
                continue
            }
            self.line.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start..<index]))
            self.endLine(into: &events)
            if byte == 0x0D {
                if index + 1 < count {
                    if buffer[index + 1] == 0x0A { index += 1 }
                } else {
                    self.lastWasCR = true
                }
            }
            index += 1
            start = index
        }
        if start < count { self.line.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start..<count])) }
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
        if colon == 4 && self.line[0] == 0x64 && self.line[1] == 0x61 && self.line[2] == 0x74 && self.line[3] == 0x61 {
            if self.hasData { self.data.append(0x0A) }
            self.data.append(contentsOf: self.line[valueStart...])
            self.hasData = true
        } else if colon == 5 && self.line.starts(with: Self.eventField) {
            self.eventName = String(decoding: self.line[valueStart...], as: UTF8.self)
        }
    }
}
