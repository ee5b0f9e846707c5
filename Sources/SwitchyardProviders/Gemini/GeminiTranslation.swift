import NIOCore
import SwitchyardCore

/// OpenAI chat ⇄ Gemini generateContent (§6, §7 of the wire reference).
enum GeminiTranslation {
    /// The generateContent request body.
    static func requestBody(_ request: OpenAIChatRequest, defaultMaxTokens: Int?) throws(UpstreamError) -> JSONValue {
        var system: [String] = []
        var contents = Turns()
        var functionNames: [String: String] = [:]
        for message in request.messages {
            switch message.role {
            case "system", "developer":
                let text = message.text
                if !text.isEmpty { system.append(text) }
            case "tool":
                let text = message.text
                var response = (try? JSONValue.parse(text)) ?? .null
                if case .object = response {} else { response = .object([("result", .string(text))]) }
                contents.append(
                    "user",
                    [
                        .object([
                            (
                                "functionResponse",
                                .object([
                                    ("name", .string(functionNames[message.toolCallID ?? ""] ?? "")),
                                    ("response", response),
                                ])
                            )
                        ])
                    ]
                )
            default:
                var parts: [JSONValue] = []
                for part in message.content {
                    switch part {
                    case .text(let text) where !text.isEmpty: parts.append(.object([("text", .string(text))]))
                    case .text: break
                    case .imageURL(let url):
                        let image = try DataURI.image(url, provider: "Gemini")
                        parts.append(
                            .object([
                                (
                                    "inlineData",
                                    .object([("mimeType", .string(image.mimeType)), ("data", .string(image.base64))])
                                )
                            ])
                        )
                    }
                }
                for call in message.toolCalls {
                    functionNames[call.id] = call.name
                    parts.append(
                        .object([
                            (
                                "functionCall",
                                .object([
                                    ("name", .string(call.name)), ("args", try Translation.arguments(call.arguments)),
                                ])
                            )
                        ])
                    )
                }
                contents.append(message.role == "assistant" ? "model" : "user", parts)
            }
        }
        var body: [(String, JSONValue?)] = []
        if !system.isEmpty {
            body.append(
                (
                    "systemInstruction",
                    .object([("parts", .array([.object([("text", .string(system.joined(separator: "\n\n")))])]))])
                )
            )
        }
        body.append(
            ("contents", contents.json(blocksKey: "parts"))
        )
        if !request.tools.isEmpty {
            let declarations: [JSONValue] = request.tools.map { tool in
                .members([
                    ("name", .string(tool.name)),
                    ("description", tool.description.map { .string($0) }),
                    ("parametersJsonSchema", tool.parameters),
                ])
            }
            body.append(("tools", .array([.object([("functionDeclarations", .array(declarations))])])))
            var config: [(String, JSONValue)]?
            switch request.toolChoice {
            case .auto?: config = [("mode", .string("AUTO"))]
            case .required?: config = [("mode", .string("ANY"))]
            case .none?: config = [("mode", .string("NONE"))]
            case .function(let name)?:
                config = [("mode", .string("ANY")), ("allowedFunctionNames", .array([.string(name)]))]
            case nil: config = nil
            }
            body.append(("toolConfig", config.map { .object([("functionCallingConfig", .object($0))]) }))
        }
        let generation = JSONValue.members([
            ("temperature", request.temperature.map { .number(Translation.format($0)) }),
            ("topP", request.topP.map { .number(Translation.format($0)) }),
            ("maxOutputTokens", (request.maxTokens ?? defaultMaxTokens).map { .int($0) }),
            ("stopSequences", request.stop.isEmpty ? nil : .array(request.stop.map { .string($0) })),
            ("candidateCount", request.n.map { .int($0) }),
            ("seed", request.seed.map { .int($0) }),
        ])
        if generation.objectValue?.isEmpty == false { body.append(("generationConfig", generation)) }
        return .members(body)
    }

    /// Text and function calls of one candidate's parts (thought parts skipped).
    static func parts(_ candidate: JSONValue?) -> (text: String?, calls: [(id: String?, name: String, args: JSONValue)])
    {
        var text: String?
        var calls: [(id: String?, name: String, args: JSONValue)] = []
        for part in candidate?["content"]?["parts"]?.arrayValue ?? [] {
            if part["thought"]?.boolValue == true { continue }
            if let piece = part["text"]?.stringValue { text = (text ?? "") + piece }
            if let call = part["functionCall"] {
                calls.append((call["id"]?.stringValue, call["name"]?.stringValue ?? "", call["args"] ?? .object([])))
            }
        }
        return (text, calls)
    }

    /// A generateContent answer → OpenAI `chat.completion` (first candidate).
    static func completion(
        _ body: [UInt8],
        identity: OpenAIResponseIdentity
    ) throws(UpstreamError) -> CompleteChatResponse {
        guard let json = try? JSONValue.parse(body), case .object = json else {
            throw .malformed("the Gemini answer is not JSON")
        }
        let candidate = json["candidates"]?.arrayValue?.first
        let (text, calls) = Self.parts(candidate)
        var reason = candidate?["finishReason"]?.stringValue
        if candidate == nil, json["promptFeedback"]?["blockReason"] != nil { reason = "SAFETY" }
        let usage = GeminiMapping.usage(json["usageMetadata"])
        return CompleteChatResponse(
            body: OpenAIChunkWriter.completion(
                identity: identity,
                content: text,
                toolCalls: calls.enumerated().map { index, call in
                    OpenAIToolCallFields(id: call.id ?? "call_\(index)", name: call.name, arguments: call.args.jsonText)
                },
                finishReason: GeminiMapping.finishReason(reason, calledFunctions: !calls.isEmpty),
                usage: usage
            ),
            usage: usage?.tokenUsage
        )
    }
}

/// `streamGenerateContent?alt=sse` chunks → OpenAI chunks (§7.3): each function call arrives whole.
struct GeminiStreamTranslator: StreamTranslator {
    private var decoder = SSEDecoder()
    private var events: [SSEEvent] = []
    private var writer: OpenAIChunkWriter
    private let includeUsage: Bool
    private var sawStart = false
    private var sawFinish = false
    private var toolCalls = 0
    private var usage: OpenAIUsageFields?

    init(identity: OpenAIResponseIdentity, includeUsage: Bool) {
        self.writer = OpenAIChunkWriter(identity: identity)
        self.includeUsage = includeUsage
    }

    mutating func push(_ bytes: ByteBuffer, into output: inout TranslatedOutput) throws(UpstreamError) {
        self.events.removeAll(keepingCapacity: true)
        self.decoder.push(bytes.readableBytesView, into: &self.events)
        let before = self.writer.events
        defer { output.events += self.writer.events - before }
        for event in self.events {
            guard let json = try? JSONValue.parse(event.data), case .object = json else {
                throw UpstreamError(kind: .malformedResponse, message: "a Gemini stream chunk is not JSON")
            }
            if let error = json["error"] {
                throw GeminiMapping.error(
                    httpStatus: error["code"]?.intValue ?? 500,
                    status: error["status"]?.stringValue,
                    message: error["message"]?.stringValue
                ).upstreamError()
            }
            if !self.sawStart {
                self.sawStart = true
                self.writer.role(into: &output.bytes)
            }
            let candidate = json["candidates"]?.arrayValue?.first
            let (text, calls) = GeminiTranslation.parts(candidate)
            if let text, !text.isEmpty { self.writer.content(text, into: &output.bytes) }
            for call in calls {
                self.writer.toolCallStart(
                    index: self.toolCalls,
                    id: call.id ?? "call_\(self.toolCalls)",
                    name: call.name,
                    arguments: call.args.jsonText,
                    into: &output.bytes
                )
                self.toolCalls += 1
            }
            if let usage = GeminiMapping.usage(json["usageMetadata"]) {
                self.usage = usage
                output.usage = usage.tokenUsage
            }
            var reason = candidate?["finishReason"]?.stringValue
            if candidate == nil, json["promptFeedback"]?["blockReason"] != nil { reason = "SAFETY" }
            if let reason, !self.sawFinish {
                self.sawFinish = true
                self.writer.finish(
                    GeminiMapping.finishReason(reason, calledFunctions: self.toolCalls > 0),
                    into: &output.bytes
                )
            }
        }
    }

    mutating func finish(into output: inout TranslatedOutput) throws(UpstreamError) {
        guard self.sawFinish, !self.decoder.hasPartialEvent else {
            throw UpstreamError(kind: .streamInterrupted, message: "the Gemini stream ended before its finishReason")
        }
        if self.includeUsage, let usage = self.usage { self.writer.usage(usage, into: &output.bytes) }
        OpenAIChunkWriter.done(into: &output.bytes)
    }
}
