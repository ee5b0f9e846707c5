import Foundation
import Hummingbird
import SwitchyardCore

/// `GET /v1/models`: the models the calling key can use.
struct ModelsController: Sendable {
    let gateway: Gateway

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("/models", use: self.list)
    }

    @Sendable func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        guard let caller = context.caller else {
            preconditionFailure("ClientAuthMiddleware runs before this route")
        }
        let models = self.gateway.planner.availableModels(
            tenant: caller.identity.tenant,
            access: caller.access,
            at: self.gateway.clock.now()
        )
        let items = models.map { model in
            let created = Int(model.launched?.timeIntervalSince1970 ?? 0)
            return
                #"{"id":\#(JSONText.quoted(model.name)),"object":"model","created":\#(created),"owned_by":\#(JSONText.quoted(model.publisher ?? "switchyard"))}"#
        }
        return Response.json(#"{"object":"list","data":[\#(items.joined(separator: ","))]}"#)
    }
}
