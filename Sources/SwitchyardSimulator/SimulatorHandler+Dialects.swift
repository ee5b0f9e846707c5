import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchyardCore
import SwitchyardProviders

extension SimulatorHandler {
    /// Serves one chat request in `dialect`: fault script, inbound auth, validation, answer.
    func serve(
        _ request: Request,
        dialect: SimulatorDialect,
        model pathModel: String = "",
        channel: (any Channel)? = nil
    ) async throws -> Response {
        let fault = self.state.takeFault()
        if case .reset = fault {
            // An abortive close: the peer sees ECONNRESET, not an orderly end.
            if let provider = channel as? any SocketOptionProvider {
                try? await provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
            }
            if let channel { try? await channel.close().get() }
            throw SimulatedDisconnect()
        }
        if case .hang(let maxSeconds) = fault {
            // Hold the request until the caller gives up: cancelled when its connection closes.
            do {
                return try await request.body.consumeWithCancellationOnInboundClose { body in
                    _ = try await body.collect(upTo: 16 << 20)
                    try await Task.sleep(for: .seconds(maxSeconds))
                    return Self.dialectError(dialect, status: 504, message: "simulated hang ended")
                }
            } catch {
                self.state.recordCancellation()
                throw error
            }
        }
        var preread: [UInt8]?
        if case .hangMidStream(_, let maxSeconds) = fault {
            // A stream hangs after its first chunks (below); any other answer hangs before its head.
            do {
                let bytes = try await request.body.consumeWithCancellationOnInboundClose { body -> [UInt8]? in
                    let bytes = Array(try await body.collect(upTo: 16 << 20).readableBytesView)
                    if Self.asksForStream(bytes, dialect: dialect) { return bytes }
                    try await Task.sleep(for: .seconds(maxSeconds))
                    return nil
                }
                guard let bytes else { return Self.dialectError(dialect, status: 504, message: "simulated hang ended") }
                preread = bytes
            } catch {
                self.state.recordCancellation()
                throw error
            }
        }
        let body: [UInt8]
        if let preread {
            body = preread
        } else {
            body = Array(try await request.body.collect(upTo: 16 << 20).readableBytesView)
        }
        self.state.recordRequest(
            body: body,
            authorization: request.headers[.authorization] ?? request.header("api-key") ?? request.header("x-api-key")
                ?? request.header("x-goog-api-key"),
            traceparent: request.header("traceparent")
        )
        if let denied = self.checkAuth(request, body: body, dialect: dialect) { return denied }

        guard let json = try? JSONValue.parse(body), case .object = json else {
            return Self.dialectError(dialect, status: 400, message: "We could not parse the JSON body of your request.")
        }
        let parsed: DialectRequest
        switch Self.read(json, dialect: dialect, pathModel: pathModel) {
        case .success(let value): parsed = value
        case .failure(let problem): return problem.response
        }
        if case .rateLimitReset(let reset) = fault {
            var response = Self.dialectError(dialect, status: 429, message: "Rate limit reached.")
            if let name = HTTPField.Name("x-ratelimit-reset-requests") { response.headers[name] = reset }
            if let name = HTTPField.Name("x-ratelimit-remaining-requests") { response.headers[name] = "0" }
            return response
        }
        if case .streamError = fault, !parsed.stream {
            return Self.dialectError(dialect, status: 500, message: "Simulated upstream error 500.")
        }
        if case .status(let code, let retryAfter) = fault {
            if case .bedrock(stream: true) = dialect, code == 429 {
                // Bedrock's form of 429 on a stream: a 200 whose first frame is a throttlingException.
                return Self.streamResponse(
                    contentType: "application/vnd.amazon.eventstream",
                    chunks: [
                        EventStreamEncoder.exception(
                            "throttlingException",
                            message: "Too many requests, please wait before trying again."
                        )
                    ],
                    interval: .zero,
                    ending: .finish,
                    state: self.state
                )
            }
            return Self.dialectError(
                dialect,
                status: code,
                message: "Simulated upstream error \(code).",
                retryAfter: retryAfter
            )
        }
        if self.options.firstByteLatency > .zero { try await Task.sleep(for: self.options.firstByteLatency) }

        var answer = Answer(
            id: "chatcmpl-sim\(UInt32.random(in: 0...UInt32.max))",
            created: Int(Date().timeIntervalSince1970),
            model: parsed.model,
            promptTokens: parsed.promptTokens,
            completionTokens: self.options.completionTokens
        )
        if let tool = parsed.tool {
            answer.toolCall = (
                "call_sim\(UInt32.random(in: 0...UInt32.max))", tool.name,
                .object(tool.properties.map { ($0, .string("simulated")) })
            )
        }
        return self.render(answer, request: parsed, dialect: dialect, fault: fault, channel: channel)
    }

    private func render(
        _ answer: Answer,
        request: DialectRequest,
        dialect: SimulatorDialect,
        fault: SimulatedFault?,
        channel: (any Channel)?
    )
        -> Response
    {
        let interval = self.options.chunkInterval
        var afterChunks: Int?
        var ending = StreamEnding.finish
        switch fault {
        case .closeMidStream(let count)?:
            afterChunks = count
            ending = .disconnect
        case .hangMidStream(let count, let maxSeconds)?:
            afterChunks = count
            ending = .hang(maxSeconds: maxSeconds)
        case .streamError(let count)?:
            afterChunks = count
            ending = .finish
        default: break
        }
        let malformed = fault == .malformedJSON

        if !request.stream {
            let full: String
            switch dialect {
            case .openAI, .bedrockOpenAI: full = answer.completionJSON()
            case .azure: full = answer.completionJSON(azure: true)
            case .bedrock: full = answer.converseJSON()
            case .anthropic: full = answer.anthropicJSON()
            case .gemini: full = answer.geminiJSON()
            }
            if malformed { return Response.json(String(full.prefix(full.count / 3))) }
            if case .disconnect = ending, afterChunks != nil {
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
            }
            return Response.json(full)
        }

        var chunks: [[UInt8]]
        var contentType = "text/event-stream"
        switch dialect {
        case .openAI, .azure, .bedrockOpenAI:
            var events = answer.streamEvents(includeUsage: request.includeUsage, azure: dialect == .azure)
            if malformed {
                events = [#"{"id":"chatcmpl-broken","object":"chat.completion.chunk","choices":[{"#, "[DONE]"]
            }
            chunks = events.map { Array("data: \($0)\n\n".utf8) }
        case .bedrock:
            contentType = "application/vnd.amazon.eventstream"
            chunks = answer.converseStreamFrames()
            if malformed, var first = chunks.first {
                first[first.count - 1] ^= 0xFF  // a message CRC that does not match
                chunks = [first]
            }
        case .anthropic:
            chunks = answer.anthropicEvents().map { Array($0.utf8) }
            if malformed { chunks = [Array("event: message_start\ndata: {\"type\":\"message_st\n\n".utf8)] }
        case .gemini:
            chunks = answer.geminiEvents().map { Array($0.utf8) }
            if malformed { chunks = [Array("data: {\"candidates\":[{\n\n".utf8)] }
        }
        if let afterChunks {
            // Azure's leading filter chunk carries nothing for the client: do not count it.
            chunks = Array(chunks.prefix(afterChunks + (dialect == .azure ? 1 : 0)))
        }
        if case .streamError = fault { chunks.append(Self.streamErrorEvent(dialect)) }
        return Self.streamResponse(
            contentType: contentType,
            chunks: chunks,
            interval: interval,
            ending: ending,
            state: self.state,
            channel: channel,
            keepAlive: Self.keepAlive(dialect)
        )
    }

    /// How a simulated stream ends.
    enum StreamEnding {
        /// A clean end.
        case finish
        /// The connection drops.
        case disconnect
        /// Silence until the caller goes away.
        case hang(maxSeconds: Int)
    }

    /// The dialect's in-stream error, as each service sends it when generation fails mid-way.
    static func streamErrorEvent(_ dialect: SimulatorDialect) -> [UInt8] {
        switch dialect {
        case .bedrock:
            return EventStreamEncoder.exception(
                "modelStreamErrorException",
                message: "The model stream failed. Try your request again."
            )
        case .anthropic:
            return Array(
                "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"
                    .utf8
            )
        case .gemini:
            return Array(
                "data: {\"error\":{\"code\":500,\"message\":\"Internal error encountered.\",\"status\":\"INTERNAL\"}}\n\n"
                    .utf8
            )
        case .openAI, .azure, .bedrockOpenAI:
            return Array(
                "data: {\"error\":{\"message\":\"The server had an error while processing your request.\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n"
                    .utf8
            )
        }
    }

    /// Whether a chat request asks for a stream.
    static func asksForStream(_ body: [UInt8], dialect: SimulatorDialect) -> Bool {
        switch dialect {
        case .bedrock(let stream), .gemini(let stream): return stream
        default: return (try? JSONValue.parse(body))?["stream"]?.boolValue == true
        }
    }

    /// What the dialect sends to keep a quiet stream open (nil: Bedrock's event stream has nothing).
    static func keepAlive(_ dialect: SimulatorDialect) -> [UInt8]? {
        switch dialect {
        case .bedrock: return nil
        case .anthropic: return Array("event: ping\ndata: {\"type\": \"ping\"}\n\n".utf8)
        default: return Array(": keep-alive\n\n".utf8)
        }
    }

    /// Waits until the caller closes the connection (or `maxSeconds` pass), then ends the
    /// response: a hung answer must not outlive its caller, nor hold up shutdown.
    static func hangUntilClosed(_ channel: (any Channel)?, maxSeconds: Int, state: SimulatorState) async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: .seconds(maxSeconds)) }
            if let channel { group.addTask { try? await channel.closeFuture.get() } }
            await group.next()
            group.cancelAll()
        }
        if channel?.isActive == false { state.recordCancellation() }
        throw SimulatedDisconnect()
    }

    static func streamResponse(
        contentType: String,
        chunks: [[UInt8]],
        interval: Duration,
        ending: StreamEnding,
        state: SimulatorState,
        channel: (any Channel)? = nil,
        keepAlive: [UInt8]? = nil
    ) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = "no-cache"
        return Response(
            status: .ok,
            headers: headers,
            body: ResponseBody { writer in
                do {
                    for (index, chunk) in chunks.enumerated() {
                        if index > 0 && interval > .zero { try await Task.sleep(for: interval) }
                        try await writer.write(ByteBuffer(bytes: chunk))
                    }
                } catch {
                    state.recordCancellation()
                    throw error
                }
                switch ending {
                case .finish: break
                case .disconnect: throw SimulatedDisconnect()
                case .hang(let maxSeconds):
                    guard let keepAlive else {
                        try await Self.hangUntilClosed(channel, maxSeconds: maxSeconds, state: state)
                        return
                    }
                    // No more data, only the dialect's keep-alives: the first write after the
                    // caller left fails (a closed inbound side alone does not end the response).
                    let end = ContinuousClock.now + .seconds(maxSeconds)
                    do {
                        while ContinuousClock.now < end {
                            try await Task.sleep(for: .milliseconds(50))
                            try await writer.write(ByteBuffer(bytes: keepAlive))
                        }
                    } catch {
                        state.recordCancellation()
                        throw error
                    }
                }
                try await writer.finish(nil)
            }
        )
    }

    // MARK: auth

    private func checkAuth(_ request: Request, body: [UInt8], dialect: SimulatorDialect) -> Response? {
        let key = self.options.requiredAPIKey
        switch dialect {
        case .openAI:
            guard let key, request.headers[.authorization] != "Bearer \(key)" else { return nil }
            return Response.json(
                Self.errorBody("Incorrect API key provided.", type: "invalid_request_error", code: "invalid_api_key"),
                status: .unauthorized
            )
        case .azure:
            guard let key else { return nil }
            if request.header("api-key") == key || request.headers[.authorization] == "Bearer \(key)" { return nil }
            return Response.json(
                #"{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}}"#,
                status: .unauthorized
            )
        case .anthropic:
            guard request.header("anthropic-version") != nil else {
                return Self.dialectError(dialect, status: 400, message: "anthropic-version: header is required")
            }
            guard let key, request.header("x-api-key") != key else { return nil }
            return Self.dialectError(dialect, status: 401, message: "invalid x-api-key")
        case .gemini:
            guard let key, request.header("x-goog-api-key") != key else { return nil }
            return Response.json(
                #"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}"#,
                status: .badRequest
            )
        case .bedrock, .bedrockOpenAI:
            if let key, request.headers[.authorization] == "Bearer \(key)" { return nil }
            guard let credentials = self.options.awsCredentials else {
                return key == nil
                    ? nil : Self.bedrockError(status: 403, type: "AccessDeniedException", message: "Invalid API key.")
            }
            if let problem = SigV4Check.verify(request, body: body, credentials: credentials) {
                return Self.bedrockError(status: 403, type: "InvalidSignatureException", message: problem)
            }
            return nil
        }
    }

}
