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
/// kinds `status`, `hang`, `close_mid_stream`, `malformed_json`), `DELETE /_simulator/faults`,
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
        let router = Router()
        let handler = SimulatorHandler(options: options, state: state)
        router.post("/v1/chat/completions", use: handler.chatCompletions)
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

    @Sendable func chatCompletions(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let fault = self.state.takeFault()
        if case .hang(let maxSeconds) = fault {
            // Hold the request until the caller gives up: cancelled when its connection closes.
            do {
                return try await request.body.consumeWithCancellationOnInboundClose { body in
                    _ = try await body.collect(upTo: 16 << 20)
                    try await Task.sleep(for: .seconds(maxSeconds))
                    return Response.json(
                        Self.errorBody("simulated hang ended", type: "server_error", code: nil),
                        status: .gatewayTimeout
                    )
                }
            } catch {
                self.state.recordCancellation()
                throw error
            }
        }
        let body = Array(try await request.body.collect(upTo: 16 << 20).readableBytesView)
        self.state.recordRequest(body: body, authorization: request.headers[.authorization])

        if let required = self.options.requiredAPIKey, request.headers[.authorization] != "Bearer \(required)" {
            return Response.json(
                Self.errorBody("Incorrect API key provided.", type: "invalid_request_error", code: "invalid_api_key"),
                status: .unauthorized
            )
        }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            return Response.json(
                Self.errorBody(
                    "We could not parse the JSON body of your request.",
                    type: "invalid_request_error",
                    code: nil
                ),
                status: .badRequest
            )
        }
        guard let model = object["model"] as? String else {
            return Response.json(
                Self.errorBody(
                    "you must provide a model parameter",
                    type: "invalid_request_error",
                    code: nil,
                    param: "model"
                ),
                status: .badRequest
            )
        }
        guard let messages = object["messages"] as? [Any], !messages.isEmpty else {
            return Response.json(
                Self.errorBody(
                    "'messages' is a required property",
                    type: "invalid_request_error",
                    code: nil,
                    param: "messages"
                ),
                status: .badRequest
            )
        }
        if case .status(let code, let retryAfter) = fault {
            var headers = HTTPFields()
            if let retryAfter { headers[.retryAfter] = String(retryAfter) }
            let (type, errorCode) = Self.errorKind(code)
            return Response.json(
                Self.errorBody("Simulated upstream error \(code).", type: type, code: errorCode),
                status: HTTPResponse.Status(code: code),
                headers: headers
            )
        }
        if self.options.firstByteLatency > .zero { try await Task.sleep(for: self.options.firstByteLatency) }

        let stream = object["stream"] as? Bool ?? false
        let includeUsage = ((object["stream_options"] as? [String: Any])?["include_usage"] as? Bool) ?? false
        let answer = Answer(
            id: "chatcmpl-sim\(UInt32.random(in: 0...UInt32.max))",
            created: Int(Date().timeIntervalSince1970),
            model: model,
            promptTokens: Self.promptTokens(messages),
            completionTokens: self.options.completionTokens
        )
        if stream {
            return self.streamResponse(answer, includeUsage: includeUsage, fault: fault)
        }
        switch fault {
        case .malformedJSON:
            return Response.json(#"{"id":"chatcmpl-broken","object":"chat.completion","choices":[{"#)
        case .closeMidStream:
            let full = answer.completionJSON()
            let half = String(full.prefix(full.count / 2))
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            headers[.contentLength] = String(full.utf8.count)
            return Response(
                status: .ok,
                headers: headers,
                body: ResponseBody { writer in
                    try await writer.write(ByteBuffer(string: half))
                    throw SimulatedDisconnect()
                }
            )
        default:
            return Response.json(answer.completionJSON())
        }
    }

    private func streamResponse(_ answer: Answer, includeUsage: Bool, fault: SimulatedFault?) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        let interval = self.options.chunkInterval
        let state = self.state
        return Response(
            status: .ok,
            headers: headers,
            body: ResponseBody { writer in
                var events = answer.streamEvents(includeUsage: includeUsage)
                switch fault {
                case .malformedJSON:
                    events = [#"{"id":"chatcmpl-broken","object":"chat.completion.chunk","choices":[{"#, "[DONE]"]
                case .closeMidStream(let afterChunks):
                    events = Array(events.prefix(afterChunks))
                default: break
                }
                do {
                    for (index, event) in events.enumerated() {
                        if index > 0 && interval > .zero { try await Task.sleep(for: interval) }
                        try await writer.write(ByteBuffer(string: "data: \(event)\n\n"))
                    }
                } catch {
                    state.recordCancellation()
                    throw error
                }
                if case .closeMidStream = fault { throw SimulatedDisconnect() }
                try await writer.finish(nil)
            }
        )
    }

    @Sendable func scriptFaults(_ request: Request, context: BasicRequestContext) async throws -> Response {
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
        return Response.json(
            #"{"requests":\#(stats.requests),"cancelled":\#(stats.cancelled),"last_authorization":\#(authorization),"last_request":\#(last)}"#
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

/// One deterministic answer, rendered as a complete body or as stream events.
struct Answer {
    var id: String
    var created: Int
    var model: String
    var promptTokens: Int
    var completionTokens: Int

    var words: [String] {
        (0..<self.completionTokens).map { SimulatorHandler.words[$0 % SimulatorHandler.words.count] }
    }

    var usageJSON: String {
        #"{"prompt_tokens":\#(self.promptTokens),"completion_tokens":\#(self.completionTokens),"total_tokens":\#(self.promptTokens + self.completionTokens),"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}"#
    }

    func completionJSON() -> String {
        let content = JSONText.quoted(self.words.joined())
        return
            #"{"id":"\#(self.id)","object":"chat.completion","created":\#(self.created),"model":\#(JSONText.quoted(self.model)),"system_fingerprint":"fp_sim","choices":[{"index":0,"message":{"role":"assistant","content":\#(content),"refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":\#(self.usageJSON)}"#
    }

    func streamEvents(includeUsage: Bool) -> [String] {
        let head =
            #"{"id":"\#(self.id)","object":"chat.completion.chunk","created":\#(self.created),"model":\#(JSONText.quoted(self.model)),"system_fingerprint":"fp_sim","choices":"#
        let usageNull = includeUsage ? #","usage":null"# : ""
        var events = [
            head + #"[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]"#
                + usageNull + "}"
        ]
        for word in self.words {
            events.append(
                head
                    + #"[{"index":0,"delta":{"content":\#(JSONText.quoted(word))},"logprobs":null,"finish_reason":null}]"#
                    + usageNull + "}"
            )
        }
        events.append(head + #"[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]"# + usageNull + "}")
        if includeUsage { events.append(head + #"[],"usage":\#(self.usageJSON)}"#) }
        events.append("[DONE]")
        return events
    }
}
