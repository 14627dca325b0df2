import Foundation
import GatehouseCore
import GatehouseStore
import HTTPTypes
import Hummingbird

/// The console's organization roles of one tenant (docs/contract.md A8): every role with its
/// permissions (the built-in `owner`, `admin` and `member` included), a form to create one
/// (`name`, `permissions` separated by spaces, `description`), a role's permissions and
/// description edited in place, and deletion (refused for a built-in role or one a member
/// holds, 409). Fields go through the admin API's rules (`AdminController.applyRoleFields`);
/// changes are audited as `role.created|updated|deleted`.
extension ConsoleController {
    func registerRoleRoutes(_ console: RouterGroup<AppRequestContext>) {
        console.get("tenants/:slug/roles") { request, context in
            switch try await self.tenantGate(request, context, form: false) {
            case .ready(let page, _): return try await self.rolesPage(page, notice: request.queryParameters["notice"] == "saved")
            case .answer(let response): return response
            }
        }
        console.post("tenants/:slug/roles") { request, context in
            switch try await self.tenantGate(request, context, form: true) {
            case .ready(let page, let form): return try await self.saveRole(page, form, name: nil, request, context)
            case .answer(let response): return response
            }
        }
        console.post("tenants/:slug/roles/:role") { request, context in
            switch try await self.tenantGate(request, context, form: true) {
            case .ready(let page, let form): return try await self.saveRole(page, form, name: context.parameters.get("role"), request, context)
            case .answer(let response): return response
            }
        }
        console.post("tenants/:slug/roles/:role/delete") { request, context in
            switch try await self.tenantGate(request, context, form: true) {
            case .ready(let page, _): return try await self.deleteRole(page, context.parameters.get("role") ?? "", request, context)
            case .answer(let response): return response
            }
        }
    }

    func rolesPage(_ page: TenantPage, notice: Bool = false, extra: [String: Any] = [:], status: HTTPResponse.Status = .ok) async throws -> Response {
        var values = tenantHeader(page)
        values["roles"] = try await page.database.roles().map { role -> [String: Any] in
            [
                "name": role.name, "permissions": role.permissions.joined(separator: " "), "description": role.description ?? "",
                "built_in": role.isBuiltIn, "action": "\(page.path)/roles/\(role.name)", "delete_action": "\(page.path)/roles/\(role.name)/delete",
            ]
        }
        values["action"] = "\(page.path)/roles"
        if notice { values["notice"] = "The roles were saved." }
        values.merge(extra) { _, new in new }
        return self.page("admin_roles", title: "Organization roles", values: values, signedIn: page.signedIn, status: status)
    }

    /// Creates the role (`name` nil: from the form's `name`) or changes an existing one's permissions and description.
    func saveRole(_ page: TenantPage, _ form: FormParameters, name: String?, _ request: Request, _ context: AppRequestContext) async throws
        -> Response
    {
        let db = page.database
        var sent: [String: JSONValue] = [
            "permissions": .array((form["permissions"] ?? "").split(whereSeparator: \.isWhitespace).map { .string(String($0)) }),
            "description": .string(form["description"] ?? ""),
        ]
        let now = services.clock.now
        var role: OrganizationRole
        var input = JSONInput(object: sent)
        if let name {
            guard OrganizationRole.isValidName(name), let found = try await db.role(named: name) else {
                return missing(page, "No such role", "This tenant has no role of this name.", back: ("\(page.path)/roles", "Roles"))
            }
            role = found
            role.updatedAt = now
        } else {
            let typed = (form["name"] ?? "").trimmingCharacters(in: .whitespaces)
            role = OrganizationRole(name: typed, permissions: [], createdAt: now, updatedAt: now)
            sent["name"] = .string(typed)
            if !OrganizationRole.isValidName(typed) { input.fail("name", "must be 1–64 characters of a-z, 0-9, _ and -, starting with a letter") }
            if role.isBuiltIn { input.fail("name", "'\(typed)' is a built-in role") }
        }
        AdminController(services: services).applyRoleFields(&input, to: &role)
        if input.errors.isEmpty {
            let draft = operatorDraft(name == nil ? "role.created" : "role.updated", page, target: ("role", role.name), sent: sent, request, context)
            let saved = role
            do {
                try await services.audited([draft], in: db) {
                    if name == nil { try await db.insertRole(saved) } else { try await db.updateRole(saved) }
                }
                return redirect("\(page.path)/roles?notice=saved", signedIn: page.signedIn)
            } catch StoreError.conflict(let message) {
                input.fail("name", message)
            }
        }
        var values: [String: Any] = ["error": "Nothing was saved: correct the fields below.", "new_name": form["name"] ?? ""]
        values["new_permissions"] = form["permissions"] ?? ""
        for error in input.errors { values["role_\(error.field)_error"] = error.message }
        return try await rolesPage(page, extra: values, status: .unprocessableContent)
    }

    func deleteRole(_ page: TenantPage, _ name: String, _ request: Request, _ context: AppRequestContext) async throws -> Response {
        let draft = operatorDraft("role.deleted", page, target: ("role", name), request, context)
        let outcome = try await services.audited([draft], in: page.database, keepIf: { $0 == .deleted }) {
            OrganizationRole.isValidName(name) ? try await page.database.deleteRole(named: name) : .notFound
        }
        switch outcome {
        case .deleted: return redirect("\(page.path)/roles?notice=saved", signedIn: page.signedIn)
        case .notFound: return missing(page, "No such role", "This tenant has no role of this name.", back: ("\(page.path)/roles", "Roles"))
        case .builtIn: return try await rolesPage(page, extra: ["error": "'\(name)' is a built-in role and stays."], status: .conflict)
        case .inUse(let count):
            return try await rolesPage(
                page, extra: ["error": "\(count) member\(count == 1 ? "" : "s") hold the role '\(name)': give them another role first."],
                status: .conflict)
        }
    }
}
