import Foundation
import GatehouseCore
import GatehouseStore
import Hummingbird

extension AdminController {
    /// Organizations of a tenant and their members (docs/contract.md A8):
    /// `GET|POST /tenants/{slug}/organizations`, `GET|PATCH|DELETE …/organizations/{org}` (`{org}`
    /// is the id `org_…` or the slug), `GET|POST …/organizations/{org}/members`,
    /// `GET|PATCH|DELETE …/members/{user_id}`. Reads need `orgs:read`, changes `orgs:write`; the
    /// roles are in `AdminController+Roles.swift`.
    func registerOrganizationRoutes(_ admin: RouterGroup<AppRequestContext>) {
        tenantRoute(admin, .get, "tenants/:slug/organizations", scope: AdminScope.orgsRead) { request, context in
            try await self.listOrganizations(request, context)
        }
        tenantRoute(admin, .post, "tenants/:slug/organizations", scope: AdminScope.orgsWrite) { request, context in
            try await self.createOrganization(request, context)
        }
        tenantRoute(admin, .get, "tenants/:slug/organizations/:org", scope: AdminScope.orgsRead) { _, context in
            Responses.json(OrganizationView(try await self.findOrganization(context)), noStore: true, sorted: true)
        }
        tenantRoute(admin, .patch, "tenants/:slug/organizations/:org", scope: AdminScope.orgsWrite) { request, context in
            try await self.updateOrganization(request, context)
        }
        tenantRoute(admin, .delete, "tenants/:slug/organizations/:org", scope: AdminScope.orgsWrite) { _, context in
            let organization = try await self.findOrganization(context)
            _ = try await context.database.deleteOrganization(organization.id, at: self.services.clock.now)
            return Response(status: .noContent)
        }
        tenantRoute(admin, .get, "tenants/:slug/organizations/:org/members", scope: AdminScope.orgsRead) { request, context in
            try await self.listMembers(request, context)
        }
        tenantRoute(admin, .post, "tenants/:slug/organizations/:org/members", scope: AdminScope.orgsWrite) { request, context in
            try await self.addMember(request, context)
        }
        tenantRoute(admin, .get, "tenants/:slug/organizations/:org/members/:user", scope: AdminScope.orgsRead) { _, context in
            try await self.showMember(context)
        }
        tenantRoute(admin, .patch, "tenants/:slug/organizations/:org/members/:user", scope: AdminScope.orgsWrite) { request, context in
            try await self.changeMemberRole(request, context)
        }
        tenantRoute(admin, .delete, "tenants/:slug/organizations/:org/members/:user", scope: AdminScope.orgsWrite) { _, context in
            try await self.removeMember(context)
        }
        registerRoleRoutes(admin)
        registerInvitationRoutes(admin)
        registerDomainRoutes(admin)
    }

    /// The JSON shape of an organization.
    struct OrganizationView: Encodable {
        let id, name, slug: String
        let publicMetadata, privateMetadata: [String: JSONValue]
        let mfaRequired: Bool
        let createdAt, updatedAt: Date

        enum CodingKeys: String, CodingKey {
            case id, name, slug
            case publicMetadata = "public_metadata"
            case privateMetadata = "private_metadata"
            case mfaRequired = "mfa_required"
            case createdAt = "created_at"
            case updatedAt = "updated_at"
        }

        init(_ o: Organization) {
            id = o.id.rawValue
            name = o.name
            slug = o.slug
            publicMetadata = o.publicMetadata
            privateMetadata = o.privateMetadata
            mfaRequired = o.mfaRequired
            createdAt = o.createdAt
            updatedAt = o.updatedAt
        }
    }

    /// The JSON shape of a membership, with the member's email and name.
    struct MemberView: Encodable {
        let userID, organizationID, role: String
        let email: String?
        let name: String?
        let createdAt, updatedAt: Date

        enum CodingKeys: String, CodingKey {
            case role, email, name
            case userID = "user_id"
            case organizationID = "organization_id"
            case createdAt = "created_at"
            case updatedAt = "updated_at"
        }

        init(_ m: Membership, user: User?) {
            userID = m.userID.rawValue
            organizationID = m.organizationID.rawValue
            role = m.role
            email = user?.email
            name = user?.name
            createdAt = m.createdAt
            updatedAt = m.updatedAt
        }
    }

    /// The organization named by `{org}`: an id (`org_…`) or a slug. - Throws: 404.
    func findOrganization(_ context: TenantContext) async throws -> Organization {
        let db = context.database
        var found: Organization?
        if let key = context.parameters.get("org"), key.utf8.count <= 64 {
            if let id = OrganizationID(rawValue: key) {
                found = try await db.organization(id: id)
            } else {
                found = try await db.organization(slug: key)
            }
        }
        guard let found else { throw ProblemDetails.notFound("no organization with this id or slug in this tenant") }
        AuditRecorder.resolve(organization: found.id.rawValue)
        return found
    }

    func listOrganizations(_ request: Request, _ context: TenantContext) async throws -> Response {
        let page = try AdminPageRequest(request)
        let after = try page.cursor(OrganizationID.init(rawValue:))
        let query = try AdminListFilter.value(of: "q", in: request)
        if let query, query.unicodeScalars.count > 200 || query.utf8.contains(0) {
            throw ProblemDetails.validation([.init(field: "q", message: "must be at most 200 characters, without U+0000")])
        }
        let organizations = try await context.database.listOrganizations(limit: page.limit + 1, after: after, query: query)
        return Responses.json(page.page("organizations", organizations.map(OrganizationView.init), cursor: \.id), noStore: true, sorted: true)
    }

    /// Reads the organization fields of a create or update body into `organization`.
    func applyOrganizationFields(_ input: inout JSONInput, to organization: inout Organization, creating: Bool) {
        if let name = input.displayName("name", required: creating) { organization.name = name }
        if let slug = input.string("slug", required: creating, maxLength: 64) {
            if OrganizationSlug.isValid(slug) {
                organization.slug = slug
            } else {
                input.fail("slug", "must be 1–64 characters of a-z, 0-9 and -, neither starting nor ending with - nor starting with org_")
            }
        }
        if let metadata = Self.metadata(&input, "public_metadata") { organization.publicMetadata = metadata }
        if let metadata = Self.metadata(&input, "private_metadata") { organization.privateMetadata = metadata }
        if let required = input.bool("mfa_required") { organization.mfaRequired = required }
    }

    /// Organization metadata: a JSON object of at most 8 KiB (encoded).
    static func metadata(_ input: inout JSONInput, _ key: String) -> [String: JSONValue]? {
        guard input.has(key) else { return nil }
        guard let value = input.decode([String: JSONValue].self, key, expected: "a JSON object") else { return nil }
        guard ((try? JSONEncoder().encode(value).count) ?? .max) <= 8192 else {
            input.fail(key, "must be at most 8192 bytes of JSON")
            return nil
        }
        return value
    }

    func createOrganization(_ request: Request, _ context: TenantContext) async throws -> Response {
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        input.rejectUnknown(["name", "slug", "owner_user_id", "public_metadata", "private_metadata", "mfa_required"])
        let now = services.clock.now
        var organization = Organization(id: .generate(at: now), name: "", slug: "", createdAt: now, updatedAt: now)
        applyOrganizationFields(&input, to: &organization, creating: true)
        var owner: UserID?
        if let raw = input.string("owner_user_id", maxLength: 64) {
            if let id = UserID(rawValue: raw) { owner = id } else { input.fail("owner_user_id", "is not a user id (usr_…)") }
        }
        try input.check()
        let db = context.database
        if let owner, try await db.user(id: owner) == nil {
            throw ProblemDetails.validation([.init(field: "owner_user_id", message: "is not a user of this tenant")])
        }
        let first = owner.map {
            Membership(organizationID: organization.id, userID: $0, role: OrganizationRole.owner, createdAt: now, updatedAt: now)
        }
        AuditRecorder.identify(target: organization.id.rawValue)
        do {
            try await db.insertOrganization(organization, firstMember: first)
        } catch StoreError.conflict(let message) {
            throw ProblemDetails.conflict(field: "slug", message)
        }
        return created(OrganizationView(organization))
    }

    func updateOrganization(_ request: Request, _ context: TenantContext) async throws -> Response {
        let original = try await findOrganization(context)
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        input.rejectUnknown(["name", "slug", "public_metadata", "private_metadata", "mfa_required"])
        var organization = original
        applyOrganizationFields(&input, to: &organization, creating: false)
        try input.check()
        organization.updatedAt = services.clock.now
        do {
            try await context.database.updateOrganization(organization)
        } catch StoreError.conflict(let message) {
            throw ProblemDetails.conflict(field: "slug", message)
        }
        return Responses.json(OrganizationView(organization), noStore: true, sorted: true)
    }

    // MARK: Members

    func listMembers(_ request: Request, _ context: TenantContext) async throws -> Response {
        let organization = try await findOrganization(context)
        let page = try AdminPageRequest(request)
        let after = try page.cursor(UserID.init(rawValue:))
        let db = context.database
        var views: [MemberView] = []
        for member in try await db.members(of: organization.id, limit: page.limit + 1, after: after) {
            views.append(MemberView(member, user: try await db.user(id: member.userID)))
        }
        return Responses.json(page.page("members", views, cursor: \.userID), noStore: true, sorted: true)
    }

    func addMember(_ request: Request, _ context: TenantContext) async throws -> Response {
        let organization = try await findOrganization(context)
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        input.rejectUnknown(["user_id", "role"])
        let userID = input.string("user_id", required: true, maxLength: 64).flatMap { raw -> UserID? in
            guard let id = UserID(rawValue: raw) else { input.fail("user_id", "is not a user id (usr_…)"); return nil }
            return id
        }
        let role = input.string("role", required: true, maxLength: 64)
        try input.check()
        let db = context.database
        let user = try await db.user(id: userID!)
        if user == nil { input.fail("user_id", "is not a user of this tenant") }
        if try await db.role(named: role!) == nil { input.fail("role", "is not a role of this tenant") }
        try input.check()
        let now = services.clock.now
        let membership = Membership(organizationID: organization.id, userID: userID!, role: role!, createdAt: now, updatedAt: now)
        do {
            try await db.insertMembership(membership)
        } catch StoreError.conflict(let message) {
            throw ProblemDetails.conflict(field: "user_id", message)
        }
        return created(MemberView(membership, user: user))
    }

    /// The member named by `{user_id}` in `organization`. - Throws: 404.
    func memberUserID(_ context: TenantContext) throws -> UserID {
        guard let raw = context.parameters.get("user"), let id = UserID(rawValue: raw) else {
            throw ProblemDetails.notFound("no member with this user id in this organization")
        }
        return id
    }

    func showMember(_ context: TenantContext) async throws -> Response {
        let organization = try await findOrganization(context)
        let userID = try memberUserID(context)
        let db = context.database
        guard let membership = try await db.membership(organization: organization.id, user: userID) else {
            throw ProblemDetails.notFound("no member with this user id in this organization")
        }
        return Responses.json(MemberView(membership, user: try await db.user(id: userID)), noStore: true, sorted: true)
    }

    func changeMemberRole(_ request: Request, _ context: TenantContext) async throws -> Response {
        let organization = try await findOrganization(context)
        let userID = try memberUserID(context)
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        input.rejectUnknown(["role"])
        let role = input.string("role", required: true, maxLength: 64)
        try input.check()
        let db = context.database
        switch try await db.changeRole(organization: organization.id, user: userID, to: role!, at: services.clock.now) {
        case .done(let membership):
            return Responses.json(MemberView(membership, user: try await db.user(id: userID)), noStore: true, sorted: true)
        case .notFound:
            throw ProblemDetails.notFound("no member with this user id in this organization")
        case .unknownRole:
            throw ProblemDetails.validation([.init(field: "role", message: "is not a role of this tenant")])
        case .lastOwner:
            throw ProblemDetails.conflict(
                field: "role", "the organization's last owner cannot be demoted; make another member owner first")
        }
    }

    func removeMember(_ context: TenantContext) async throws -> Response {
        let organization = try await findOrganization(context)
        let userID = try memberUserID(context)
        switch try await context.database.removeMembership(organization: organization.id, user: userID, at: services.clock.now) {
        case .done:
            return Response(status: .noContent)
        case .notFound, .unknownRole:
            throw ProblemDetails.notFound("no member with this user id in this organization")
        case .lastOwner:
            throw ProblemDetails.conflict(
                field: "user_id", "the organization's last owner cannot be removed; make another member owner first")
        }
    }
}

extension ProblemDetails {
    /// 409 naming the field whose value conflicts with the stored state.
    static func conflict(field: String, _ detail: String) -> Self {
        ProblemDetails(
            type: "urn:gatehouse:problem:conflict", title: "Conflict", statusCode: 409, detail: "\(field): \(detail)",
            errors: [.init(field: field, message: detail)])
    }
}
