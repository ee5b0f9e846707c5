import Foundation

/// Reads `usage` out of OpenAI chat completion bodies and stream chunks.
public enum OpenAIUsage {
    private struct Envelope: Decodable {
        var usage: Usage?
        var choices: [Ignored]?
    }

    private struct Ignored: Decodable {}

    private struct Usage: Decodable {
        var prompt_tokens: Int?
        var completion_tokens: Int?
        var prompt_tokens_details: Details?
    }

    private struct Details: Decodable {
        var cached_tokens: Int?
    }

    /// The usage of a complete (non-stream) response body, if it has one.
    public static func fromResponse(_ body: [UInt8]) -> TokenUsage? {
        guard case .valid(let usage) = Self.scanResponse(body) else { return nil }
        return usage
    }

    /// What a complete response body is: not a JSON object, or an object with or without usage.
    public enum ResponseScan: Sendable, Hashable {
        /// Not one well-formed JSON object.
        case invalid
        /// A well-formed object, and its usage if it has one.
        case valid(usage: TokenUsage?)
    }

    /// Validates a complete response body in one pass and decodes only its `usage` member.
    public static func scanResponse(_ body: [UInt8]) -> ResponseScan {
        var scanner = JSONScanner(body)
        guard let (members, _) = try? scanner.topLevelObject() else { return .invalid }
        guard let member = members.first(where: { $0.key == "usage" }), case .object = member.kind,
            let usage = try? JSONDecoder().decode(Usage.self, from: Data(body[member.value]))
        else { return .valid(usage: nil) }
        return .valid(usage: Self.convert(usage))
    }

    /// What a stream chunk's data says about usage.
    public struct ChunkInfo: Sendable, Hashable {
        /// The chunk is the `data: [DONE]` sentinel.
        public var isDone: Bool
        /// The usage it carries, if any.
        public var usage: TokenUsage?
        /// It is the usage-only chunk (`choices: []`), which the gateway strips when the client did not ask for it.
        public var isUsageOnly: Bool
    }

    /// Inspects one stream chunk. Cheap for ordinary content chunks: it decodes JSON only when
    /// the chunk carries a `"usage"` object.
    public static func inspectChunk(_ data: [UInt8]) -> ChunkInfo {
        if data.elementsEqual("[DONE]".utf8) { return ChunkInfo(isDone: true, usage: nil, isUsageOnly: false) }
        guard Self.hasUsageObject(data) else { return ChunkInfo(isDone: false, usage: nil, isUsageOnly: false) }
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(data)), let usage = envelope.usage
        else {
            return ChunkInfo(isDone: false, usage: nil, isUsageOnly: false)
        }
        return ChunkInfo(isDone: false, usage: Self.convert(usage), isUsageOnly: (envelope.choices ?? []).isEmpty)
    }

    private static func convert(_ usage: Usage) -> TokenUsage {
        TokenUsage(
            promptTokens: usage.prompt_tokens ?? 0,
            completionTokens: usage.completion_tokens ?? 0,
            cachedTokens: usage.prompt_tokens_details?.cached_tokens ?? 0
        )
    }

    /// Whether `"usage"` appears followed by `:` and `{` (not `null`).
    private static let usageNeedle: [UInt8] = Array(#""usage""#.utf8)

    static func hasUsageObject(_ data: [UInt8]) -> Bool {
        let needle = Self.usageNeedle
        guard data.count > needle.count else { return false }
        var index = 0
        while index + needle.count <= data.count {
            if data[index] == needle[0] && data[index..<(index + needle.count)].elementsEqual(needle) {
                var cursor = index + needle.count
                while cursor < data.count, data[cursor] == 0x20 || data[cursor] == UInt8(ascii: ":") { cursor += 1 }
                if cursor < data.count && data[cursor] == UInt8(ascii: "{") { return true }
            }
            index += 1
        }
        return false
    }
}
