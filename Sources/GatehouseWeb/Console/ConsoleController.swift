import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// The admin console at `{public_url}/admin` (docs/contract.md A10): server-rendered pages for the
/// instance's operators. An operator signs in as a user of the operators' directory
/// (`OperatorDirectory`) through that directory's own authorization endpoint (code + PKCE, the
/// built-in client `admin-console`), where its MFA policy `required` enrols and asks for TOTP.
/// The callback turns the sign-in into a console session cookie (`ConsoleSession`). Console pages
/// render the built-in templates only: no tenant's overrides ever apply to them.
struct ConsoleController {
    let services: Services
    /// The console client, made sure of once per process (keyed by the directory's tenant id).
    let ensured = Clients()

    static let builtin = "admin-console"
    static let path = "/admin"

    final class Clients: Sendable {
        let clients = Mutex<[TenantID: Client]>([:])
    }

    /// Who is signed in to the console: an operator (a user of the operators' directory), or a
    /// tenant's user with a console role; the handle of the tenant they signed in to
    /// (`directory`), the user and the console session.
    struct SignedInOperator {
        let directory: any TenantHandle
        let user: User
        let session: ConsoleSession
        var csrf: String
        /// nil for an operator; the tenant's grant for a tenant's user.
        let role: ConsoleRole?

        var isOperator: Bool { role == nil }
        /// Whether the console shows `tenant` to them: every tenant to an operator, their own to a tenant's user.
        func mayRead(_ tenant: ResolvedTenant) -> Bool { role == nil || directory.tenant.id == tenant.id }
        /// Whether they may change `tenant`: an operator, or a `tenant_admin` of it.
        func mayChange(_ tenant: ResolvedTenant) -> Bool { role == nil || (directory.tenant.id == tenant.id && role == .tenantAdmin) }
        /// The actor of their changes in audit entries: `operator` (a directory user id), or the tenant's `user`.
        var actor: AuditActor { role == nil ? AuditActor(type: "operator", id: user.id.rawValue) : .user(user.id) }
        /// How template versions name them: `operator:<email>`, `tenant_admin:<email>`.
        var author: String { "\(role?.rawValue ?? "operator"):\(user.email)" }
        /// Their first page: the tenants, or their tenant.
        var homePath: String { role == nil ? "\(ConsoleController.path)/tenants" : "\(ConsoleController.path)/tenants/\(directory.tenant.slug)" }
    }

    func register(on router: Router<AppRequestContext>) {
        let console = router.group("admin").add(middleware: ErrorMiddleware(family: ConsoleErrors(services: services)))
        console.get { request, context in try await self.home(request, context) }
        console.get("callback") { request, context in try await self.callback(request, context) }
        console.get("t/:slug") { request, context in try await self.tenantSignIn(request, context) }
        console.post("logout") { request, context in try await self.signOut(request, context) }
        registerTenantRoutes(console)
        registerUserRoutes(console)
        registerClientRoutes(console)
        registerAuditRoutes(console)
        registerWebhookRoutes(console)
        registerKeyRoutes(console)
        registerTemplateRoutes(console)
        registerOrganizationRoutes(console)
        registerProviderRoutes(console)
        registerRoleRoutes(console)
    }

    /// The page chrome of every console page: the built-in templates, no tenant's overrides.
    func chrome(_ title: String) -> PageRenderer.Chrome {
        var chrome = PageRenderer.Chrome(title: title, tenantName: "Gatehouse admin", tenantSlug: "", database: nil)
        chrome.basePath = Self.path
        return chrome
    }

    /// A console page (`admin_*` template) with the signed-in operator's values, its session cookie renewed.
    func page(
        _ template: String, title: String, values: [String: Any], signedIn: SignedInOperator, status: HTTPResponse.Status = .ok,
        framesSelf: Bool = false
    ) -> Response {
        var values = values
        values["operator_email"] = signedIn.user.email
        values["csrf_token"] = signedIn.csrf
        values["logout_action"] = "\(Self.path)/logout"
        values["console_path"] = Self.path
        var response = Responses.html(
            services.pages.render(template, chrome: chrome(title), values: values), status: status, framesSelf: framesSelf)
        response.setCookie(signedIn.session.renewed(at: services.clock.now).cookie(services))
        return response
    }

    /// A redirect within the console, its session cookie renewed.
    func redirect(_ location: String, signedIn: SignedInOperator) -> Response {
        var response = Responses.redirect(to: location)
        response.setCookie(signedIn.session.renewed(at: services.clock.now).cookie(services))
        return response
    }
}
