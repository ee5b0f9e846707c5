import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import SwitchyardCore

/// An upstream error translated to what the client sees: an HTTP status OpenAI SDKs know and the
/// OpenAI error fields (§7.6 of the wire reference).
struct MappedError: Sendable, Equatable {
    var status: Int
    var type: String
    var code: String?
    var message: String
    var param: String? = nil

    /// The OpenAI `type` conventionally used with `status`.
    static func openAIType(status: Int) -> String {
        switch status {
        case 401: "authentication_error"
        case 403: "permission_error"
        case 429: "rate_limit_error"
        case 500...: "server_error"
        default: "invalid_request_error"
        }
    }

    /// The OpenAI error body.
    var jsonBody: [UInt8] {
        JSONValue.object([
            (
                "error",
                .object([
                    ("message", .string(self.message)),
                    ("type", .string(self.type)),
                    ("param", self.param.map { .string($0) } ?? .null),
                    ("code", self.code.map { .string($0) } ?? .null),
                ])
            )
        ]).jsonBytes
    }

    /// The ``UpstreamError``: retryable by status, and carrying the OpenAI body for final client errors.
    func upstreamError(retryAfterSeconds: Int? = nil, streaming: Bool = false) -> UpstreamError {
        var error = UpstreamError(
            kind: .status,
            status: self.status,
            retryAfterSeconds: retryAfterSeconds,
            message: "the upstream answered \(self.status)\(self.code.map { " (\($0))" } ?? "")"
        )
        if !error.isRetryable { error.clientErrorBody = self.jsonBody }
        return error
    }
}

extension UpstreamError {
    /// The client's request cannot be translated for this provider (a final 400).
    static func untranslatable(_ error: GatewayError) -> UpstreamError {
        UpstreamError(
            kind: .status,
            status: error.code.status,
            message: "the request cannot be sent to this provider",
            clientErrorBody: Array(error.jsonBody().utf8)
        )
    }

    /// A 200 answer whose body is not what the dialect promises.
    static func malformed(_ what: String) -> UpstreamError {
        UpstreamError(kind: .malformedResponse, message: what)
    }
}

extension UpstreamHTTP {
    /// Reads a non-200 answer and maps it with a provider's error table.
    static func mappedStatusError(
        _ response: HTTPClientResponse,
        map: (Int, HTTPClientResponse, [UInt8]) -> MappedError
    ) async -> UpstreamError {
        let status = Int(response.status.code)
        let body = (try? await response.body.collect(upTo: 64 << 10)).map { Array($0.readableBytesView) } ?? []
        return map(status, response, body).upstreamError(retryAfterSeconds: Self.retryAfterSeconds(response.headers))
    }

    /// Collects a complete answer.
    static func collect(_ response: HTTPClientResponse, limit: Int = 64 << 20) async throws(UpstreamError) -> [UInt8] {
        do {
            return Array(try await response.body.collect(upTo: limit).readableBytesView)
        } catch {
            throw Self.classify(error)
        }
    }
}
