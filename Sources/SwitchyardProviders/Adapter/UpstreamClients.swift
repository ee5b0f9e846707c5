import AsyncHTTPClient
import Logging
import NIOCore
import SwitchyardCore

/// The gateway's HTTP clients to the clouds. AsyncHTTPClient sets the connect timeout per
/// client, so there is one client per distinct connect timeout in the configuration (usually
/// one), all on the same event loops.
public final class UpstreamClients: Sendable {
    /// The client with the default connect timeout (also used for trace export).
    public let primary: HTTPClient
    private let byConnect: [Duration: HTTPClient]

    /// Creates the clients `config` needs.
    public init(config: GatewayConfig, logger: Logger) {
        let read = config.upstreamReadTimeout
        let primary = Self.makeClient(connect: config.routing.connectTimeout, read: read, logger: logger)
        var clients = [config.routing.connectTimeout: primary]
        for connect in config.connectTimeouts where clients[connect] == nil {
            clients[connect] = Self.makeClient(connect: connect, read: read, logger: logger)
        }
        self.byConnect = clients
        self.primary = primary
    }

    /// The client whose connect timeout is `connect` (the primary one if none is).
    public func client(connect: Duration) -> HTTPClient { self.byConnect[connect] ?? self.primary }

    /// Closes every client's connections.
    public func shutdown() async throws {
        for client in self.byConnect.values { try await client.shutdown() }
    }

    /// A client with `connect` and a read timeout of `read` (a backstop: the request path
    /// enforces each deployment's own first byte, idle and total timeouts), and a pool large
    /// enough for many concurrent streams per upstream host.
    static func makeClient(connect: Duration, read: Duration, logger: Logger) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: TimeAmount(connect), read: TimeAmount(read))
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60),
            concurrentHTTP1ConnectionsPerHostSoftLimit: 1024
        )
        // A refused connection fails the attempt at once, so the gateway fails over to the next
        // deployment instead of the client retrying the same host until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.decompression = .disabled
        return HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: configuration,
            backgroundActivityLogger: logger
        )
    }
}
