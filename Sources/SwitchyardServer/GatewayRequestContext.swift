import Hummingbird
import SwitchyardCore

/// Per-request state: the request id and, after authentication, the caller's identity.
public struct GatewayRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The gateway's own request id (unique; the ledger's key).
    public var requestID: String = ""
    /// The caller, set by ``ClientAuthMiddleware``.
    public var identity: ClientIdentity?

    public init(source: ApplicationRequestContextSource) { self.coreContext = .init(source: source) }
}
