import SwitchyardCore

/// Anthropic's mapping tables (§5, §7.4–7.6 of the wire reference), in one place.
enum AnthropicMapping {
    /// `stop_reason` → OpenAI `finish_reason`.
    static func finishReason(_ stopReason: String?) -> String {
        switch stopReason {
        case "end_turn", "stop_sequence", "pause_turn": "stop"
        case "max_tokens", "model_context_window_exceeded": "length"
        case "tool_use": "tool_calls"
        case "refusal": "content_filter"
        default: "stop"
        }
    }

    /// Anthropic usage → OpenAI usage: the prompt is uncached input + cache reads + cache writes.
    static func usage(input: Int, output: Int, cacheRead: Int, cacheCreation: Int) -> OpenAIUsageFields {
        let prompt = input + cacheRead + cacheCreation
        return OpenAIUsageFields(
            promptTokens: prompt,
            completionTokens: output,
            totalTokens: prompt + output,
            cachedTokens: cacheRead,
            cacheWriteTokens: cacheCreation
        )
    }

    /// An Anthropic usage object.
    static func usage(_ json: JSONValue?) -> OpenAIUsageFields? {
        guard let json, case .object = json else { return nil }
        return Self.usage(
            input: json["input_tokens"]?.intValue ?? 0,
            output: json["output_tokens"]?.intValue ?? 0,
            cacheRead: json["cache_read_input_tokens"]?.intValue ?? 0,
            cacheCreation: json["cache_creation_input_tokens"]?.intValue ?? 0
        )
    }

    /// An Anthropic `error.type` (HTTP or in-stream) → the client's error. Never 529.
    static func error(type: String?, message: String?, httpStatus: Int?) -> MappedError {
        let text = message ?? "Anthropic answered \(type ?? "an error")."
        switch type {
        case "invalid_request_error":
            return MappedError(status: 400, type: "invalid_request_error", code: "invalid_request", message: text)
        case "authentication_error":
            return MappedError(
                status: 401,
                type: "authentication_error",
                code: "invalid_upstream_credentials",
                message: text
            )
        case "billing_error", "permission_error":
            return MappedError(status: 403, type: "permission_error", code: type, message: text)
        case "not_found_error":
            return MappedError(status: 404, type: "invalid_request_error", code: "model_not_found", message: text)
        case "request_too_large":
            return MappedError(status: 413, type: "invalid_request_error", code: "request_too_large", message: text)
        case "rate_limit_error":
            return MappedError(status: 429, type: "rate_limit_error", code: "rate_limit_exceeded", message: text)
        case "timeout_error":
            return MappedError(status: 504, type: "server_error", code: "timeout", message: text)
        case "overloaded_error":
            return MappedError(status: 503, type: "server_error", code: "overloaded", message: text)
        case "api_error":
            return MappedError(status: 500, type: "server_error", code: "server_error", message: text)
        default:
            let status = httpStatus.map { $0 == 529 ? 503 : $0 } ?? 502
            return MappedError(status: status, type: MappedError.openAIType(status: status), code: nil, message: text)
        }
    }

    /// An HTTP error answer `{"type":"error","error":{"type","message"}}`.
    static func httpError(status: Int, body: [UInt8]) -> MappedError {
        let error = (try? JSONValue.parse(body))?["error"]
        var mapped = Self.error(
            type: error?["type"]?.stringValue,
            message: error?["message"]?.stringValue,
            httpStatus: status
        )
        if error?["type"] == nil { mapped = Self.error(type: nil, message: nil, httpStatus: status) }
        return mapped
    }
}
