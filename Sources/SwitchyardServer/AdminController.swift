import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchyardCore

/// The admin API under `/admin/v1`, behind the configured `admin_key` (never a client key).
struct AdminController: Sendable {
    let gateway: Gateway

    func addRoutes(to router: Router<GatewayRequestContext>) {
        let adminAuth = AdminAuthMiddleware(
            adminKey: self.gateway.config.adminKey,
            clients: self.gateway.clients,
            clock: self.gateway.clock
        )
        let admin = router.group("/admin/v1").add(middleware: adminAuth)
        TenantsController(gateway: self.gateway).addRoutes(to: admin)
        admin.get("/explain", use: self.explain)
        admin.get("/timeline", use: self.timeline)
        admin.get("/reports/revenue-share", use: self.revenueShare)
        admin.get("/reports/usage", use: self.usage)
        admin.get("/health", use: self.health)
        admin.get("/traffic", use: self.traffic)
        router.group("/metrics")
            .add(middleware: adminAuth)
            .get(use: self.metrics)
    }

    /// Every deployment's breaker state, latency average, error rate and cooldown.
    @Sendable func health(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let now = self.gateway.clock.now()
        return try Self.json(HealthReport(at: now, deployments: self.gateway.selector.health.snapshot(at: now)))
    }

    /// The last minute per cloud (request rate, error rate, latency percentiles).
    @Sendable func traffic(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try Self.json(TrafficReport(at: self.gateway.clock.now(), clouds: self.gateway.telemetry.traffic()))
    }

    /// Prometheus text exposition (scrape with `authorization: {credentials: ADMIN_KEY}`).
    @Sendable func metrics(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        self.gateway.telemetry.publish(self.gateway.selector.health.snapshot(at: self.gateway.clock.now()))
        let bytes = self.gateway.telemetry.exposition(ledger: self.gateway.ledger)
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    @Sendable func explain(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        guard let model = request.uri.queryParameters["model"].map(String.init), !model.isEmpty else {
            throw GatewayError(code: .invalidRequest, message: "Query parameter 'model' is required.", param: "model")
        }
        let tenant = request.uri.queryParameters["tenant"].map(String.init)
        let at = try Self.instant(request, "at") ?? self.gateway.clock.now()
        // Tenants of the store explain with their own rules; configured ones as the file says.
        if let tenant, self.gateway.config.tenant(tenant) == nil {
            await self.gateway.clients.ensureLoaded()
            if let record = self.gateway.clients.directory.tenant(tenant) {
                return try Self.json(self.gateway.planner.explain(model: model, tenant: record, at: at))
            }
        }
        return try Self.json(self.gateway.planner.explain(model: model, tenant: tenant, at: at))
    }

    @Sendable func timeline(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let from = try Self.instant(request, "from") ?? self.gateway.clock.now()
        let until = try Self.instant(request, "until")
        let events = self.gateway.planner.contracts.timeline(
            models: self.gateway.config.models,
            from: from,
            until: until
        )
        return try Self.json(TimelineReport(from: from, until: until, events: events))
    }

    @Sendable func revenueShare(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        guard let from = try Self.instant(request, "from"), let until = try Self.instant(request, "until") else {
            throw GatewayError(
                code: .invalidRequest,
                message: "Query parameters 'from' and 'until' are required.",
                param: "from"
            )
        }
        let beneficiary = request.uri.queryParameters["beneficiary"].map(String.init)
        let totals = try await self.gateway.store.revenueShareTotals(beneficiary: beneficiary, from: from, until: until)
        return try Self.json(RevenueShareReport(beneficiary: beneficiary, from: from, until: until, totals: totals))
    }

    @Sendable func usage(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        guard let from = try Self.instant(request, "from"), let until = try Self.instant(request, "until") else {
            throw GatewayError(
                code: .invalidRequest,
                message: "Query parameters 'from' and 'until' are required.",
                param: "from"
            )
        }
        let text = request.uri.queryParameters["by"].map(String.init) ?? "tenant"
        guard let dimension = UsageDimension(rawValue: text) else {
            let names = UsageDimension.allCases.map(\.rawValue).joined(separator: ", ")
            throw GatewayError(code: .invalidRequest, message: "'by' must be one of: \(names).", param: "by")
        }
        let rows = try await self.gateway.store.usage(by: dimension, from: from, until: until)
        return try Self.json(UsageReport(by: dimension.rawValue, from: from, until: until, rows: rows))
    }

    static func instant(_ request: Request, _ name: String) throws(GatewayError) -> Date? {
        guard let text = request.uri.queryParameters[Substring(name)].map(String.init), !text.isEmpty else {
            return nil
        }
        guard let date = InstantText.parse(text) else {
            throw GatewayError(
                code: .invalidRequest,
                message: "'\(name)' must be a UTC date (2030-12-31) or instant (2030-12-31T00:00:00Z).",
                param: name
            )
        }
        return date
    }

    static func json(_ value: some Encodable) throws -> Response {
        let data = try ReportJSON.encoder.encode(value)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// The body of `GET /admin/v1/health`.
struct HealthReport: Encodable {
    var at: Date
    var deployments: [DeploymentHealthSnapshot]
}

/// `GET /admin/v1/traffic`.
struct TrafficReport: Encodable {
    var at: Date
    var windowSeconds = LiveWindow.seconds
    var clouds: [CloudTraffic]
}

/// Admits only the configured admin key, compared by digest in constant time: 401 without it,
/// 403 for a client key. Sets ``GatewayRequestContext/adminActor``.
struct AdminAuthMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let digest: KeyDigest?
    let clients: ClientKeys
    let clock: any WallClock

    init(adminKey: Secret?, clients: ClientKeys, clock: any WallClock) {
        self.digest = adminKey.map { KeyDigest($0.value) }
        self.clients = clients
        self.clock = clock
    }

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let digest = self.digest else {
            throw GatewayError(
                code: .adminDisabled,
                message: "The admin API is disabled: set admin_key in the configuration."
            )
        }
        guard let presented = BearerToken.read(request) else {
            throw GatewayError(code: .invalidAPIKey, message: "The admin API needs 'Authorization: Bearer ADMIN_KEY'.")
        }
        guard KeyDigest(presented).constantTimeEquals(digest) else {
            await self.clients.ensureLoaded()
            if self.clients.identify(presented, at: self.clock.now()) != nil {
                throw GatewayError(code: .adminForbidden, message: "Client keys cannot use the admin API.")
            }
            throw GatewayError(code: .invalidAPIKey, message: "The admin API needs 'Authorization: Bearer ADMIN_KEY'.")
        }
        var context = context
        // Who acted, for the audit log: a fingerprint of the admin key, never the key.
        context.adminActor = "admin:" + String(digest.hex.prefix(8))
        return try await next(request, context)
    }
}

extension GatewayError.Code {
    /// A client key was presented to the admin API.
    static let adminForbidden = GatewayError.Code(rawValue: "admin_forbidden", status: 403, type: "permission_error")
    /// No admin key is configured.
    static let adminDisabled = GatewayError.Code(rawValue: "admin_disabled", status: 403, type: "permission_error")
}
