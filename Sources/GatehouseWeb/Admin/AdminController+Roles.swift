import Foundation
import GatehouseCore
import GatehouseStore
import Hummingbird

extension AdminController {
    /// The tenant's organization roles (docs/contract.md A8): `GET|POST /tenants/{slug}/roles`,
    /// `GET|PATCH|DELETE …/roles/{name}`. The built-in `owner`, `admin` and `member` exist in every
    /// tenant; their permissions may be edited, they cannot be deleted, and no custom role takes
    /// their names. Reads need `orgs:read`, changes `orgs:write`.
    func registerRoleRoutes(_ admin: RouterGroup<AppRequestContext>) {
        tenantRoute(admin, .get, "tenants/:slug/roles", scope: AdminScope.orgsRead) { request, context in
            let page = try AdminPageRequest(request)
            let roles = try await context.database.roles().map(RoleView.init)
            return Responses.json(page.page("roles", all: roles, cursor: \.name), noStore: true, sorted: true)
        }
        tenantRoute(admin, .post, "tenants/:slug/roles", scope: AdminScope.orgsWrite) { request, context in
            try await self.createRole(request, context)
        }
        tenantRoute(admin, .get, "tenants/:slug/roles/:role", scope: AdminScope.orgsRead) { _, context in
            Responses.json(RoleView(try await self.findRole(context)), noStore: true, sorted: true)
        }
        tenantRoute(admin, .patch, "tenants/:slug/roles/:role", scope: AdminScope.orgsWrite) { request, context in
            try await self.updateRole(request, context)
        }
        tenantRoute(admin, .delete, "tenants/:slug/roles/:role", scope: AdminScope.orgsWrite) { _, context in
            try await self.deleteRole(context)
        }
    }

    /// The JSON shape of a role.
    struct RoleView: Encodable {
        let name: String
        let permissions: [String]
        let description: String?
        let builtIn: Bool
        let createdAt, updatedAt: Date

        enum CodingKeys: String, CodingKey {
            case name, permissions, description
            case builtIn = "built_in"
            case createdAt = "created_at"
            case updatedAt = "updated_at"
        }

        init(_ r: OrganizationRole) {
            name = r.name
            permissions = r.permissions
            description = r.description
            builtIn = r.isBuiltIn
            createdAt = r.createdAt
            updatedAt = r.updatedAt
        }
    }

    func findRole(_ context: TenantContext) async throws -> OrganizationRole {
        guard let name = context.parameters.get("role"), OrganizationRole.isValidName(name),
            let role = try await context.database.role(named: name)
        else { throw ProblemDetails.notFound("no role with this name in this tenant") }
        return role
    }

    /// Reads `permissions` and `description` into `role`; a `null` description removes it.
    func applyRoleFields(_ input: inout JSONInput, to role: inout OrganizationRole) {
        if let permissions = input.strings("permissions", maxCount: 100) {
            let invalid = permissions.filter { !OrganizationRole.isValidPermission($0) }
            if invalid.isEmpty {
                role.permissions = Array(Set(permissions)).sorted()
            } else {
                input.fail(
                    "permissions", "'\(invalid[0])' is not a permission: 1–128 printable ASCII characters without spaces, quotes or backslashes")
            }
        }
        if input.isNull("description") {
            role.description = nil
        } else if let description = input.string("description", maxLength: 500) {
            if let problem = DisplayName.problem(description, limit: 500) {
                input.fail("description", problem)
            } else {
                role.description = description.isEmpty ? nil : description
            }
        }
    }

    func createRole(_ request: Request, _ context: TenantContext) async throws -> Response {
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        input.rejectUnknown(["name", "permissions", "description"])
        let now = services.clock.now
        var role = OrganizationRole(name: "", permissions: [], createdAt: now, updatedAt: now)
        if let name = input.string("name", required: true, maxLength: 64) {
            if OrganizationRole.isValidName(name) {
                role.name = name
            } else {
                input.fail("name", "must be 1–64 characters of a-z, 0-9, _ and -, starting with a letter")
            }
        }
        applyRoleFields(&input, to: &role)
        try input.check()
        if role.isBuiltIn { throw ProblemDetails.conflict(field: "name", "'\(role.name)' is a built-in role") }
        do {
            try await context.database.insertRole(role)
        } catch StoreError.conflict(let message) {
            throw ProblemDetails.conflict(field: "name", message)
        }
        return created(RoleView(role))
    }

    func updateRole(_ request: Request, _ context: TenantContext) async throws -> Response {
        var role = try await findRole(context)
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        input.rejectUnknown(["permissions", "description"])
        applyRoleFields(&input, to: &role)
        try input.check()
        role.updatedAt = services.clock.now
        try await context.database.updateRole(role)
        return Responses.json(RoleView(role), noStore: true, sorted: true)
    }

    func deleteRole(_ context: TenantContext) async throws -> Response {
        let role = try await findRole(context)
        switch try await context.database.deleteRole(named: role.name) {
        case .deleted:
            return Response(status: .noContent)
        case .notFound:
            throw ProblemDetails.notFound("no role with this name in this tenant")
        case .builtIn:
            throw ProblemDetails.conflict(field: "name", "'\(role.name)' is a built-in role and cannot be deleted")
        case .inUse(let count):
            throw ProblemDetails.conflict(
                field: "name", "\(count) member\(count == 1 ? "" : "s") hold\(count == 1 ? "s" : "") the role '\(role.name)'; give them another role first")
        }
    }
}
