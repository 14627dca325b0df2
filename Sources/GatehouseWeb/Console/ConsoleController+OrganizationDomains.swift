import Foundation
import GatehouseCore
import GatehouseStore
import HTTPTypes
import Hummingbird

/// The domains and SSO forms of a console organization page (docs/contract.md A8): add a domain
/// (`domain`, checkbox `auto_join`, `default_role`), mark it verified (the admin's attestation, as
/// `POST …/domains/{domain}/verify` of the admin API), remove it; set the organization's SSO
/// (`provider_id`, checkbox `enforced`, `default_role`) or remove it. The store's rules hold as in
/// the admin API; changes are audited under the admin API's types.
extension ConsoleController {
    func registerOrganizationDomainRoutes(_ console: RouterGroup<AppRequestContext>) {
        organizationRoute(console, "/domains", form: true) { try await self.addDomain($0, $1, $2, $3, $4) }
        organizationRoute(console, "/domains/:domain/verify", form: true) { try await self.verifyDomain($0, $1, $2, $3, $4) }
        organizationRoute(console, "/domains/:domain/remove", form: true) { try await self.removeDomain($0, $1, $2, $3, $4) }
        organizationRoute(console, "/sso", form: true) { try await self.setSSO($0, $1, $2, $3, $4) }
        organizationRoute(console, "/sso/remove", form: true) { try await self.removeSSO($0, $1, $2, $3, $4) }
    }

    /// An entry of a change to `organization` by the signed-in admin.
    func organizationDraft(
        _ type: String, _ page: TenantPage, _ organization: Organization, target: (String, String), sent: [String: JSONValue] = [:],
        _ request: Request, _ context: AppRequestContext
    ) -> AuditDraft {
        var draft = operatorDraft(type, page, target: target, sent: sent, request, context)
        draft.organizationID = organization.id.rawValue
        return draft
    }

    /// The organization's page again with `problems` next to their fields (`status`, nothing changed).
    func refusedOrganizationForm(
        _ page: TenantPage, _ organization: Organization, _ problems: [String: Any], status: HTTPResponse.Status = .unprocessableContent
    ) async throws -> Response {
        try await organizationPage(
            page, organization, extra: problems.merging(["error": "Nothing was changed: correct the fields below."]) { a, _ in a }, status: status)
    }

    func addDomain(_ page: TenantPage, _ form: FormParameters, _ organization: Organization, _ request: Request, _ context: AppRequestContext)
        async throws -> Response
    {
        let name = (form["domain"] ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        let role = form["default_role"] ?? OrganizationRole.member
        var problems: [String: Any] = ["new_domain": name]
        if !OrganizationDomain.isValidName(name) {
            problems["domain_error"] = "must be a DNS name of at least two labels of a-z, 0-9 and - (at most 253 characters)"
        }
        if try await page.database.role(named: role) == nil { problems["domain_role_error"] = "is not a role of this tenant" }
        guard problems.count == 1 else { return try await refusedOrganizationForm(page, organization, problems) }
        let domain = OrganizationDomain(
            organizationID: organization.id, domain: name, autoJoin: form["auto_join"] != nil, defaultRole: role, createdAt: services.clock.now)
        let sent: [String: JSONValue] = ["domain": .string(name), "auto_join": .bool(domain.autoJoin), "default_role": .string(role)]
        let draft = organizationDraft("organization_domain.created", page, organization, target: ("organization_domain", name), sent: sent, request, context)
        do {
            try await services.audited([draft], in: page.database) { try await page.database.insertDomain(domain) }
        } catch StoreError.conflict {
            problems["domain_error"] = "the domain is held by an organization of this tenant"
            return try await refusedOrganizationForm(page, organization, problems, status: .conflict)
        }
        return memberChanged(page, organization)
    }

    /// The organization's domain of `:domain`, or nil.
    func consoleDomain(_ page: TenantPage, _ organization: Organization, _ context: AppRequestContext) async throws -> OrganizationDomain? {
        let name = (context.parameters.get("domain") ?? "").lowercased()
        return try await page.database.domains(of: organization.id).first { $0.domain == name }
    }

    func verifyDomain(_ page: TenantPage, _ form: FormParameters, _ organization: Organization, _ request: Request, _ context: AppRequestContext)
        async throws -> Response
    {
        guard var domain = try await consoleDomain(page, organization, context) else { return noSuchDomain(page, organization) }
        domain.verifiedAt = domain.verifiedAt ?? services.clock.now
        let draft = organizationDraft("organization_domain.verified", page, organization, target: ("organization_domain", domain.domain), request, context)
        let changed = domain
        _ = try await services.audited([draft], in: page.database) { try await page.database.updateDomain(changed) }
        return memberChanged(page, organization)
    }

    func removeDomain(_ page: TenantPage, _ form: FormParameters, _ organization: Organization, _ request: Request, _ context: AppRequestContext)
        async throws -> Response
    {
        guard let domain = try await consoleDomain(page, organization, context) else { return noSuchDomain(page, organization) }
        let draft = organizationDraft("organization_domain.deleted", page, organization, target: ("organization_domain", domain.domain), request, context)
        _ = try await services.audited([draft], in: page.database) { try await page.database.removeDomain(domain.domain, of: organization.id) }
        return memberChanged(page, organization)
    }

    func noSuchDomain(_ page: TenantPage, _ organization: Organization) -> Response {
        missing(
            page, "No such domain", "This organization does not hold this domain.",
            back: ("\(page.path)/organizations/\(organization.id.rawValue)", organization.name))
    }

    func setSSO(_ page: TenantPage, _ form: FormParameters, _ organization: Organization, _ request: Request, _ context: AppRequestContext)
        async throws -> Response
    {
        let key = form["provider_id"] ?? ""
        let role = form["sso_role"] ?? OrganizationRole.member
        var problems: [String: Any] = [:]
        let provider = key.isEmpty || key.utf8.count > 64 ? nil : try await page.database.upstreamProvider(key)
        if provider == nil { problems["provider_id_error"] = "is not an upstream provider of this tenant" }
        if try await page.database.role(named: role) == nil { problems["sso_role_error"] = "is not a role of this tenant" }
        guard let provider, problems.isEmpty else { return try await refusedOrganizationForm(page, organization, problems) }
        let sso = OrganizationSSO(organizationID: organization.id, providerID: provider.id.rawValue, enforced: form["enforced"] != nil, defaultRole: role)
        let sent: [String: JSONValue] = ["provider_id": .string(provider.id.rawValue), "enforced": .bool(sso.enforced), "default_role": .string(role)]
        let draft = organizationDraft(
            "organization_sso.updated", page, organization, target: ("organization_sso", organization.id.rawValue), sent: sent, request, context)
        try await services.audited([draft], in: page.database) { try await page.database.setSSO(sso) }
        return memberChanged(page, organization)
    }

    func removeSSO(_ page: TenantPage, _ form: FormParameters, _ organization: Organization, _ request: Request, _ context: AppRequestContext)
        async throws -> Response
    {
        let draft = organizationDraft("organization_sso.deleted", page, organization, target: ("organization_sso", organization.id.rawValue), request, context)
        _ = try await services.audited([draft], in: page.database) { try await page.database.removeSSO(of: organization.id) }
        return memberChanged(page, organization)
    }

    /// The domains and SSO values of the organization's page.
    func domainValues(_ page: TenantPage, _ organization: Organization, base: String) async throws -> [String: Any] {
        let db = page.database
        let domains = try await db.domains(of: organization.id).map { d -> [String: Any] in
            [
                "domain": d.domain, "auto_join": d.autoJoin, "default_role": d.defaultRole, "verified": d.verifiedAt != nil,
                "verify_action": "\(base)/domains/\(d.domain)/verify", "remove_action": "\(base)/domains/\(d.domain)/remove",
            ]
        }
        let sso = try await db.sso(of: organization.id)
        let providers = try await db.upstreamProviders().map { p -> [String: Any] in
            ["id": p.id.rawValue, "name": p.name, "selected": p.id.rawValue == sso?.providerID]
        }
        var values: [String: Any] = [
            "domains": domains, "domain_action": "\(base)/domains", "providers": providers, "sso_action": "\(base)/sso",
            "sso_remove_action": "\(base)/sso/remove",
        ]
        if let sso {
            values["sso"] = true
            values["sso_enforced"] = sso.enforced
            values["sso_provider"] = providers.first { ($0["selected"] as? Bool) == true }?["name"] ?? sso.providerID
        }
        return values
    }
}
