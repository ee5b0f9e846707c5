import NIOCore
import SwitchyardCore

/// OpenAI chat ⇄ Anthropic Messages (§5, §7 of the wire reference).
enum AnthropicTranslation {
    /// `max_tokens` when neither the client nor the configuration sets one (Anthropic requires it).
    static let fallbackMaxTokens = 4096

    /// The Messages request body.
    static func requestBody(
        _ request: OpenAIChatRequest,
        model: String,
        defaultMaxTokens: Int?
    ) throws(UpstreamError) -> JSONValue {
        try Translation.checkPortable(request)
        var system: [String] = []
        var messages = Turns()
        for message in request.messages {
            switch message.role {
            case "system", "developer":
                let text = message.text
                if !text.isEmpty { system.append(text) }
            case "tool":
                messages.append(
                    "user",
                    [
                        .object([
                            ("type", .string("tool_result")),
                            ("tool_use_id", .string(message.toolCallID ?? "")),
                            ("content", .string(message.text)),
                        ])
                    ]
                )
            default:
                var blocks: [JSONValue] = []
                for part in message.content {
                    switch part {
                    case .text(let text) where !text.isEmpty:
                        blocks.append(.object([("type", .string("text")), ("text", .string(text))]))
                    case .text: break
                    case .imageURL(let url):
                        let source: JSONValue
                        if let image = DataURI(url) {
                            source = .object([
                                ("type", .string("base64")), ("media_type", .string(image.mimeType)),
                                ("data", .string(image.base64)),
                            ])
                        } else {
                            source = .object([("type", .string("url")), ("url", .string(url))])
                        }
                        blocks.append(.object([("type", .string("image")), ("source", source)]))
                    }
                }
                for call in message.toolCalls {
                    blocks.append(
                        .object([
                            ("type", .string("tool_use")), ("id", .string(call.id)), ("name", .string(call.name)),
                            ("input", try Translation.arguments(call.arguments)),
                        ])
                    )
                }
                messages.append(message.role == "assistant" ? "assistant" : "user", blocks)
            }
        }
        var body: [(String, JSONValue?)] = [
            ("model", .string(model)),
            ("max_tokens", .int(request.maxTokens ?? defaultMaxTokens ?? Self.fallbackMaxTokens)),
            ("system", system.isEmpty ? nil : .string(system.joined(separator: "\n\n"))),
            (
                "messages",
                messages.json(blocksKey: "content")
            ),
            ("temperature", Translation.unitTemperature(request.temperature)),
            ("top_p", request.topP.map { .number(Translation.format($0)) }),
            ("stop_sequences", request.stop.isEmpty ? nil : .array(request.stop.map { .string($0) })),
        ]
        if !request.tools.isEmpty {
            body.append(
                (
                    "tools",
                    .array(
                        request.tools.map { tool in
                            .members([
                                ("name", .string(tool.name)),
                                ("description", tool.description.map { .string($0) }),
                                (
                                    "input_schema",
                                    tool.parameters
                                        ?? .object([("type", .string("object")), ("properties", .object([]))])
                                ),
                            ])
                        }
                    )
                )
            )
            var choice: [(String, JSONValue)]?
            switch request.toolChoice {
            case .auto?: choice = [("type", .string("auto"))]
            case .required?: choice = [("type", .string("any"))]
            case .function(let name)?: choice = [("type", .string("tool")), ("name", .string(name))]
            case .none?: choice = [("type", .string("none"))]
            case nil: choice = request.parallelToolCalls == false ? [("type", .string("auto"))] : nil
            }
            if request.parallelToolCalls == false, choice?.first?.1 != .string("none") {
                choice?.append(("disable_parallel_tool_use", .bool(true)))
            }
            body.append(("tool_choice", choice.map { .object($0) }))
        }
        if let user = request.user { body.append(("metadata", .object([("user_id", .string(user))]))) }
        if request.stream { body.append(("stream", .bool(true))) }
        return .members(body)
    }

    /// A Messages answer → OpenAI `chat.completion`.
    static func completion(
        _ body: [UInt8],
        identity: OpenAIResponseIdentity
    ) throws(UpstreamError) -> CompleteChatResponse {
        guard let json = try? JSONValue.parse(body), let content = json["content"]?.arrayValue else {
            throw .malformed("the Anthropic answer has no content")
        }
        var text: String?
        var calls: [OpenAIToolCallFields] = []
        for block in content {
            switch block["type"]?.stringValue {
            case "text": text = (text ?? "") + (block["text"]?.stringValue ?? "")
            case "tool_use":
                calls.append(
                    OpenAIToolCallFields(
                        id: block["id"]?.stringValue ?? "",
                        name: block["name"]?.stringValue ?? "",
                        arguments: (block["input"] ?? .object([])).jsonText
                    )
                )
            default: break
            }
        }
        let usage = AnthropicMapping.usage(json["usage"])
        return CompleteChatResponse(
            body: OpenAIChunkWriter.completion(
                identity: identity,
                content: text,
                toolCalls: calls,
                finishReason: AnthropicMapping.finishReason(json["stop_reason"]?.stringValue),
                usage: usage
            ),
            usage: usage?.tokenUsage
        )
    }
}

/// Anthropic named SSE events → OpenAI chunks (§7.3).
struct AnthropicStreamTranslator: StreamTranslator {
    private var decoder = SSEDecoder()
    private var events: [SSEEvent] = []
    private var writer: OpenAIChunkWriter
    private let includeUsage: Bool
    private var toolIndexByBlock: [Int: Int] = [:]
    private var sawStart = false
    private var sawStop = false
    private var input = 0
    private var output = 0
    private var cacheRead = 0
    private var cacheCreation = 0

    init(identity: OpenAIResponseIdentity, includeUsage: Bool) {
        self.writer = OpenAIChunkWriter(identity: identity)
        self.includeUsage = includeUsage
    }

    private var usage: OpenAIUsageFields {
        AnthropicMapping.usage(
            input: self.input,
            output: self.output,
            cacheRead: self.cacheRead,
            cacheCreation: self.cacheCreation
        )
    }

    private mutating func absorb(_ usage: JSONValue?) {
        guard let usage else { return }
        if let value = usage["input_tokens"]?.intValue { self.input = value }
        if let value = usage["output_tokens"]?.intValue { self.output = value }
        if let value = usage["cache_read_input_tokens"]?.intValue { self.cacheRead = value }
        if let value = usage["cache_creation_input_tokens"]?.intValue { self.cacheCreation = value }
    }

    mutating func push(_ bytes: ByteBuffer, into output: inout TranslatedOutput) throws(UpstreamError) {
        self.events.removeAll(keepingCapacity: true)
        self.decoder.push(bytes.readableBytesView, into: &self.events)
        let before = self.writer.events
        defer { output.events += self.writer.events - before }
        for event in self.events {
            guard let json = try? JSONValue.parse(event.data) else {
                throw UpstreamError(kind: .malformedResponse, message: "an Anthropic stream event is not JSON")
            }
            switch json["type"]?.stringValue ?? event.event {
            case "message_start":
                self.sawStart = true
                self.absorb(json["message"]?["usage"])
                self.writer.role(into: &output.bytes)
            case "content_block_start":
                guard let block = json["content_block"], block["type"]?.stringValue == "tool_use",
                    let position = json["index"]?.intValue
                else { continue }
                let index = self.toolIndexByBlock.count
                self.toolIndexByBlock[position] = index
                self.writer.toolCallStart(
                    index: index,
                    id: block["id"]?.stringValue ?? "",
                    name: block["name"]?.stringValue ?? "",
                    into: &output.bytes
                )
            case "content_block_delta":
                let delta = json["delta"]
                switch delta?["type"]?.stringValue {
                case "text_delta":
                    self.writer.content(delta?["text"]?.stringValue ?? "", into: &output.bytes)
                case "input_json_delta":
                    guard let fragment = delta?["partial_json"]?.stringValue, !fragment.isEmpty,
                        let position = json["index"]?.intValue, let index = self.toolIndexByBlock[position]
                    else { continue }
                    self.writer.toolCallArguments(index: index, fragment: fragment, into: &output.bytes)
                default: continue  // thinking and signature deltas are not part of OpenAI's chunk shape
                }
            case "message_delta":
                self.absorb(json["usage"])
                self.writer.finish(
                    AnthropicMapping.finishReason(json["delta"]?["stop_reason"]?.stringValue),
                    into: &output.bytes
                )
                output.usage = self.usage.tokenUsage
            case "message_stop":
                self.sawStop = true
            case "error":
                throw AnthropicMapping.error(
                    type: json["error"]?["type"]?.stringValue,
                    message: json["error"]?["message"]?.stringValue,
                    httpStatus: nil
                ).upstreamError()
            default: continue  // ping, content_block_stop
            }
        }
    }

    mutating func finish(into output: inout TranslatedOutput) throws(UpstreamError) {
        guard self.sawStop else {
            throw UpstreamError(kind: .streamInterrupted, message: "the Anthropic stream ended before message_stop")
        }
        output.usage = self.usage.tokenUsage
        if self.includeUsage { self.writer.usage(self.usage, into: &output.bytes) }
        OpenAIChunkWriter.done(into: &output.bytes)
    }
}
