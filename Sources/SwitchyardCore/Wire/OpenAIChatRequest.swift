/// An OpenAI chat completion request, fully decoded, for adapters that translate it to another
/// dialect (Bedrock, Anthropic, Gemini). The pass-through path never builds one.
public struct OpenAIChatRequest: Sendable, Equatable {
    /// The model the client asked for.
    public var model: String
    /// The conversation.
    public var messages: [Message]
    /// `temperature` as sent (0…2 in OpenAI's range).
    public var temperature: Double?
    /// `top_p`.
    public var topP: Double?
    /// `max_completion_tokens ?? max_tokens`.
    public var maxTokens: Int?
    /// `stop`, normalised to a list.
    public var stop: [String]
    /// `n` (choices wanted).
    public var n: Int?
    /// `seed`.
    public var seed: Int?
    /// `stream`.
    public var stream: Bool
    /// `stream_options.include_usage`.
    public var includeUsage: Bool
    /// `tools` (function tools).
    public var tools: [Tool]
    /// `tool_choice`.
    public var toolChoice: ToolChoice?
    /// `parallel_tool_calls`.
    public var parallelToolCalls: Bool?
    /// `user` (or `safety_identifier`).
    public var user: String?
    /// `response_format`, as sent.
    public var responseFormat: JSONValue?

    /// One message.
    public struct Message: Sendable, Equatable {
        /// `system`, `developer`, `user`, `assistant` or `tool`.
        public var role: String
        /// The content parts (a string content becomes one text part).
        public var content: [Part]
        /// `tool_calls` of an assistant message.
        public var toolCalls: [ToolCall]
        /// `tool_call_id` of a tool message.
        public var toolCallID: String?

        /// Creates a message.
        public init(role: String, content: [Part], toolCalls: [ToolCall] = [], toolCallID: String? = nil) {
            self.role = role
            self.content = content
            self.toolCalls = toolCalls
            self.toolCallID = toolCallID
        }

        /// All text parts joined.
        public var text: String {
            self.content.compactMap { part -> String? in
                if case .text(let text) = part { return text }
                return nil
            }.joined()
        }
    }

    /// A content part.
    public enum Part: Sendable, Equatable {
        /// Text (also `refusal` parts of assistant messages).
        case text(String)
        /// An image by URL: `data:` URI or http(s).
        case imageURL(String)
    }

    /// A tool call made by the assistant.
    public struct ToolCall: Sendable, Equatable {
        /// The call id.
        public var id: String
        /// The function name.
        public var name: String
        /// The arguments, a JSON text.
        public var arguments: String

        /// Creates a tool call.
        public init(id: String, name: String, arguments: String) {
            self.id = id
            self.name = name
            self.arguments = arguments
        }
    }

    /// A function tool.
    public struct Tool: Sendable, Equatable {
        /// The function name.
        public var name: String
        /// Its description.
        public var description: String?
        /// The JSON Schema of its parameters.
        public var parameters: JSONValue?
    }

    /// `tool_choice`.
    public enum ToolChoice: Sendable, Equatable {
        /// `"auto"`.
        case auto
        /// `"none"`.
        case none
        /// `"required"`.
        case required
        /// `{"type":"function","function":{"name":…}}`.
        case function(String)
    }

    /// Decodes a chat completion body.
    /// - Throws: ``GatewayError`` (`invalid_request`, with the offending `param`).
    public static func parse(_ body: [UInt8]) throws(GatewayError) -> OpenAIChatRequest {
        let root: JSONValue
        do {
            root = try JSONValue.parse(body)
        } catch {
            throw GatewayError(
                code: .invalidRequest,
                message: "We could not parse the JSON body of your request: \(error)."
            )
        }
        guard case .object = root else {
            throw GatewayError(code: .invalidRequest, message: "The request body must be a JSON object.")
        }
        guard let model = root["model"]?.stringValue, !model.isEmpty else {
            throw GatewayError(code: .invalidRequest, message: "You must provide a model parameter.", param: "model")
        }
        guard let rawMessages = root["messages"]?.arrayValue, !rawMessages.isEmpty else {
            throw GatewayError(
                code: .invalidRequest,
                message: "'messages' must be a non-empty array.",
                param: "messages"
            )
        }
        var messages: [Message] = []
        for (index, raw) in rawMessages.enumerated() {
            messages.append(try Self.message(raw, param: "messages[\(index)]"))
        }
        var request = OpenAIChatRequest(
            model: model,
            messages: messages,
            stop: [],
            stream: root["stream"]?.boolValue ?? false,
            includeUsage: false,
            tools: []
        )
        request.includeUsage = request.stream && (root["stream_options"]?["include_usage"]?.boolValue ?? false)
        request.temperature = try Self.number(root["temperature"], "temperature")
        request.topP = try Self.number(root["top_p"], "top_p")
        request.maxTokens = try Self.integer(root["max_completion_tokens"], "max_completion_tokens")
        if request.maxTokens == nil { request.maxTokens = try Self.integer(root["max_tokens"], "max_tokens") }
        request.n = try Self.integer(root["n"], "n")
        request.seed = try Self.integer(root["seed"], "seed")
        switch root["stop"] {
        case .string(let text): request.stop = [text]
        case .array(let items):
            request.stop = try items.map { item throws(GatewayError) in
                guard let text = item.stringValue else {
                    throw GatewayError(code: .invalidRequest, message: "'stop' must be strings.", param: "stop")
                }
                return text
            }
        case .null, nil: break
        default: throw GatewayError(code: .invalidRequest, message: "'stop' must be a string or a list.", param: "stop")
        }
        if let tools = root["tools"], !tools.isNull {
            guard let list = tools.arrayValue else {
                throw GatewayError(code: .invalidRequest, message: "'tools' must be an array.", param: "tools")
            }
            for (index, tool) in list.enumerated() {
                guard tool["type"]?.stringValue ?? "function" == "function", let function = tool["function"],
                    let name = function["name"]?.stringValue
                else {
                    throw GatewayError(
                        code: .invalidRequest,
                        message: "Only function tools with a name are supported.",
                        param: "tools[\(index)]"
                    )
                }
                request.tools.append(
                    Tool(
                        name: name,
                        description: function["description"]?.stringValue,
                        parameters: function["parameters"].flatMap { $0.isNull ? nil : $0 }
                    )
                )
            }
        }
        switch root["tool_choice"] {
        case .string("auto"): request.toolChoice = .auto
        case .string("none"): request.toolChoice = ToolChoice.none
        case .string("required"): request.toolChoice = .required
        case .some(let value) where value["function"]?["name"]?.stringValue != nil:
            request.toolChoice = .function(value["function"]?["name"]?.stringValue ?? "")
        case .null, nil: break
        default:
            throw GatewayError(code: .invalidRequest, message: "Invalid 'tool_choice'.", param: "tool_choice")
        }
        request.parallelToolCalls = root["parallel_tool_calls"]?.boolValue
        request.user = root["safety_identifier"]?.stringValue ?? root["user"]?.stringValue
        if let format = root["response_format"], !format.isNull { request.responseFormat = format }
        return request
    }

    /// Creates a request from parts (tests).
    public init(
        model: String,
        messages: [Message],
        temperature: Double? = nil,
        topP: Double? = nil,
        maxTokens: Int? = nil,
        stop: [String] = [],
        n: Int? = nil,
        seed: Int? = nil,
        stream: Bool = false,
        includeUsage: Bool = false,
        tools: [Tool] = [],
        toolChoice: ToolChoice? = nil,
        parallelToolCalls: Bool? = nil,
        user: String? = nil,
        responseFormat: JSONValue? = nil
    ) {
        self.model = model
        self.messages = messages
        self.temperature = temperature
        self.topP = topP
        self.maxTokens = maxTokens
        self.stop = stop
        self.n = n
        self.seed = seed
        self.stream = stream
        self.includeUsage = includeUsage
        self.tools = tools
        self.toolChoice = toolChoice
        self.parallelToolCalls = parallelToolCalls
        self.user = user
        self.responseFormat = responseFormat
    }

    private static func number(_ value: JSONValue?, _ param: String) throws(GatewayError) -> Double? {
        guard let value, !value.isNull else { return nil }
        guard let number = value.doubleValue else {
            throw GatewayError(code: .invalidRequest, message: "'\(param)' must be a number.", param: param)
        }
        return number
    }

    private static func integer(_ value: JSONValue?, _ param: String) throws(GatewayError) -> Int? {
        guard let value, !value.isNull else { return nil }
        guard let number = value.intValue else {
            throw GatewayError(code: .invalidRequest, message: "'\(param)' must be an integer.", param: param)
        }
        return number
    }

    private static func message(_ raw: JSONValue, param: String) throws(GatewayError) -> Message {
        guard let role = raw["role"]?.stringValue else {
            throw GatewayError(code: .invalidRequest, message: "Each message needs a 'role'.", param: param + ".role")
        }
        guard ["system", "developer", "user", "assistant", "tool"].contains(role) else {
            throw GatewayError(code: .invalidRequest, message: "Unsupported role '\(role)'.", param: param + ".role")
        }
        var message = Message(role: role, content: [])
        switch raw["content"] {
        case .string(let text): message.content = [.text(text)]
        case .array(let parts):
            for (index, part) in parts.enumerated() {
                let partParam = "\(param).content[\(index)]"
                switch part["type"]?.stringValue {
                case "text": message.content.append(.text(part["text"]?.stringValue ?? ""))
                case "refusal": message.content.append(.text(part["refusal"]?.stringValue ?? ""))
                case "image_url":
                    guard let url = part["image_url"]?["url"]?.stringValue ?? part["image_url"]?.stringValue else {
                        throw GatewayError(code: .invalidRequest, message: "image_url needs a url.", param: partParam)
                    }
                    message.content.append(.imageURL(url))
                default:
                    throw GatewayError(
                        code: .invalidRequest,
                        message: "This content part type is not supported by the selected provider.",
                        param: partParam
                    )
                }
            }
        case .null, nil: break
        default:
            throw GatewayError(
                code: .invalidRequest,
                message: "'content' must be a string or an array.",
                param: param + ".content"
            )
        }
        if let calls = raw["tool_calls"]?.arrayValue {
            for (index, call) in calls.enumerated() {
                guard let id = call["id"]?.stringValue, let function = call["function"],
                    let name = function["name"]?.stringValue
                else {
                    throw GatewayError(
                        code: .invalidRequest,
                        message: "Each tool call needs an id and a function name.",
                        param: "\(param).tool_calls[\(index)]"
                    )
                }
                message.toolCalls.append(
                    ToolCall(id: id, name: name, arguments: function["arguments"]?.stringValue ?? "{}")
                )
            }
        }
        if role == "tool" {
            guard let id = raw["tool_call_id"]?.stringValue else {
                throw GatewayError(
                    code: .invalidRequest,
                    message: "A tool message needs 'tool_call_id'.",
                    param: param + ".tool_call_id"
                )
            }
            message.toolCallID = id
        }
        return message
    }
}
