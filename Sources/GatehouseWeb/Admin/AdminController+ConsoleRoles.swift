import Foundation
import GatehouseCore
import GatehouseStore
import Hummingbird

extension AdminController {
    /// A user's console role (docs/contract.md A10): `GET`, `PUT {"role": "tenant_admin" |
    /// "tenant_viewer"}` and `DELETE …/users/{user_id}/console-role`. A role lets the user sign in
    /// to the admin console at `{public_url}/admin/t/{slug}` through the tenant's login and see
    /// that tenant only. Reading needs `tenant:read`, granting `tenant:write`: a role opens the
    /// tenant's console to someone, which is more than `users:write` gives.
    func registerConsoleRoleRoutes(_ admin: RouterGroup<AppRequestContext>) {
        tenantRoute(admin, .get, "tenants/:slug/users/:user/console-role", scope: AdminScope.tenantRead) { _, context in
            let (database, user) = try await self.findUser(context)
            return Self.consoleRoleResponse(try await database.consoleRole(of: user.id))
        }
        tenantRoute(admin, .put, "tenants/:slug/users/:user/console-role", scope: AdminScope.tenantWrite) { request, context in
            let (database, user) = try await self.findUser(context)
            var input = try await JSONInput(request, limit: self.services.configuration.maxBodyBytes)
            input.rejectUnknown(["role"])
            let raw = input.string("role", required: true)
            let role = raw.flatMap(ConsoleRole.init(rawValue:))
            if raw != nil, role == nil { input.fail("role", "must be tenant_admin or tenant_viewer") }
            try input.check()
            guard try await database.setConsoleRole(role, of: user.id, at: self.services.clock.now) else {
                throw ProblemDetails.notFound("no user with this id in this tenant")
            }
            return Self.consoleRoleResponse(role)
        }
        tenantRoute(admin, .delete, "tenants/:slug/users/:user/console-role", scope: AdminScope.tenantWrite) { _, context in
            let (database, user) = try await self.findUser(context)
            try await database.setConsoleRole(nil, of: user.id, at: self.services.clock.now)
            return Response(status: .noContent)
        }
    }

    static func consoleRoleResponse(_ role: ConsoleRole?) -> Response {
        struct View: Encodable {
            @NullWhenAbsent var role: String?
        }
        return Responses.json(View(role: role?.rawValue), noStore: true, sorted: true)
    }
}
