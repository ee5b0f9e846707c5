import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SwitchyardCore

/// A local server that speaks the OpenAI chat completions wire format exactly, with
/// deterministic answers and scriptable faults. Used by tests, the benchmark and `switchyard demo`.
///
/// Routes: `POST /v1/chat/completions`, `GET /v1/models`, and the control API
/// `POST /_simulator/faults` (`{"faults":[{"kind":"status","status":429,"retry_after":1,"count":1}]}`;
/// kinds `status`, `hang`, `close_mid_stream`, `malformed_json`, `hang_mid_stream`, `reset`,
/// `stream_error`, `rate_limit_reset` (`"reset":"6m0s"`)), `DELETE /_simulator/faults`,
/// `GET /_simulator/stats`.
public enum Simulator {
    /// Builds the simulator application.
    /// - Parameters:
    ///   - options: answer shape and latency.
    ///   - state: the fault script and counters, shared with the caller.
    ///   - host: address to bind.
    ///   - port: port to bind; 0 picks a free one.
    ///   - logger: the server's logger.
    ///   - onServerRunning: called with the bound port once the server accepts connections.
    public static func application(
        options: SimulatorOptions = SimulatorOptions(),
        state: SimulatorState = SimulatorState(),
        host: String = "127.0.0.1",
        port: Int = 0,
        logger: Logger = Logger(label: "switchyard.simulator"),
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router(context: SimulatorContext.self)
        let handler = SimulatorHandler(options: options, state: state)
        router.post("/v1/chat/completions") { request, context in
            try await handler.serve(request, dialect: .openAI, channel: context.channel)
        }
        router.post("/openai/v1/chat/completions") { request, context in
            // Azure's v1 form and Bedrock's OpenAI-compatible endpoint share this path: the
            // credential tells them apart.
            let azure = request.header("api-key") != nil || handler.options.awsCredentials == nil
            return try await handler.serve(request, dialect: azure ? .azure : .bedrockOpenAI, channel: context.channel)
        }
        router.post("/openai/deployments/:deployment/chat/completions") { request, context in
            guard request.uri.queryParameters["api-version"] != nil else {
                return Response.json(
                    #"{"error":{"code":"404","message":"Resource not found"}}"#,
                    status: .notFound
                )
            }
            return try await handler.serve(
                request,
                dialect: .azure,
                model: context.parameters.get("deployment") ?? "",
                channel: context.channel
            )
        }
        router.post("/model/:model/converse") { request, context in
            try await handler.serve(
                request,
                dialect: .bedrock(stream: false),
                model: context.parameters.get("model") ?? "",
                channel: context.channel
            )
        }
        router.post("/model/:model/converse-stream") { request, context in
            try await handler.serve(
                request,
                dialect: .bedrock(stream: true),
                model: context.parameters.get("model") ?? "",
                channel: context.channel
            )
        }
        router.post("/v1/messages") { request, context in
            try await handler.serve(request, dialect: .anthropic, channel: context.channel)
        }
        router.post("/v1beta/models/:action") { request, context in
            let action = context.parameters.get("action") ?? ""
            guard let colon = action.lastIndex(of: ":") else {
                return Response.json(
                    #"{"error":{"code":404,"message":"Not found","status":"NOT_FOUND"}}"#,
                    status: .notFound
                )
            }
            let method = action[action.index(after: colon)...]
            guard method == "generateContent" || method == "streamGenerateContent" else {
                return Response.json(
                    #"{"error":{"code":404,"message":"Unknown method","status":"NOT_FOUND"}}"#,
                    status: .notFound
                )
            }
            return try await handler.serve(
                request,
                dialect: .gemini(stream: method == "streamGenerateContent"),
                model: String(action[..<colon]),
                channel: context.channel
            )
        }
        router.get("/v1/models") { _, _ in
            Response.json(
                #"{"object":"list","data":[{"id":"sim-model","object":"model","created":1700000000,"owned_by":"simulator"}]}"#
            )
        }
        router.post("/_simulator/faults", use: handler.scriptFaults)
        router.delete("/_simulator/faults") { _, _ in
            state.clearFaults()
            return HTTPResponse.Status.noContent
        }
        router.get("/_simulator/stats") { _, _ in handler.statsResponse() }
        return Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: [CallerDepartureRecorder(state: state)])),
            configuration: .init(address: .hostname(host, port: port), serverName: "switchyard-simulator"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger
        )
    }
}

extension Response {
    static func json(_ text: String, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

struct SimulatorHandler: Sendable {
    let options: SimulatorOptions
    let state: SimulatorState

    static let words = [
        "Hello", " from", " the", " simulated", " cloud", ".", " Every", " word", " is", " one", " token", "!",
    ]

    @Sendable func scriptFaults(_ request: Request, context: SimulatorContext) async throws -> Response {
        let body = try await request.body.collect(upTo: 1 << 20)
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any],
            let list = object["faults"] as? [[String: Any]]
        else {
            return Response.json(
                Self.errorBody("expected {\"faults\":[...]}", type: "invalid_request_error", code: nil),
                status: .badRequest
            )
        }
        var faults: [SimulatedFault] = []
        for item in list {
            let count = item["count"] as? Int ?? 1
            let fault: SimulatedFault
            switch item["kind"] as? String {
            case "status":
                guard let status = item["status"] as? Int else {
                    return Response.json(
                        Self.errorBody("status fault needs \"status\"", type: "invalid_request_error", code: nil),
                        status: .badRequest
                    )
                }
                fault = .status(status, retryAfterSeconds: item["retry_after"] as? Int)
            case "hang": fault = .hang(maxSeconds: item["max_seconds"] as? Int ?? 60)
            case "close_mid_stream": fault = .closeMidStream(afterChunks: item["after_chunks"] as? Int ?? 1)
            case "malformed_json": fault = .malformedJSON
            case "hang_mid_stream":
                fault = .hangMidStream(
                    afterChunks: item["after_chunks"] as? Int ?? 1,
                    maxSeconds: item["max_seconds"] as? Int ?? 60
                )
            case "reset": fault = .reset
            case "stream_error": fault = .streamError(afterChunks: item["after_chunks"] as? Int ?? 1)
            case "rate_limit_reset": fault = .rateLimitReset(item["reset"] as? String ?? "1s")
            default:
                return Response.json(
                    Self.errorBody("unknown fault kind", type: "invalid_request_error", code: nil),
                    status: .badRequest
                )
            }
            faults.append(contentsOf: Array(repeating: fault, count: max(count, 0)))
        }
        self.state.enqueue(faults)
        return Response.json(#"{"scripted":\#(faults.count)}"#)
    }

    func statsResponse() -> Response {
        let stats = self.state.stats
        let last = stats.lastRequestBody.map { String(decoding: $0, as: UTF8.self) } ?? "null"
        let authorization = stats.lastAuthorization.map { JSONText.quoted($0) } ?? "null"
        let traceparent = stats.lastTraceparent.map { JSONText.quoted($0) } ?? "null"
        let departure = stats.lastDeparture.map { String($0.timeIntervalSince1970) } ?? "null"
        return Response.json(
            #"{"requests":\#(stats.requests),"cancelled":\#(stats.cancelled),"departures":\#(stats.departures),"last_departure_unix":\#(departure),"last_authorization":\#(authorization),"last_traceparent":\#(traceparent),"last_request":\#(last)}"#
        )
    }

    static func errorBody(_ message: String, type: String, code: String?, param: String? = nil) -> String {
        let code = code.map { JSONText.quoted($0) } ?? "null"
        let param = param.map { JSONText.quoted($0) } ?? "null"
        return
            #"{"error":{"message":\#(JSONText.quoted(message)),"type":\#(JSONText.quoted(type)),"param":\#(param),"code":\#(code)}}"#
    }

    static func errorKind(_ status: Int) -> (type: String, code: String?) {
        switch status {
        case 429: ("rate_limit_error", "rate_limit_exceeded")
        case 400..<500: ("invalid_request_error", nil)
        default: ("server_error", nil)
        }
    }

    /// About four bytes of text per token, at least one per message.
    static func promptTokens(_ messages: [Any]) -> Int {
        var bytes = 0
        for case let message as [String: Any] in messages {
            if let text = message["content"] as? String {
                bytes += text.utf8.count
            } else if let parts = message["content"] as? [[String: Any]] {
                for part in parts { bytes += (part["text"] as? String)?.utf8.count ?? 0 }
            }
            bytes += 16
        }
        return max(1, (bytes + 3) / 4)
    }
}

struct SimulatedDisconnect: Error {}

/// Notes the moment a caller closes its connection (or its side of it), so that tests can
/// measure how fast a gateway gives up on an upstream request.
private final class CallerDepartureRecorder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    let state: SimulatorState
    var recorded = false

    init(state: SimulatorState) { self.state = state }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { self.record() }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.record()  // a reset
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.record()  // closed before its end was read, e.g. after a failed write
        context.fireChannelInactive()
    }

    private func record() {
        guard !self.recorded else { return }
        self.recorded = true
        self.state.recordDeparture(at: Date())
    }
}

/// The simulator's request context: Hummingbird's basic one plus the connection, so that a
/// fault can reset it.
public struct SimulatorContext: RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The connection the request arrived on.
    public let channel: any Channel

    /// Creates the context of a request arriving on `source.channel`.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
