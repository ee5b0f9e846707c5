/// An error a client of the gateway sees, rendered in the OpenAI error shape
/// `{"error":{"message","type","param","code"}}`.
///
/// Messages never contain keys, prompts or upstream bodies.
public struct GatewayError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The machine-readable reason; extensible without breaking `switch`es.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The value of the OpenAI `code` field.
        public let rawValue: String
        /// The HTTP status this code is answered with.
        public let status: Int
        /// The value of the OpenAI `type` field.
        public let type: String

        /// Creates a code answered with `status` and OpenAI error `type`.
        public init(rawValue: String, status: Int, type: String) {
            self.rawValue = rawValue
            self.status = status
            self.type = type
        }

        public var description: String { self.rawValue }

        /// Malformed JSON or a missing or invalid field.
        public static let invalidRequest = Code(rawValue: "invalid_request", status: 400, type: "invalid_request_error")
        /// The body is larger than the configured limit.
        public static let requestTooLarge = Code(
            rawValue: "request_too_large",
            status: 413,
            type: "invalid_request_error"
        )
        /// No or an unknown client key.
        public static let invalidAPIKey = Code(rawValue: "invalid_api_key", status: 401, type: "invalid_request_error")
        /// The model is not in the catalog.
        public static let modelNotFound = Code(rawValue: "model_not_found", status: 404, type: "invalid_request_error")
        /// The model exists but no deployment may serve this tenant now.
        public static let modelNotAvailable = Code(
            rawValue: "model_not_available",
            status: 403,
            type: "permission_error"
        )
        /// No route matches the path.
        public static let notFound = Code(rawValue: "not_found", status: 404, type: "invalid_request_error")
        /// The method is not allowed on this path.
        public static let methodNotAllowed = Code(
            rawValue: "method_not_allowed",
            status: 405,
            type: "invalid_request_error"
        )
        /// Every deployment answered 429.
        public static let rateLimited = Code(rawValue: "rate_limit_exceeded", status: 429, type: "rate_limit_error")
        /// Every deployment failed with a server error or a broken answer.
        public static let upstreamError = Code(rawValue: "upstream_error", status: 502, type: "server_error")
        /// Every deployment was unavailable (503).
        public static let upstreamUnavailable = Code(
            rawValue: "upstream_unavailable",
            status: 503,
            type: "server_error"
        )
        /// Every deployment timed out.
        public static let upstreamTimeout = Code(rawValue: "upstream_timeout", status: 504, type: "server_error")
        /// A bug or an unexpected failure inside the gateway.
        public static let internalError = Code(rawValue: "internal_error", status: 500, type: "server_error")
        /// The gateway is not ready (store unreachable).
        public static let notReady = Code(rawValue: "not_ready", status: 503, type: "server_error")
    }

    /// Why the request failed.
    public var code: Code
    /// A human-readable message, safe to show to clients.
    public var message: String
    /// The request field at fault, if any.
    public var param: String?
    /// Seconds after which a retry makes sense (sent as `retry-after`).
    public var retryAfterSeconds: Int?
    /// Further response headers (`x-ratelimit-*` of a refused request).
    public var headers: [String: String] = [:]

    /// Creates an error.
    public init(code: Code, message: String, param: String? = nil, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.message = message
        self.param = param
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(self.code): \(self.message)" }

    /// The OpenAI error body as JSON bytes, all four keys present.
    public func jsonBody() -> String {
        let param = self.param.map { JSONText.quoted($0) } ?? "null"
        return
            #"{"error":{"message":\#(JSONText.quoted(self.message)),"type":\#(JSONText.quoted(self.code.type)),"param":\#(param),"code":\#(JSONText.quoted(self.code.rawValue))}}"#
    }
}
