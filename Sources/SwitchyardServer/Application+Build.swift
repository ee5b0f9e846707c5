import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SwitchyardCore

/// Builds the gateway's HTTP application.
/// - Parameters:
///   - gateway: the wired request path.
///   - listen: where to bind (defaults to the configured address).
///   - logger: the server logger.
///   - onServerRunning: called with the bound port once the server accepts connections.
/// - Returns: an application to run in a `ServiceGroup`.
public func buildApplication(
    gateway: Gateway,
    listen: ListenAddress? = nil,
    logger: Logger,
    beforeServerStarts: (@Sendable () async throws -> Void)? = nil,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = Router(context: GatewayRequestContext.self)
    router.addMiddleware { GatewayMiddleware() }

    router.get("/healthz") { _, _ in Response.json(#"{"status":"ok"}"#) }
    router.get("/readyz") { _, _ in
        // Ready while every accepted request can be recorded: in the store, or in the spool
        // while the store is down (degraded, still serving).
        let spool = gateway.ledger.spoolDepth
        do {
            try await gateway.store.ping()
            return Response.json(
                #"{"status":"\#(spool > 0 ? "degraded" : "ready")","store":"ok","spool_depth":\#(spool)}"#
            )
        } catch {
            guard gateway.ledger.hasSpool else {
                throw GatewayError(code: .notReady, message: "The ledger store is not reachable.")
            }
            return Response.json(#"{"status":"degraded","store":"unreachable","spool_depth":\#(spool)}"#)
        }
    }

    let connections = ClientConnections()
    let api = router.group("/v1").add(middleware: ClientAuthMiddleware(keys: gateway.clients, clock: gateway.clock))
    ChatController(gateway: gateway, connections: connections).addRoutes(to: api)
    ModelsController(gateway: gateway).addRoutes(to: api)
    AdminController(gateway: gateway).addRoutes(to: router)
    DashboardController().addRoutes(to: router)

    let address = listen ?? gateway.config.listen
    var app = Application(
        router: router,
        server: .http1(configuration: .init(additionalChannelHandlers: [connections.makeHandler()])),
        configuration: .init(address: .hostname(address.host, port: address.port), serverName: "switchyard"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? address.port) },
        logger: logger
    )
    if let beforeServerStarts { app.beforeServerStarts(perform: beforeServerStarts) }
    app.addServices(
        ControlSync(
            keys: gateway.clients,
            limiter: gateway.limiter,
            counters: gateway.counters,
            clock: gateway.clock,
            logger: logger
        )
    )
    return app
}

extension Response {
    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
