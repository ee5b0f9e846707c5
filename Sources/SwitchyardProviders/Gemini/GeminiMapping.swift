import SwitchyardCore

/// Gemini's mapping tables (§6, §7.4–7.6 of the wire reference), in one place.
enum GeminiMapping {
    /// `finishReason` → OpenAI `finish_reason`; a STOP after function calls is `tool_calls`.
    static func finishReason(_ reason: String?, calledFunctions: Bool) -> String {
        switch reason {
        case "STOP", nil, "FINISH_REASON_UNSPECIFIED": calledFunctions ? "tool_calls" : "stop"
        case "MAX_TOKENS": "length"
        case "MALFORMED_FUNCTION_CALL", "UNEXPECTED_TOOL_CALL", "TOO_MANY_TOOL_CALLS": "stop"
        case "SAFETY", "RECITATION", "LANGUAGE", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "OTHER":
            "content_filter"
        case let other? where other.hasPrefix("IMAGE_") || other == "NO_IMAGE": "content_filter"
        default: "stop"
        }
    }

    /// `usageMetadata` → OpenAI usage: completion includes thinking tokens.
    static func usage(_ json: JSONValue?) -> OpenAIUsageFields? {
        guard let json, case .object = json else { return nil }
        let prompt = (json["promptTokenCount"]?.intValue ?? 0) + (json["toolUsePromptTokenCount"]?.intValue ?? 0)
        let thoughts = json["thoughtsTokenCount"]?.intValue ?? 0
        let completion = (json["candidatesTokenCount"]?.intValue ?? 0) + thoughts
        return OpenAIUsageFields(
            promptTokens: prompt,
            completionTokens: completion,
            totalTokens: prompt + completion,
            cachedTokens: json["cachedContentTokenCount"]?.intValue ?? 0,
            reasoningTokens: thoughts
        )
    }

    /// A `google.rpc.Status` error → the client's error.
    static func error(httpStatus: Int, status: String?, message: String?) -> MappedError {
        let text = message ?? "Gemini answered HTTP \(httpStatus)."
        switch status {
        case "INVALID_ARGUMENT", "FAILED_PRECONDITION", "OUT_OF_RANGE":
            if text.lowercased().contains("api key") {
                return MappedError(
                    status: 401,
                    type: "authentication_error",
                    code: "invalid_upstream_credentials",
                    message: text
                )
            }
            return MappedError(status: 400, type: "invalid_request_error", code: "invalid_request", message: text)
        case "UNAUTHENTICATED":
            return MappedError(
                status: 401,
                type: "authentication_error",
                code: "invalid_upstream_credentials",
                message: text
            )
        case "PERMISSION_DENIED":
            return MappedError(status: 403, type: "permission_error", code: "permission_denied", message: text)
        case "NOT_FOUND":
            return MappedError(status: 404, type: "invalid_request_error", code: "model_not_found", message: text)
        case "RESOURCE_EXHAUSTED":
            return MappedError(status: 429, type: "rate_limit_error", code: "rate_limit_exceeded", message: text)
        case "INTERNAL", "UNKNOWN":
            return MappedError(status: 500, type: "server_error", code: "server_error", message: text)
        case "UNAVAILABLE":
            return MappedError(status: 503, type: "server_error", code: "service_unavailable", message: text)
        case "DEADLINE_EXCEEDED":
            return MappedError(status: 504, type: "server_error", code: "timeout", message: text)
        default:
            return MappedError(
                status: httpStatus,
                type: MappedError.openAIType(status: httpStatus),
                code: nil,
                message: text
            )
        }
    }

    /// An HTTP error answer `{"error":{"code","message","status"}}`.
    static func httpError(status: Int, body: [UInt8]) -> MappedError {
        let error = (try? JSONValue.parse(body))?["error"]
        return Self.error(
            httpStatus: status,
            status: error?["status"]?.stringValue,
            message: error?["message"]?.stringValue
        )
    }
}
