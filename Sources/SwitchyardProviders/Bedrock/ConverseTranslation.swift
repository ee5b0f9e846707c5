import NIOCore
import SwitchyardCore

/// OpenAI chat ⇄ Bedrock Converse (§3.2–3.4, §7 of the wire reference).
enum ConverseTranslation {
    /// The Converse request body.
    static func requestBody(_ request: OpenAIChatRequest, defaultMaxTokens: Int?) throws(UpstreamError) -> JSONValue {
        try Translation.checkPortable(request)
        var system: [JSONValue] = []
        var messages = Turns()
        var hasToolBlocks = false

        for message in request.messages {
            switch message.role {
            case "system", "developer":
                let text = message.text
                if !text.isEmpty { system.append(.object([("text", .string(text))])) }
            case "tool":
                hasToolBlocks = true
                messages.append(
                    "user",
                    [
                        .object([
                            (
                                "toolResult",
                                .object([
                                    ("toolUseId", .string(message.toolCallID ?? "")),
                                    ("content", .array([.object([("text", .string(message.text))])])),
                                ])
                            )
                        ])
                    ]
                )
            default:
                var blocks: [JSONValue] = []
                for part in message.content {
                    switch part {
                    case .text(let text) where !text.isEmpty: blocks.append(.object([("text", .string(text))]))
                    case .text: break
                    case .imageURL(let url):
                        let image = try DataURI.image(url, provider: "Bedrock")
                        let format = image.mimeType.hasPrefix("image/") ? String(image.mimeType.dropFirst(6)) : "png"
                        blocks.append(
                            .object([
                                (
                                    "image",
                                    .object([
                                        ("format", .string(format == "jpg" ? "jpeg" : format)),
                                        ("source", .object([("bytes", .string(image.base64))])),
                                    ])
                                )
                            ])
                        )
                    }
                }
                for call in message.toolCalls {
                    hasToolBlocks = true
                    blocks.append(
                        .object([
                            (
                                "toolUse",
                                .object([
                                    ("toolUseId", .string(call.id)),
                                    ("name", .string(call.name)),
                                    ("input", try Translation.arguments(call.arguments)),
                                ])
                            )
                        ])
                    )
                }
                messages.append(message.role == "assistant" ? "assistant" : "user", blocks)
            }
        }

        var body: [(String, JSONValue)] = [
            ("messages", messages.json(blocksKey: "content"))
        ]
        if !system.isEmpty { body.insert(("system", .array(system)), at: 0) }
        var inference: [(String, JSONValue?)] = [
            ("maxTokens", (request.maxTokens ?? defaultMaxTokens).map { .int($0) }),
            ("temperature", Translation.unitTemperature(request.temperature)),
            ("topP", request.topP.map { .number(Translation.format($0)) }),
        ]
        if !request.stop.isEmpty { inference.append(("stopSequences", .array(request.stop.map { .string($0) }))) }
        let inferenceConfig = JSONValue.members(inference)
        if inferenceConfig.objectValue?.isEmpty == false { body.append(("inferenceConfig", inferenceConfig)) }

        if !request.tools.isEmpty && (request.toolChoice != OpenAIChatRequest.ToolChoice.none || hasToolBlocks) {
            let tools: [JSONValue] = request.tools.map { tool in
                .object([
                    (
                        "toolSpec",
                        .members([
                            ("name", .string(tool.name)),
                            ("description", tool.description.map { .string($0) }),
                            (
                                "inputSchema",
                                .object([
                                    (
                                        "json",
                                        tool.parameters
                                            ?? .object([("type", .string("object")), ("properties", .object([]))])
                                    )
                                ])
                            ),
                        ])
                    )
                ])
            }
            var choice: JSONValue?
            switch request.toolChoice {
            case .required?: choice = .object([("any", .object([]))])
            case .function(let name)?: choice = .object([("tool", .object([("name", .string(name))]))])
            case .auto?: choice = .object([("auto", .object([]))])
            default: choice = nil  // none with tool history: toolConfig must still be present
            }
            body.append(("toolConfig", .members([("tools", .array(tools)), ("toolChoice", choice)])))
        }
        return .object(body)
    }

    /// A Converse answer → OpenAI `chat.completion`.
    static func completion(
        _ body: [UInt8],
        identity: OpenAIResponseIdentity
    ) throws(UpstreamError) -> CompleteChatResponse {
        guard let json = try? JSONValue.parse(body), let content = json["output"]?["message"]?["content"]?.arrayValue
        else { throw .malformed("the Converse answer has no output message") }
        var text: String?
        var calls: [OpenAIToolCallFields] = []
        for block in content {
            if let piece = block["text"]?.stringValue { text = (text ?? "") + piece }
            if let use = block["toolUse"] {
                calls.append(
                    OpenAIToolCallFields(
                        id: use["toolUseId"]?.stringValue ?? "",
                        name: use["name"]?.stringValue ?? "",
                        arguments: (use["input"] ?? .object([])).jsonText
                    )
                )
            }
        }
        let usage = BedrockMapping.usage(json["usage"])
        return CompleteChatResponse(
            body: OpenAIChunkWriter.completion(
                identity: identity,
                content: text,
                toolCalls: calls,
                finishReason: BedrockMapping.finishReason(json["stopReason"]?.stringValue),
                usage: usage
            ),
            usage: usage?.tokenUsage
        )
    }
}

/// ConverseStream (event-stream frames) → OpenAI chunks (§7.3).
struct ConverseStreamTranslator: StreamTranslator {
    private var decoder = EventStreamDecoder()
    private var writer: OpenAIChunkWriter
    private let includeUsage: Bool
    private var toolIndexByBlock: [Int: Int] = [:]
    private var sawStart = false
    private var sawStop = false
    private var usage: OpenAIUsageFields?

    init(identity: OpenAIResponseIdentity, includeUsage: Bool) {
        self.writer = OpenAIChunkWriter(identity: identity)
        self.includeUsage = includeUsage
    }

    mutating func push(_ bytes: ByteBuffer, into output: inout TranslatedOutput) throws(UpstreamError) {
        self.decoder.push(bytes.readableBytesView)
        let before = self.writer.events
        defer { output.events += self.writer.events - before }
        while true {
            let message: EventStreamMessage?
            do {
                message = try self.decoder.next()
            } catch {
                throw UpstreamError(
                    kind: .streamInterrupted,
                    message: "the Bedrock event stream is corrupt (\(error.code))"
                )
            }
            guard let message else { return }
            try self.handle(message, into: &output)
        }
    }

    private mutating func handle(
        _ message: EventStreamMessage,
        into output: inout TranslatedOutput
    ) throws(UpstreamError) {
        switch message.string(":message-type") {
        case "exception":
            let json = try? JSONValue.parse(message.payload)
            throw BedrockMapping.error(
                exception: message.string(":exception-type"),
                message: json?["message"]?.stringValue,
                httpStatus: nil
            ).upstreamError(retryAfterSeconds: nil)
        case "error":
            throw BedrockMapping.error(
                exception: message.string(":error-code"),
                message: message.string(":error-message"),
                httpStatus: nil
            ).upstreamError()
        default: break
        }
        guard let json = try? JSONValue.parse(message.payload) else {
            throw UpstreamError(kind: .malformedResponse, message: "a Bedrock stream event is not JSON")
        }
        switch message.string(":event-type") {
        case "messageStart":
            self.sawStart = true
            self.writer.role(into: &output.bytes)
        case "contentBlockStart":
            guard let use = json["start"]?["toolUse"], let block = json["contentBlockIndex"]?.intValue else { return }
            self.ensureStarted(into: &output)
            let index = self.toolIndexByBlock.count
            self.toolIndexByBlock[block] = index
            self.writer.toolCallStart(
                index: index,
                id: use["toolUseId"]?.stringValue ?? "",
                name: use["name"]?.stringValue ?? "",
                into: &output.bytes
            )
        case "contentBlockDelta":
            self.ensureStarted(into: &output)
            let delta = json["delta"]
            if let text = delta?["text"]?.stringValue {
                self.writer.content(text, into: &output.bytes)
            } else if let input = delta?["toolUse"]?["input"]?.stringValue,
                let block = json["contentBlockIndex"]?.intValue, let index = self.toolIndexByBlock[block]
            {
                self.writer.toolCallArguments(index: index, fragment: input, into: &output.bytes)
            }
        case "messageStop":
            self.ensureStarted(into: &output)
            self.sawStop = true
            self.writer.finish(BedrockMapping.finishReason(json["stopReason"]?.stringValue), into: &output.bytes)
        case "metadata":
            if let usage = BedrockMapping.usage(json["usage"]) {
                self.usage = usage
                output.usage = usage.tokenUsage
            }
        default: break  // contentBlockStop and future events
        }
    }

    private mutating func ensureStarted(into output: inout TranslatedOutput) {
        if !self.sawStart {
            self.sawStart = true
            self.writer.role(into: &output.bytes)
        }
    }

    mutating func finish(into output: inout TranslatedOutput) throws(UpstreamError) {
        guard self.sawStop, !self.decoder.hasPartialMessage else {
            throw UpstreamError(kind: .streamInterrupted, message: "the Bedrock stream ended before messageStop")
        }
        if self.includeUsage, let usage = self.usage { self.writer.usage(usage, into: &output.bytes) }
        OpenAIChunkWriter.done(into: &output.bytes)
    }
}
