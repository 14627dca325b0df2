import Foundation
import GatehouseCore
import GatehouseStore
import Hummingbird

extension AdminController {
    /// Domains and per-organization SSO (docs/contract.md A8): `GET|POST …/organizations/{org}/domains`,
    /// `GET|PATCH|DELETE …/domains/{domain}`, `POST …/domains/{domain}/verify`, and
    /// `GET|PUT|DELETE …/organizations/{org}/sso`. In this version a domain is verified by the
    /// admin's `verify` action (no DNS check): the admin vouches for the organization's control of it.
    /// Reads need `orgs:read`, changes `orgs:write`.
    func registerDomainRoutes(_ admin: RouterGroup<AppRequestContext>) {
        let base = "tenants/:slug/organizations/:org"
        tenantRoute(admin, .get, RouterPath(base + "/domains"), scope: AdminScope.orgsRead) { request, context in
            let organization = try await self.findOrganization(context)
            let domains = try await context.database.domains(of: organization.id).map(DomainView.init)
            return Responses.json(try AdminPageRequest(request).page("domains", all: domains, cursor: \.domain), noStore: true, sorted: true)
        }
        tenantRoute(admin, .post, RouterPath(base + "/domains"), scope: AdminScope.orgsWrite) { request, context in
            try await self.addDomain(request, context)
        }
        tenantRoute(admin, .get, RouterPath(base + "/domains/:domain"), scope: AdminScope.orgsRead) { _, context in
            Responses.json(DomainView(try await self.findDomain(context).1), noStore: true, sorted: true)
        }
        tenantRoute(admin, .patch, RouterPath(base + "/domains/:domain"), scope: AdminScope.orgsWrite) { request, context in
            try await self.updateDomain(request, context)
        }
        tenantRoute(admin, .delete, RouterPath(base + "/domains/:domain"), scope: AdminScope.orgsWrite) { _, context in
            let (organization, domain) = try await self.findDomain(context)
            guard try await context.database.removeDomain(domain.domain, of: organization.id) else {
                throw ProblemDetails.notFound("the organization does not hold this domain")
            }
            return Response(status: .noContent)
        }
        tenantRoute(admin, .post, RouterPath(base + "/domains/:domain/verify"), scope: AdminScope.orgsWrite) { _, context in
            var (_, domain) = try await self.findDomain(context)
            domain.verifiedAt = domain.verifiedAt ?? self.services.clock.now
            guard try await context.database.updateDomain(domain) else { throw ProblemDetails.notFound("the organization does not hold this domain") }
            return Responses.json(DomainView(domain), noStore: true, sorted: true)
        }
        tenantRoute(admin, .get, RouterPath(base + "/sso"), scope: AdminScope.orgsRead) { _, context in
            let organization = try await self.findOrganization(context)
            guard let sso = try await context.database.sso(of: organization.id) else {
                throw ProblemDetails.notFound("the organization has no SSO configuration")
            }
            return Responses.json(SSOView(sso), noStore: true, sorted: true)
        }
        tenantRoute(admin, .put, RouterPath(base + "/sso"), scope: AdminScope.orgsWrite) { request, context in
            try await self.setSSO(request, context)
        }
        tenantRoute(admin, .delete, RouterPath(base + "/sso"), scope: AdminScope.orgsWrite) { _, context in
            let organization = try await self.findOrganization(context)
            guard try await context.database.removeSSO(of: organization.id) else {
                throw ProblemDetails.notFound("the organization has no SSO configuration")
            }
            return Response(status: .noContent)
        }
    }

    /// The JSON shape of an organization's domain.
    struct DomainView: Encodable {
        let domain, organizationID, defaultRole: String
        let verified, autoJoin: Bool
        @NullWhenAbsent var verifiedAt: Date?
        let createdAt: Date

        enum CodingKeys: String, CodingKey {
            case domain, verified
            case organizationID = "organization_id"
            case defaultRole = "default_role"
            case autoJoin = "auto_join"
            case verifiedAt = "verified_at"
            case createdAt = "created_at"
        }

        init(_ d: OrganizationDomain) {
            domain = d.domain
            organizationID = d.organizationID.rawValue
            defaultRole = d.defaultRole
            verified = d.verifiedAt != nil
            autoJoin = d.autoJoin
            verifiedAt = d.verifiedAt
            createdAt = d.createdAt
        }
    }

    /// The JSON shape of an organization's SSO configuration.
    struct SSOView: Encodable {
        let organizationID, providerID, defaultRole: String
        let enforced: Bool

        enum CodingKeys: String, CodingKey {
            case enforced
            case organizationID = "organization_id"
            case providerID = "provider_id"
            case defaultRole = "default_role"
        }

        init(_ s: OrganizationSSO) {
            organizationID = s.organizationID.rawValue
            providerID = s.providerID
            defaultRole = s.defaultRole
            enforced = s.enforced
        }
    }

    /// The organization and its domain named by `{domain}` (any case). - Throws: 404.
    func findDomain(_ context: TenantContext) async throws -> (Organization, OrganizationDomain) {
        let organization = try await findOrganization(context)
        let name = (context.parameters.get("domain") ?? "").lowercased()
        guard let domain = try await context.database.domains(of: organization.id).first(where: { $0.domain == name }) else {
            throw ProblemDetails.notFound("the organization does not hold this domain")
        }
        return (organization, domain)
    }

    /// Reads `default_role` (a role of the tenant) when present.
    func defaultRole(_ input: inout JSONInput, _ db: any TenantHandle) async throws -> String? {
        guard let role = input.string("default_role", maxLength: 64) else { return nil }
        if try await db.role(named: role) == nil {
            input.fail("default_role", "is not a role of this tenant")
            return nil
        }
        return role
    }

    func addDomain(_ request: Request, _ context: TenantContext) async throws -> Response {
        let organization = try await findOrganization(context)
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        input.rejectUnknown(["domain", "auto_join", "default_role"])
        let name = input.string("domain", required: true, maxLength: 253)?.lowercased()
        if let name, !OrganizationDomain.isValidName(name) {
            input.fail("domain", "must be a DNS name of at least two labels of a-z, 0-9 and - (at most 253 characters)")
        }
        let autoJoin = input.bool("auto_join") ?? false
        let role = try await defaultRole(&input, context.database) ?? OrganizationRole.member
        try input.check()
        let domain = OrganizationDomain(
            organizationID: organization.id, domain: name!, autoJoin: autoJoin, defaultRole: role, createdAt: services.clock.now)
        do {
            try await context.database.insertDomain(domain)
        } catch StoreError.conflict {
            throw ProblemDetails.conflict(field: "domain", "the domain is held by an organization of this tenant")
        } catch StoreError.notFound(let message) {
            throw ProblemDetails.validation([.init(field: "default_role", message: message)])
        }
        return created(DomainView(domain))
    }

    func updateDomain(_ request: Request, _ context: TenantContext) async throws -> Response {
        var (_, domain) = try await findDomain(context)
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        input.rejectUnknown(["auto_join", "default_role"])
        if let autoJoin = input.bool("auto_join") { domain.autoJoin = autoJoin }
        if let role = try await defaultRole(&input, context.database) { domain.defaultRole = role }
        try input.check()
        do {
            guard try await context.database.updateDomain(domain) else { throw ProblemDetails.notFound("the organization does not hold this domain") }
        } catch StoreError.notFound(let message) {
            throw ProblemDetails.validation([.init(field: "default_role", message: message)])
        }
        return Responses.json(DomainView(domain), noStore: true, sorted: true)
    }

    /// Creates or replaces the SSO configuration; `provider_id` is an upstream provider's id or slug.
    func setSSO(_ request: Request, _ context: TenantContext) async throws -> Response {
        let organization = try await findOrganization(context)
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        input.rejectUnknown(["provider_id", "enforced", "default_role"])
        let key = input.string("provider_id", required: true, maxLength: 64)
        let enforced = input.bool("enforced") ?? false
        let role = try await defaultRole(&input, context.database) ?? OrganizationRole.member
        try input.check()
        let db = context.database
        guard let provider = try await db.upstreamProvider(key!) else {
            throw ProblemDetails.validation([.init(field: "provider_id", message: "is not an upstream provider of this tenant")])
        }
        let sso = OrganizationSSO(organizationID: organization.id, providerID: provider.id.rawValue, enforced: enforced, defaultRole: role)
        do {
            try await db.setSSO(sso)
        } catch StoreError.notFound(let message) {
            throw ProblemDetails.validation([.init(field: "provider_id", message: message)])
        }
        return Responses.json(SSOView(sso), noStore: true, sorted: true)
    }
}
