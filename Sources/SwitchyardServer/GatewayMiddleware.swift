import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SwitchyardCore
import SwitchyardProviders

/// A header name known to be valid at compile time.
private func field(_ name: String) -> HTTPField.Name {
    guard let field = HTTPField.Name(name) else { preconditionFailure("invalid header name \(name)") }
    return field
}

extension HTTPField.Name {
    static let requestID = field("x-request-id")
    static let switchyardRequestID = field("x-switchyard-request-id")
    static let switchyardProvider = field("x-switchyard-provider")
    static let switchyardCloud = field("x-switchyard-cloud")
    static let switchyardRegion = field("x-switchyard-region")
    static let switchyardAttempts = field("x-switchyard-attempts")
    static let traceparent = field("traceparent")
}

/// The outermost middleware: assigns the request id, echoes it, and renders every error in the
/// OpenAI shape — ours, Hummingbird's, and anything unexpected (as a bare 500, details logged).
struct GatewayMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        let generated = RequestIDs.next()
        context.requestID = generated
        let clientID = request.headers[.requestID].flatMap(RequestIDs.sanitize)
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = Self.errorResponse(error, logger: context.logger)
        }
        response.headers[.requestID] = clientID ?? generated
        if clientID != nil { response.headers[.switchyardRequestID] = generated }
        return response
    }

    static func errorResponse(_ error: any Error, logger: Logger) -> Response {
        let gatewayError: GatewayError
        switch error {
        case let error as GatewayError: gatewayError = error
        case let error as UpstreamPassThroughError:
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(
                status: .init(code: error.status),
                headers: headers,
                body: .init(byteBuffer: ByteBuffer(bytes: error.body))
            )
        case let error as HTTPError:
            switch error.status {
            case .notFound: gatewayError = GatewayError(code: .notFound, message: "Unknown endpoint.")
            case .methodNotAllowed:
                gatewayError = GatewayError(code: .methodNotAllowed, message: "Method not allowed on this endpoint.")
            case .contentTooLarge:
                gatewayError = GatewayError(code: .requestTooLarge, message: "The request body is too large.")
            default:
                gatewayError = GatewayError(
                    code: GatewayError.Code(
                        rawValue: "http_\(error.status.code)",
                        status: error.status.code,
                        type: "invalid_request_error"
                    ),
                    message: error.body ?? error.status.reasonPhrase
                )
            }
        case is NIOTooManyBytesError:
            gatewayError = GatewayError(code: .requestTooLarge, message: "The request body is too large.")
        default:
            logger.error("unhandled error", metadata: ["error.type": "\(type(of: error))"])
            gatewayError = GatewayError(code: .internalError, message: "The gateway failed to process the request.")
        }
        return Self.response(for: gatewayError)
    }

    static func response(for error: GatewayError) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if let seconds = error.retryAfterSeconds { headers[.retryAfter] = String(seconds) }
        for (name, value) in error.headers.sorted(by: { $0.key < $1.key }) {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        return Response(
            status: .init(code: error.code.status),
            headers: headers,
            body: .init(byteBuffer: ByteBuffer(string: error.jsonBody()))
        )
    }
}

/// A final upstream client error (400, 404, 422…) whose OpenAI-shaped body is passed on as is.
struct UpstreamPassThroughError: Error {
    var status: Int
    var body: [UInt8]
}

/// Rejects requests without an accepted client key; sets ``GatewayRequestContext/identity``
/// and ``GatewayRequestContext/caller``. The lookup is in memory (``ClientKeys``).
struct ClientAuthMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let keys: ClientKeys
    let clock: any WallClock

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let presented = BearerToken.read(request) else {
            throw GatewayError(
                code: .invalidAPIKey,
                message: "You didn't provide an API key. Send it as 'Authorization: Bearer KEY'."
            )
        }
        await self.keys.ensureLoaded()
        guard let caller = self.keys.identify(presented, at: self.clock.now()) else {
            throw GatewayError(code: .invalidAPIKey, message: "Incorrect API key provided.")
        }
        var context = context
        context.caller = caller
        return try await next(request, context)
    }
}

/// The bearer token of a request, if it has one.
enum BearerToken {
    static func read(_ request: Request) -> String? {
        guard let header = request.headers[.authorization], header.count > 7,
            header.prefix(7).lowercased() == "bearer "
        else { return nil }
        let token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}

/// Request ids: `req_` + 24 random hex digits; client-supplied ids are accepted when short and printable.
enum RequestIDs {
    static func next() -> String {
        let value = UInt128.random(in: 0...UInt128.max) >> 32
        let hex = String(value, radix: 16)
        return "req_" + String(repeating: "0", count: max(0, 24 - hex.count)) + hex
    }

    static func sanitize(_ value: String) -> String? {
        guard !value.isEmpty, value.utf8.count <= 128, value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return nil
        }
        return value
    }
}
