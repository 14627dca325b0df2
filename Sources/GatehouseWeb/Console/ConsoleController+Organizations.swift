import Foundation
import GatehouseCore
import GatehouseStore
import HTTPTypes
import Hummingbird

/// The console's organizations of one tenant (docs/contract.md A8, A10): the list with search,
/// creation (with an optional owner by email), an organization's page with its settings form, its
/// members (add by email with a role, change a role, remove; the last owner stays, as in the
/// admin API), its pending invitations, and deletion with the slug typed as confirmation. Fields
/// go through the admin API's rules (`AdminController.applyOrganizationFields`); every change is
/// audited as the admin API records it (`organization.created|updated|deleted`,
/// `membership.created|updated|deleted`).
extension ConsoleController {
    func registerOrganizationRoutes(_ console: RouterGroup<AppRequestContext>) {
        console.get("tenants/:slug/organizations") { request, context in
            switch try await self.tenantGate(request, context, form: false) {
            case .ready(let page, _): return try await self.organizationsPage(page, request)
            case .answer(let response): return response
            }
        }
        console.get("tenants/:slug/organizations/new") { request, context in
            switch try await self.tenantGate(request, context, form: false) {
            case .ready(let page, _):
                return self.page("admin_organization_new", title: "New organization", values: self.tenantHeader(page), signedIn: page.signedIn)
            case .answer(let response): return response
            }
        }
        console.post("tenants/:slug/organizations") { request, context in
            switch try await self.tenantGate(request, context, form: true) {
            case .ready(let page, let form): return try await self.createOrganization(page, form, request, context)
            case .answer(let response): return response
            }
        }
        organizationRoute(console, "", form: false) { page, _, organization, request, _ in
            try await self.organizationPage(page, organization, notice: request.queryParameters["notice"].flatMap { Self.organizationNotices[$0] })
        }
        organizationRoute(console, "", form: true) { try await self.updateOrganization($0, $1, $2, $3, $4) }
        organizationRoute(console, "/delete", form: true) { try await self.deleteOrganization($0, $1, $2, $3, $4) }
        organizationRoute(console, "/members", form: true) { try await self.addMember($0, $1, $2, $3, $4) }
        organizationRoute(console, "/members/:user", form: true) { try await self.changeMember($0, $1, $2, $3, $4) }
        organizationRoute(console, "/members/:user/remove", form: true) { try await self.removeMember($0, $1, $2, $3, $4) }
        organizationRoute(console, "/invitations", form: true) { try await self.invite($0, $1, $2, $3, $4) }
        registerOrganizationDomainRoutes(console)
        organizationRoute(console, "/invitations/:invitation/revoke", form: true) { try await self.revokeInvitation($0, $1, $2, $3, $4) }
    }

    static let organizationNotices = [
        "created": "The organization was created.", "saved": "The organization was saved.", "member": "The members were changed.",
        "invited": "The invitation was mailed.",
    ]

    typealias OrganizationHandler = @Sendable (TenantPage, FormParameters, Organization, Request, AppRequestContext) async throws -> Response

    /// Registers `tenants/:slug/organizations/:org<suffix>`: the operator, the tenant and the
    /// organization of `:org` (its id) in it, else a 404 page.
    func organizationRoute(_ console: RouterGroup<AppRequestContext>, _ suffix: String, form: Bool, _ handler: @escaping OrganizationHandler) {
        let path = RouterPath(stringLiteral: "tenants/:slug/organizations/:org\(suffix)")
        let body: @Sendable (Request, AppRequestContext) async throws -> Response = { request, context in
            switch try await self.tenantGate(request, context, form: form) {
            case .answer(let response): return response
            case .ready(let page, let posted):
                guard let id = context.parameters.get("org").flatMap(OrganizationID.init(rawValue:)),
                    let organization = try await page.database.organization(id: id)
                else {
                    return self.missing(
                        page, "No such organization", "This tenant has no organization with this id.",
                        back: ("\(page.path)/organizations", "Organizations"))
                }
                return try await handler(page, posted, organization, request, context)
            }
        }
        if form { console.post(path, use: body) } else { console.get(path, use: body) }
    }

    /// Organizations by id, filtered by `q` (name or slug, as the admin API's), a page at a time.
    func organizationsPage(_ page: TenantPage, _ request: Request) async throws -> Response {
        let (limit, after) = Self.pageParameters(request)
        let q = String((request.queryParameters["q"] ?? "").trimmingCharacters(in: .whitespaces).prefix(200))
        let found = try await page.database.listOrganizations(
            limit: limit + 1, after: OrganizationID(rawValue: after), query: q.isEmpty ? nil : q)
        let shown = Array(found.prefix(limit))
        var values = tenantHeader(page)
        values["q"] = q
        values["new_url"] = "\(page.path)/organizations/new"
        values["roles_url"] = "\(page.path)/roles"
        values["organizations"] = shown.map { o -> [String: Any] in
            ["id": o.id.rawValue, "name": o.name, "org_slug": o.slug, "url": "\(page.path)/organizations/\(o.id.rawValue)", "mfa_required": o.mfaRequired]
        }
        if found.count > limit, let last = shown.last {
            values["next_url"] = Self.nextURL("\(page.path)/organizations", after: last.id.rawValue, limit: limit, extra: q.isEmpty ? [] : [("q", q)])
        }
        if let notice = request.queryParameters["notice"], notice == "deleted" { values["notice"] = "The organization was deleted." }
        return self.page("admin_organizations", title: "Organizations", values: values, signedIn: page.signedIn)
    }

    /// The organization's page: settings, members (at most 200 shown), pending invitations.
    func organizationPage(
        _ page: TenantPage, _ organization: Organization, notice: String? = nil, extra: [String: Any] = [:], status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let db = page.database
        let base = "\(page.path)/organizations/\(organization.id.rawValue)"
        let roles = try await db.roles().map(\.name)
        var members: [[String: Any]] = []
        for member in try await db.members(of: organization.id, limit: 200, after: nil) {
            let user = try await db.user(id: member.userID)
            members.append([
                "user_id": member.userID.rawValue, "email": user?.email ?? "", "role": member.role,
                "user_url": "\(page.path)/users/\(member.userID.rawValue)", "role_action": "\(base)/members/\(member.userID.rawValue)",
                "remove_action": "\(base)/members/\(member.userID.rawValue)/remove",
                "roles": roles.map { ["name": $0, "selected": $0 == member.role] },
            ])
        }
        let now = services.clock.now
        let invitations = try await db.invitations(of: organization.id, limit: 50, before: nil).filter { $0.isPending(at: now) }
        var values = tenantHeader(page)
        values.merge([
            "org_id": organization.id.rawValue, "name": organization.name, "org_slug": organization.slug, "mfa_required": organization.mfaRequired,
            "public_metadata": Self.jsonText(organization.publicMetadata), "private_metadata": Self.jsonText(organization.privateMetadata),
            "members": members, "roles": roles.map { ["name": $0, "default": $0 == OrganizationRole.member] },
            "invitations": invitations.map {
                [
                    "id": $0.id.rawValue, "email": $0.email, "role": $0.role, "expires_at": Self.date($0.expiresAt),
                    "revoke_action": "\(base)/invitations/\($0.id.rawValue)/revoke",
                ]
            },
            "invite_action": "\(base)/invitations",
            "action": base, "delete_action": "\(base)/delete", "member_action": "\(base)/members", "organizations_url": "\(page.path)/organizations",
        ]) { _, new in new }
        values.merge(try await domainValues(page, organization, base: base)) { _, new in new }
        if let notice { values["notice"] = notice }
        values.merge(extra) { _, new in new }
        return self.page("admin_organization", title: organization.name, values: values, signedIn: page.signedIn, status: status)
    }

    /// The settings form as the admin API's body: `name`, `slug`, the metadata objects (JSON
    /// text; empty is `{}`) and the checkbox `mfa_required`.
    static func organizationBody(_ form: FormParameters) -> [String: JSONValue] {
        var body: [String: JSONValue] = [
            "name": .string(form["name"] ?? ""), "slug": .string(form["org_slug"] ?? ""), "mfa_required": .bool(form["mfa_required"] != nil),
        ]
        for key in ["public_metadata", "private_metadata"] where sent(form, key) {
            let text = (form[key] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            body[key] = text.isEmpty ? .object([:]) : ((try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .string(text))
        }
        return body
    }

    func createOrganization(_ page: TenantPage, _ form: FormParameters, _ request: Request, _ context: AppRequestContext) async throws -> Response {
        let body = Self.organizationBody(form)
        var input = JSONInput(object: body)
        let now = services.clock.now
        var organization = Organization(id: .generate(at: now), name: "", slug: "", createdAt: now, updatedAt: now)
        AdminController(services: services).applyOrganizationFields(&input, to: &organization, creating: true)
        var owner: User?
        if let email = form["owner_email"]?.trimmingCharacters(in: .whitespaces), !email.isEmpty {
            owner = try await page.database.user(email: email.lowercased())
            if owner == nil { input.fail("owner_email", "is not the email of a user of this tenant") }
        }
        if input.errors.isEmpty {
            let first = owner.map {
                Membership(organizationID: organization.id, userID: $0.id, role: OrganizationRole.owner, createdAt: now, updatedAt: now)
            }
            let draft = operatorDraft("organization.created", page, target: ("organization", organization.id.rawValue), sent: body, request, context)
            do {
                try await services.audited([draft], in: page.database) { try await page.database.insertOrganization(organization, firstMember: first) }
                logChange("organization created", page, organization.id.rawValue, context)
                return redirect("\(page.path)/organizations/\(organization.id.rawValue)?notice=created", signedIn: page.signedIn)
            } catch StoreError.conflict(let message) {
                input.fail("slug", message)
            }
        }
        var values = tenantHeader(page)
        for key in ["name", "org_slug", "owner_email"] { values[key] = form[key] ?? "" }
        values["error"] = "Nothing was saved: correct the fields below."
        Self.place(input.errors.map { .init(field: $0.field == "slug" ? "org_slug" : $0.field, message: $0.message) }, in: &values)
        return self.page("admin_organization_new", title: "New organization", values: values, signedIn: page.signedIn, status: .unprocessableContent)
    }

    func updateOrganization(
        _ page: TenantPage, _ form: FormParameters, _ original: Organization, _ request: Request, _ context: AppRequestContext
    ) async throws -> Response {
        let body = Self.organizationBody(form)
        var input = JSONInput(object: body)
        var organization = original
        AdminController(services: services).applyOrganizationFields(&input, to: &organization, creating: false)
        if input.errors.isEmpty {
            organization.updatedAt = services.clock.now
            let draft = operatorDraft("organization.updated", page, target: ("organization", original.id.rawValue), sent: body, request, context)
            do {
                try await services.audited([draft], in: page.database) { try await page.database.updateOrganization(organization) }
                return redirect("\(page.path)/organizations/\(original.id.rawValue)?notice=saved", signedIn: page.signedIn)
            } catch StoreError.conflict(let message) {
                input.fail("slug", message)
            }
        }
        var values: [String: Any] = ["error": "Nothing was saved: correct the fields below."]
        Self.place(input.errors.map { .init(field: $0.field == "slug" ? "org_slug" : $0.field, message: $0.message) }, in: &values)
        for key in ["name", "org_slug", "public_metadata", "private_metadata"] { values[key] = form[key] ?? "" }
        return try await organizationPage(page, original, extra: values, status: .unprocessableContent)
    }

    /// Deletes the organization when `confirm` is exactly its slug.
    func deleteOrganization(
        _ page: TenantPage, _ form: FormParameters, _ organization: Organization, _ request: Request, _ context: AppRequestContext
    ) async throws -> Response {
        guard form["confirm"] == organization.slug else {
            return try await organizationPage(
                page, organization, extra: ["delete_error": "Type the slug '\(organization.slug)' exactly to delete this organization."],
                status: .unprocessableContent)
        }
        let draft = operatorDraft("organization.deleted", page, target: ("organization", organization.id.rawValue), request, context)
        let now = services.clock.now
        try await services.audited([draft], in: page.database) { _ = try await page.database.deleteOrganization(organization.id, at: now) }
        logChange("organization deleted", page, organization.id.rawValue, context)
        return redirect("\(page.path)/organizations?notice=deleted", signedIn: page.signedIn)
    }
}
