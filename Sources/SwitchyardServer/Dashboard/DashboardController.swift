import HTTPTypes
import Hummingbird
import NIOCore

/// Serves the dashboard's three static files. They hold no data, so they need no key; every
/// number the page shows comes from the admin API, which does.
struct DashboardController: Sendable {
    func addRoutes(to router: Router<GatewayRequestContext>) {
        router.get("/dashboard") { _, _ in Self.file(DashboardAssets.html, type: "text/html; charset=utf-8") }
        router.get("/dashboard/app.js") { _, _ in
            Self.file(DashboardAssets.script, type: "text/javascript; charset=utf-8")
        }
        router.get("/dashboard/app.css") { _, _ in Self.file(DashboardAssets.css, type: "text/css; charset=utf-8") }
    }

    static func file(_ text: String, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "no-cache"
        headers[.contentSecurityPolicy] =
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
        headers[.xContentTypeOptions] = "nosniff"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
