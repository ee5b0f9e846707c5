import Foundation
import NIOCore
import SwitchyardCore

/// Token counts in the shape OpenAI reports them, with the details translators know.
struct OpenAIUsageFields: Sendable, Equatable {
    var promptTokens: Int
    var completionTokens: Int
    var totalTokens: Int
    var cachedTokens: Int = 0
    var cacheWriteTokens: Int?
    var reasoningTokens: Int = 0

    var tokenUsage: TokenUsage {
        TokenUsage(
            promptTokens: self.promptTokens,
            completionTokens: self.completionTokens,
            cachedTokens: self.cachedTokens
        )
    }

    var json: JSONValue {
        var promptDetails: [(String, JSONValue)] = [("cached_tokens", .int(self.cachedTokens))]
        if let write = self.cacheWriteTokens { promptDetails.append(("cache_write_tokens", .int(write))) }
        return .object([
            ("prompt_tokens", .int(self.promptTokens)),
            ("completion_tokens", .int(self.completionTokens)),
            ("total_tokens", .int(self.totalTokens)),
            ("prompt_tokens_details", .object(promptDetails)),
            ("completion_tokens_details", .object([("reasoning_tokens", .int(self.reasoningTokens))])),
        ])
    }
}

/// The identity every chunk and the complete answer of one translated response share.
struct OpenAIResponseIdentity: Sendable {
    var id: String
    var created: Int
    var model: String

    /// A fresh `chatcmpl-…` id, the gateway's clock, and the given model name.
    static func make(model: String) -> OpenAIResponseIdentity {
        var generator = SystemRandomNumberGenerator()
        let suffix = (0..<24).map { _ in Self.alphabet[Int(generator.next() % UInt64(Self.alphabet.count))] }
        return OpenAIResponseIdentity(
            id: "chatcmpl-" + String(decoding: suffix, as: UTF8.self),
            created: Int(Date().timeIntervalSince1970),
            model: model
        )
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
}

/// A tool call of a complete answer.
struct OpenAIToolCallFields: Sendable, Equatable {
    var id: String
    var name: String
    var arguments: String
}

/// Writes OpenAI `chat.completion.chunk` SSE events, exactly in OpenAI's shape (§1.5 of the
/// wire reference): same `id`/`created`/`model` in every chunk, `role` first, `finish_reason`
/// null until the last content chunk, the usage chunk with `choices: []`, then `[DONE]`.
struct OpenAIChunkWriter: Sendable {
    private let head: [UInt8]
    /// Chunks written so far (the usage-only chunk and `[DONE]` excluded).
    private(set) var events = 0

    init(identity: OpenAIResponseIdentity) {
        var head = Array(#"data: {"id":"#.utf8)
        JSONValue.writeString(identity.id, into: &head)
        head.append(contentsOf: #","object":"chat.completion.chunk","created":"#.utf8)
        head.append(contentsOf: String(identity.created).utf8)
        head.append(contentsOf: #","model":"#.utf8)
        JSONValue.writeString(identity.model, into: &head)
        head.append(contentsOf: #","choices":"#.utf8)
        self.head = head
    }

    private static let choiceOpen = Array(#"[{"index":0,"delta":"#.utf8)
    private static let choiceCloseNull = Array(#","logprobs":null,"finish_reason":null}]}"#.utf8) + [0x0A, 0x0A]

    private mutating func chunk(delta: [UInt8], into out: inout ByteBuffer) {
        out.writeBytes(self.head)
        out.writeBytes(Self.choiceOpen)
        out.writeBytes(delta)
        out.writeBytes(Self.choiceCloseNull)
        self.events += 1
    }

    /// The first chunk: `{"role":"assistant","content":""}`.
    mutating func role(into out: inout ByteBuffer) {
        self.chunk(delta: Array(#"{"role":"assistant","content":""}"#.utf8), into: &out)
    }

    /// A content delta.
    mutating func content(_ text: String, into out: inout ByteBuffer) {
        var delta = Array(#"{"content":"#.utf8)
        JSONValue.writeString(text, into: &delta)
        delta.append(UInt8(ascii: "}"))
        self.chunk(delta: delta, into: &out)
    }

    /// The first fragment of tool call `index`: id, type, name and empty arguments.
    mutating func toolCallStart(
        index: Int,
        id: String,
        name: String,
        arguments: String = "",
        into out: inout ByteBuffer
    ) {
        var delta = Array(#"{"tool_calls":[{"index":"#.utf8)
        delta.append(contentsOf: String(index).utf8)
        delta.append(contentsOf: #","id":"#.utf8)
        JSONValue.writeString(id, into: &delta)
        delta.append(contentsOf: #","type":"function","function":{"name":"#.utf8)
        JSONValue.writeString(name, into: &delta)
        delta.append(contentsOf: #","arguments":"#.utf8)
        JSONValue.writeString(arguments, into: &delta)
        delta.append(contentsOf: "}}]}".utf8)
        self.chunk(delta: delta, into: &out)
    }

    /// A fragment of tool call `index`'s arguments.
    mutating func toolCallArguments(index: Int, fragment: String, into out: inout ByteBuffer) {
        var delta = Array(#"{"tool_calls":[{"index":"#.utf8)
        delta.append(contentsOf: String(index).utf8)
        delta.append(contentsOf: #","function":{"arguments":"#.utf8)
        JSONValue.writeString(fragment, into: &delta)
        delta.append(contentsOf: "}}]}".utf8)
        self.chunk(delta: delta, into: &out)
    }

    /// The last content chunk: empty delta and the finish reason.
    mutating func finish(_ reason: String, into out: inout ByteBuffer) {
        out.writeBytes(self.head)
        out.writeBytes(Self.choiceOpen)
        out.writeString(#"{},"logprobs":null,"finish_reason":"#)
        var quoted: [UInt8] = []
        JSONValue.writeString(reason, into: &quoted)
        out.writeBytes(quoted)
        out.writeString("}]}\n\n")
        self.events += 1
    }

    /// The usage-only chunk (`choices: []`).
    func usage(_ usage: OpenAIUsageFields, into out: inout ByteBuffer) {
        out.writeBytes(self.head)
        out.writeString(#"[],"usage":"#)
        out.writeBytes(usage.json.jsonBytes)
        out.writeString("}\n\n")
    }

    /// `data: [DONE]`.
    static func done(into out: inout ByteBuffer) { out.writeString("data: [DONE]\n\n") }

    /// A complete `chat.completion` body (§1.4).
    static func completion(
        identity: OpenAIResponseIdentity,
        content: String?,
        toolCalls: [OpenAIToolCallFields],
        finishReason: String,
        usage: OpenAIUsageFields?
    ) -> ByteBuffer {
        var message: [(String, JSONValue)] = [
            ("role", .string("assistant")),
            ("content", content.map { .string($0) } ?? .null),
            ("refusal", .null),
            ("annotations", .array([])),
        ]
        if !toolCalls.isEmpty {
            message.append(
                (
                    "tool_calls",
                    .array(
                        toolCalls.map { call in
                            .object([
                                ("id", .string(call.id)),
                                ("type", .string("function")),
                                (
                                    "function",
                                    .object([("name", .string(call.name)), ("arguments", .string(call.arguments))])
                                ),
                            ])
                        }
                    )
                )
            )
        }
        var body: [(String, JSONValue)] = [
            ("id", .string(identity.id)),
            ("object", .string("chat.completion")),
            ("created", .int(identity.created)),
            ("model", .string(identity.model)),
            (
                "choices",
                .array([
                    .object([
                        ("index", .int(0)),
                        ("message", .object(message)),
                        ("logprobs", .null),
                        ("finish_reason", .string(finishReason)),
                    ])
                ])
            ),
        ]
        if let usage { body.append(("usage", usage.json)) }
        return ByteBuffer(bytes: JSONValue.object(body).jsonBytes)
    }
}
