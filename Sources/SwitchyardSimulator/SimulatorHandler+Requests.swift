import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchyardCore
import SwitchyardProviders

/// Reading each dialect's request into what the simulator answers.
extension SimulatorHandler {
    struct Problem: Error {
        var response: Response
    }

    /// About four bytes of text per token, at least one per message.
    static func tokens(textBytes: Int, messages: Int) -> Int { max(1, (textBytes + 16 * messages + 3) / 4) }

    static func textBytes(_ value: JSONValue?) -> Int {
        switch value {
        case .string(let text)?: return text.utf8.count
        case .array(let items)?: return items.reduce(0) { $0 + Self.textBytes($1) }
        case .object(let members)?:
            return members.reduce(0) { total, member in
                total + (["text", "content", "parts"].contains(member.0) ? Self.textBytes(member.1) : 0)
            }
        default: return 0
        }
    }

    static func properties(_ schema: JSONValue?) -> [String] { schema?["properties"]?.objectValue?.map(\.0) ?? [] }

    static func read(_ json: JSONValue, dialect: SimulatorDialect, pathModel: String) -> Result<DialectRequest, Problem>
    {
        func fail(_ message: String, param: String? = nil) -> Result<DialectRequest, Problem> {
            if dialect.isOpenAIShaped {
                return .failure(
                    Problem(
                        response: Response.json(
                            Self.errorBody(message, type: "invalid_request_error", code: nil, param: param),
                            status: .badRequest
                        )
                    )
                )
            }
            return .failure(Problem(response: Self.dialectError(dialect, status: 400, message: message)))
        }
        switch dialect {
        case .openAI, .azure, .bedrockOpenAI:
            guard let model = json["model"]?.stringValue ?? (pathModel.isEmpty ? nil : pathModel) else {
                return fail("you must provide a model parameter", param: "model")
            }
            guard let messages = json["messages"]?.arrayValue, !messages.isEmpty else {
                return fail("'messages' is a required property", param: "messages")
            }
            var tool: (String, [String])?
            if let first = json["tools"]?.arrayValue?.first?["function"], let name = first["name"]?.stringValue,
                json["tool_choice"]?.stringValue != "none", messages.last?["role"]?.stringValue != "tool"
            {
                tool = (name, Self.properties(first["parameters"]))
            }
            let stream = json["stream"]?.boolValue ?? false
            return .success(
                DialectRequest(
                    model: dialect == .azure && !pathModel.isEmpty ? "gpt-sim-2025-01-01" : model,
                    stream: stream,
                    includeUsage: stream && json["stream_options"]?["include_usage"]?.boolValue == true,
                    promptTokens: Self.tokens(textBytes: Self.textBytes(.array(messages)), messages: messages.count),
                    tool: tool
                )
            )
        case .bedrock(let stream):
            guard let messages = json["messages"]?.arrayValue, !messages.isEmpty else {
                return fail("1 validation error detected: Value null at 'messages' failed to satisfy constraint")
            }
            if json["model"] != nil || json["modelId"] != nil { return fail("Unknown field 'model'") }
            var tool: (String, [String])?
            let lastHasResult = messages.last?["content"]?.arrayValue?.contains { $0["toolResult"] != nil } ?? false
            if let spec = json["toolConfig"]?["tools"]?.arrayValue?.first?["toolSpec"],
                let name = spec["name"]?.stringValue, !lastHasResult
            {
                tool = (name, Self.properties(spec["inputSchema"]?["json"]))
            }
            let text = Self.textBytes(.array(messages)) + Self.textBytes(json["system"])
            return .success(
                DialectRequest(
                    model: pathModel.removingPercentEncoding ?? pathModel,
                    stream: stream,
                    includeUsage: true,
                    promptTokens: Self.tokens(textBytes: text, messages: messages.count),
                    tool: tool
                )
            )
        case .anthropic:
            guard let model = json["model"]?.stringValue else { return fail("model: Field required") }
            guard json["max_tokens"]?.intValue != nil else { return fail("max_tokens: Field required") }
            guard let messages = json["messages"]?.arrayValue, !messages.isEmpty else {
                return fail("messages: Field required")
            }
            var tool: (String, [String])?
            let lastHasResult =
                messages.last?["content"]?.arrayValue?.contains { $0["type"]?.stringValue == "tool_result" } ?? false
            if let first = json["tools"]?.arrayValue?.first, let name = first["name"]?.stringValue,
                json["tool_choice"]?["type"]?.stringValue != "none", !lastHasResult
            {
                tool = (name, Self.properties(first["input_schema"]))
            }
            let text = Self.textBytes(.array(messages)) + Self.textBytes(json["system"])
            return .success(
                DialectRequest(
                    model: model,
                    stream: json["stream"]?.boolValue ?? false,
                    includeUsage: true,
                    promptTokens: Self.tokens(textBytes: text, messages: messages.count),
                    tool: tool
                )
            )
        case .gemini(let stream):
            guard let contents = json["contents"]?.arrayValue, !contents.isEmpty else {
                return fail("* GenerateContentRequest.contents: contents is not specified")
            }
            var tool: (String, [String])?
            let lastHasResponse =
                contents.last?["parts"]?.arrayValue?.contains { $0["functionResponse"] != nil } ?? false
            if let first = json["tools"]?.arrayValue?.first?["functionDeclarations"]?.arrayValue?.first,
                let name = first["name"]?.stringValue,
                json["toolConfig"]?["functionCallingConfig"]?["mode"]?.stringValue != "NONE", !lastHasResponse
            {
                tool = (name, Self.properties(first["parametersJsonSchema"] ?? first["parameters"]))
            }
            let text = Self.textBytes(.array(contents)) + Self.textBytes(json["systemInstruction"])
            return .success(
                DialectRequest(
                    model: pathModel,
                    stream: stream,
                    includeUsage: true,
                    promptTokens: Self.tokens(textBytes: text, messages: contents.count),
                    tool: tool
                )
            )
        }
    }
}
