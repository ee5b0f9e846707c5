import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchyardCore

/// `/admin/v1/tenants`, `/admin/v1/keys` and `/admin/v1/audit`: JSON in, JSON out, every change
/// audited. Mounted behind ``AdminAuthMiddleware``.
struct TenantsController: Sendable {
    let gateway: Gateway

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.post("/tenants", use: self.createTenant)
        group.get("/tenants", use: self.listTenants)
        group.get("/tenants/:id", use: self.getTenant)
        group.patch("/tenants/:id", use: self.updateTenant)
        group.delete("/tenants/:id", use: self.deleteTenant)
        group.post("/keys", use: self.createKey)
        group.get("/keys", use: self.listKeys)
        group.delete("/keys/:id", use: self.revokeKey)
        group.get("/audit", use: self.audit)
    }

    private func administration() throws -> TenantAdministration {
        guard let store = self.gateway.control else {
            throw GatewayError(code: .notFound, message: "This store keeps no tenants or keys.")
        }
        return TenantAdministration(store: store, config: self.gateway.config, clock: self.gateway.clock)
    }

    @Sendable func createTenant(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let tenant = try await self.administration().createTenant(try await Self.body(request), actor: context.actor)
        _ = try? await self.gateway.clients.refresh()
        return Self.json(TenancyJSON.encode(tenant, source: "store"), status: .created)
    }

    @Sendable func listTenants(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let tenants = try await self.administration().tenants()
        return Self.list(tenants.map { TenancyJSON.encode($0.tenant, source: $0.source) })
    }

    @Sendable func getTenant(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (tenant, source) = try await self.administration().tenant(try Self.id(context))
        return Self.json(TenancyJSON.encode(tenant, source: source))
    }

    @Sendable func updateTenant(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let tenant = try await self.administration().updateTenant(
            try Self.id(context),
            body: try await Self.body(request),
            actor: context.actor
        )
        _ = try? await self.gateway.clients.refresh()
        return Self.json(TenancyJSON.encode(tenant, source: "store"))
    }

    @Sendable func deleteTenant(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let id = try Self.id(context)
        try await self.administration().deleteTenant(id, actor: context.actor)
        _ = try? await self.gateway.clients.refresh()
        return Self.json(.members([("id", .string(id)), ("deleted", .bool(true))]))
    }

    @Sendable func createKey(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (key, record) = try await self.administration().createKey(
            try await Self.body(request),
            actor: context.actor
        )
        _ = try? await self.gateway.clients.refresh()
        guard case .object(var members) = TenancyJSON.encode(record) else {
            preconditionFailure("a key encodes as an object")
        }
        members.insert(("key", .string(key)), at: 2)
        return Self.json(.object(members), status: .created)
    }

    @Sendable func listKeys(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let tenant = request.uri.queryParameters["tenant"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let keys = try await self.administration().keys(tenant: tenant)
        return Self.list(keys.map(TenancyJSON.encode))
    }

    @Sendable func revokeKey(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let record = try await self.administration().revokeKey(try Self.id(context), actor: context.actor)
        _ = try? await self.gateway.clients.refresh()
        return Self.json(TenancyJSON.encode(record))
    }

    @Sendable func audit(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let limitText = request.uri.queryParameters["limit"].map(String.init) ?? "100"
        guard let limit = Int(limitText), (1...1000).contains(limit) else {
            throw GatewayError(code: .invalidRequest, message: "'limit' must be from 1 to 1000.", param: "limit")
        }
        var before: Int64?
        if let text = request.uri.queryParameters["before"].map(String.init), !text.isEmpty {
            guard let value = Int64(text) else {
                throw GatewayError(
                    code: .invalidRequest,
                    message: "'before' must be a sequence number.",
                    param: "before"
                )
            }
            before = value
        }
        let records = try await self.administration().audit(limit: limit, before: before)
        return Self.list(records.map(TenancyJSON.encode))
    }

    // MARK: helpers

    static func id(_ context: GatewayRequestContext) throws -> String {
        guard let id = context.parameters.get("id"), !id.isEmpty else {
            throw GatewayError(code: .invalidRequest, message: "The path needs an id.", param: "id")
        }
        return id
    }

    static func body(_ request: Request) async throws -> JSONValue {
        let bytes: ByteBuffer
        do {
            bytes = try await request.body.collect(upTo: 1 << 20)
        } catch is NIOTooManyBytesError {
            throw GatewayError(code: .requestTooLarge, message: "Admin request bodies are limited to 1 MiB.")
        }
        do {
            return try JSONValue.parse(Array(bytes.readableBytesView))
        } catch {
            throw GatewayError(code: .invalidRequest, message: "The body is not valid JSON: \(error).")
        }
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response.json(value.jsonText, status: status)
    }

    static func list(_ items: [JSONValue]) -> Response {
        Self.json(.members([("object", .string("list")), ("data", .array(items))]))
    }
}

extension GatewayRequestContext {
    /// The admin actor, set by ``AdminAuthMiddleware`` before any admin route runs.
    var actor: String { self.adminActor ?? "admin" }
}
