import Foundation

/// Reads `usage` out of OpenAI chat completion bodies and stream chunks.
public enum OpenAIUsage {
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
            let value = try? JSONValue.parse(body[member.value])
        else { return .valid(usage: nil) }
        return .valid(usage: Self.usage(value))
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
        guard let chunk = try? JSONValue.parse(data), let usage = chunk["usage"].flatMap(Self.usage) else {
            return ChunkInfo(isDone: false, usage: nil, isUsageOnly: false)
        }
        let choices = chunk["choices"]
        if let choices, choices != .null, choices.arrayValue == nil {
            return ChunkInfo(isDone: false, usage: nil, isUsageOnly: false)  // not a chat chunk
        }
        return ChunkInfo(isDone: false, usage: usage, isUsageOnly: choices?.arrayValue?.isEmpty ?? true)
    }

    /// A `usage` object's counts with the project's own JSON parser; `nil` when it is not an
    /// object or a count present in it is not a whole number (absent counts are 0).
    private static func usage(_ value: JSONValue) -> TokenUsage? {
        guard value.objectValue != nil else { return nil }
        func count(_ member: JSONValue?) -> Int?? {
            guard let member, member != .null else { return .some(nil) }
            return member.intValue.map { .some($0) } ?? nil
        }
        guard let prompt = count(value["prompt_tokens"]), let completion = count(value["completion_tokens"]),
            let cached = count(value["prompt_tokens_details"]?["cached_tokens"])
        else { return nil }
        return TokenUsage(promptTokens: prompt ?? 0, completionTokens: completion ?? 0, cachedTokens: cached ?? 0)
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
