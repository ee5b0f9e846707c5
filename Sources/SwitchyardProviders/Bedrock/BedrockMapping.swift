import SwitchyardCore

/// Bedrock's mapping tables (§3.6, §7.4–7.6 of the wire reference), in one place.
enum BedrockMapping {
    /// Converse `stopReason` → OpenAI `finish_reason`.
    static func finishReason(_ stopReason: String?) -> String {
        switch stopReason {
        case "end_turn", "stop_sequence": "stop"
        case "max_tokens", "model_context_window_exceeded": "length"
        case "tool_use": "tool_calls"
        case "guardrail_intervened", "content_filtered": "content_filter"
        default: "stop"  // malformed_model_output, malformed_tool_use, unknown values
        }
    }

    /// Converse `TokenUsage` → OpenAI usage. Cache reads and writes are counted into the prompt
    /// (OpenAI's convention: cached tokens are part of `prompt_tokens`); totals always add up.
    static func usage(_ usage: JSONValue?) -> OpenAIUsageFields? {
        guard let usage, case .object = usage else { return nil }
        let cacheRead = usage["cacheReadInputTokens"]?.intValue ?? 0
        let cacheWrite = usage["cacheWriteInputTokens"]?.intValue ?? 0
        let prompt = (usage["inputTokens"]?.intValue ?? 0) + cacheRead + cacheWrite
        let completion = usage["outputTokens"]?.intValue ?? 0
        return OpenAIUsageFields(
            promptTokens: prompt,
            completionTokens: completion,
            totalTokens: prompt + completion,
            cachedTokens: cacheRead,
            cacheWriteTokens: usage["cacheWriteInputTokens"] == nil ? nil : cacheWrite
        )
    }

    /// A modelled Bedrock exception (HTTP or in-stream) → the client's error.
    static func error(exception name: String?, message: String?, httpStatus: Int?) -> MappedError {
        let text = message ?? "Bedrock answered \(name ?? "an error")."
        switch name?.lowercased() {
        case "validationexception":
            let overflow = text.lowercased().contains("too long") || text.lowercased().contains("context")
            return MappedError(
                status: 400,
                type: "invalid_request_error",
                code: overflow ? "context_length_exceeded" : "invalid_request",
                message: text
            )
        case "servicequotaexceededexception":
            return MappedError(status: 429, type: "rate_limit_error", code: "insufficient_quota", message: text)
        case "throttlingexception":
            return MappedError(status: 429, type: "rate_limit_error", code: "rate_limit_exceeded", message: text)
        case "modelnotreadyexception":
            return MappedError(status: 503, type: "server_error", code: "model_not_ready", message: text)
        case "accessdeniedexception":
            return MappedError(status: 403, type: "permission_error", code: "access_denied", message: text)
        case "unrecognizedclientexception", "invalidsignatureexception", "expiredtokenexception":
            return MappedError(
                status: 401,
                type: "authentication_error",
                code: "invalid_upstream_credentials",
                message: text
            )
        case "resourcenotfoundexception":
            return MappedError(status: 404, type: "invalid_request_error", code: "model_not_found", message: text)
        case "modeltimeoutexception":
            return MappedError(status: 504, type: "server_error", code: "timeout", message: text)
        case "modelerrorexception", "modelstreamerrorexception":
            return MappedError(status: 502, type: "server_error", code: "upstream_model_error", message: text)
        case "internalserverexception":
            return MappedError(status: 500, type: "server_error", code: "server_error", message: text)
        case "serviceunavailableexception":
            return MappedError(status: 503, type: "server_error", code: "service_unavailable", message: text)
        default:
            let status = httpStatus.map { $0 == 424 ? 502 : $0 } ?? 502
            return MappedError(status: status, type: MappedError.openAIType(status: status), code: nil, message: text)
        }
    }

    /// An HTTP error answer: the code from `x-amzn-ErrorType` (before `:`, after `#`), else the
    /// body's `code`/`Code`/`__type`; the message from `message`/`Message`.
    static func httpError(status: Int, errorTypeHeader: String?, body: [UInt8]) -> MappedError {
        let json = try? JSONValue.parse(body)
        var name: String?
        if let header = errorTypeHeader, !header.isEmpty {
            name = String(header.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)[0])
        } else {
            name = json?["code"]?.stringValue ?? json?["Code"]?.stringValue ?? json?["__type"]?.stringValue
        }
        if let current = name, let hash = current.lastIndex(of: "#") {
            name = String(current[current.index(after: hash)...])
        }
        return Self.error(
            exception: name,
            message: json?["message"]?.stringValue ?? json?["Message"]?.stringValue,
            httpStatus: status
        )
    }
}
