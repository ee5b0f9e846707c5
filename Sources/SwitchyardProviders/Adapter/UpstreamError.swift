import SwitchyardCore

/// Why an upstream attempt failed, and whether another deployment may be tried.
public struct UpstreamError: Error, Sendable, CustomStringConvertible {
    /// The failure class; extensible.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { self.name }

        /// The connection could not be opened.
        public static let connectFailed = Kind(name: "connect_failed")
        /// No response head (or no next chunk) within the allowed time.
        public static let timeout = Kind(name: "timeout")
        /// The upstream answered a non-200 status.
        public static let status = Kind(name: "status")
        /// The upstream answered 200 with a body that is not what its dialect promises.
        public static let malformedResponse = Kind(name: "malformed_response")
        /// The stream ended or broke before its end marker.
        public static let streamInterrupted = Kind(name: "stream_interrupted")
    }

    /// The failure class.
    public var kind: Kind
    /// The upstream's HTTP status, when it answered one.
    public var status: Int?
    /// How long the upstream asked us to wait (`retry-after`), in seconds.
    public var retryAfterSeconds: Int?
    /// A sanitized description: never the upstream body, never a credential.
    public var message: String
    /// For final client errors (400, 404, 422…): the upstream's OpenAI-shaped error body to pass on.
    public var clientErrorBody: [UInt8]?

    /// Creates an error.
    public init(
        kind: Kind,
        status: Int? = nil,
        retryAfterSeconds: Int? = nil,
        message: String,
        clientErrorBody: [UInt8]? = nil
    ) {
        self.kind = kind
        self.status = status
        self.retryAfterSeconds = retryAfterSeconds
        self.message = message
        self.clientErrorBody = clientErrorBody
    }

    /// Whether another deployment may be tried (only ever before the client got a byte).
    ///
    /// Client errors such as 400 or 422 would fail the same way everywhere, so they are final.
    /// 401/403 mean *our* credential for this provider is wrong: another provider may work.
    public var isRetryable: Bool {
        guard self.kind == .status, let status = self.status else { return true }
        return status == 401 || status == 403 || status == 408 || status == 429 || status >= 500
    }

    /// The error the client sees when this was the last attempt.
    public var gatewayError: GatewayError {
        switch self.kind {
        case .timeout:
            return GatewayError(code: .upstreamTimeout, message: "The upstream model provider did not answer in time.")
        case .status where self.status == 429:
            return GatewayError(
                code: .rateLimited,
                message: "The upstream model provider is rate limiting requests. Retry later.",
                retryAfterSeconds: self.retryAfterSeconds ?? 1
            )
        case .status where self.status == 503:
            return GatewayError(
                code: .upstreamUnavailable,
                message: "The upstream model provider is unavailable. Retry later.",
                retryAfterSeconds: self.retryAfterSeconds ?? 1
            )
        case .status where self.status == 504:
            return GatewayError(code: .upstreamTimeout, message: "The upstream model provider timed out.")
        case .status where self.status.map { (400..<500).contains($0) && !self.isRetryable } == true:
            return GatewayError(
                code: GatewayError.Code.upstreamClientError(self.status ?? 400),
                message: "The upstream model provider rejected the request (HTTP \(self.status ?? 400))."
            )
        default:
            return GatewayError(code: .upstreamError, message: "The upstream model provider failed: \(self.message).")
        }
    }

    public var description: String { "\(self.kind)\(self.status.map { " \($0)" } ?? ""): \(self.message)" }
}

extension GatewayError.Code {
    /// An upstream 4xx that is the client's fault, answered with the same status.
    public static func upstreamClientError(_ status: Int) -> GatewayError.Code {
        GatewayError.Code(rawValue: "invalid_request", status: status, type: "invalid_request_error")
    }
}
