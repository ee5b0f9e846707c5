import Hummingbird
import NIOCore
import SwitchyardCore

/// Per-request state: the request id and, after authentication, the caller's identity.
public struct GatewayRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The gateway's own request id (unique; the ledger's key).
    public var requestID: String = ""
    /// The caller with its rules and limits, set by ``ClientAuthMiddleware``.
    public var caller: Caller?
    /// Who the caller is.
    public var identity: ClientIdentity? { self.caller?.identity }
    /// Who is using the admin API (`admin:` and a fingerprint of the admin key).
    public var adminActor: String?
    /// The client connection the request arrived on.
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
