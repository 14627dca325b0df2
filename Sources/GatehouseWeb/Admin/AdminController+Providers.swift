import Foundation
import GatehouseCore
import GatehouseFederation
import GatehouseStore
import Hummingbird

extension AdminController {
    /// Upstream login providers of a tenant (federation):
    /// `GET|POST /tenants/{slug}/providers`, `GET|PATCH|DELETE /tenants/{slug}/providers/{provider}`
    /// (`{provider}` is the id `idp_…` or the slug). Reads need `tenant:read`, changes `tenant:write`.
    ///
    /// Providers live in the tenant database, their client secrets sealed with the master key and
    /// never shown. The tenant's `settings.oauth_providers` is a read-only summary (id, kind,
    /// enabled, slug, name) rewritten after every change, so that the login page renders its
    /// buttons without a database read.
    func registerProviderRoutes(_ admin: RouterGroup<AppRequestContext>) {
        tenantRoute(admin, .get, "tenants/:slug/providers", scope: AdminScope.tenantRead) { _, context in try await self.listProviders(context) }
        tenantRoute(admin, .post, "tenants/:slug/providers", scope: AdminScope.tenantWrite) { request, context in
            try await self.createProvider(request, context)
        }
        tenantRoute(admin, .get, "tenants/:slug/providers/:provider", scope: AdminScope.tenantRead) { _, context in
            try await self.showProvider(context)
        }
        tenantRoute(admin, .patch, "tenants/:slug/providers/:provider", scope: AdminScope.tenantWrite) { request, context in
            try await self.updateProvider(request, context)
        }
        tenantRoute(admin, .delete, "tenants/:slug/providers/:provider", scope: AdminScope.tenantWrite) { _, context in
            try await self.deleteProvider(context)
        }
    }

    /// The JSON shape of a provider. The client secret is never shown, only whether one is set.
    struct ProviderView: Encodable {
        let id, slug, kind, name, clientID: String
        let enabled, clientSecretSet, trustUpstreamMFA, allowSignup: Bool
        let discoveryURL, issuer, authorizationURL, tokenURL, userinfoURL, microsoftTenant: String?
        let scopes: [String]
        let claimMapping: UpstreamProvider.ClaimMapping
        let redirectURI: String
        let createdAt, updatedAt: Date

        enum CodingKeys: String, CodingKey {
            case id, slug, kind, name, enabled, issuer, scopes
            case clientID = "client_id"
            case clientSecretSet = "client_secret_set"
            case trustUpstreamMFA = "trust_upstream_mfa"
            case allowSignup = "allow_signup"
            case discoveryURL = "discovery_url"
            case authorizationURL = "authorization_url"
            case tokenURL = "token_url"
            case userinfoURL = "userinfo_url"
            case microsoftTenant = "microsoft_tenant"
            case claimMapping = "claim_mapping"
            case redirectURI = "redirect_uri"
            case createdAt = "created_at"
            case updatedAt = "updated_at"
        }

        /// Shows the URLs and scopes in effect (preset defaults included).
        init(_ p: UpstreamProvider, redirectURI: String) {
            id = p.id.rawValue
            slug = p.slug
            kind = p.kind.rawValue
            name = p.name
            clientID = p.clientID
            enabled = p.enabled
            clientSecretSet = p.clientSecret != nil
            trustUpstreamMFA = p.trustUpstreamMFA
            allowSignup = p.allowSignup
            discoveryURL = p.effectiveDiscoveryURL
            issuer = p.kind.isOpenIDConnect ? nil : p.effectiveIssuer
            authorizationURL = p.kind.isOpenIDConnect ? nil : p.effectiveAuthorizationURL
            tokenURL = p.kind.isOpenIDConnect ? nil : p.effectiveTokenURL
            userinfoURL = p.kind.isOpenIDConnect ? nil : p.effectiveUserinfoURL
            microsoftTenant = p.kind == .microsoft ? (p.microsoftTenant ?? "common") : nil
            scopes = p.effectiveScopes
            claimMapping = p.claimMapping
            self.redirectURI = redirectURI
            createdAt = p.createdAt
            updatedAt = p.updatedAt
        }
    }

    func providerView(_ p: UpstreamProvider, _ tenant: ResolvedTenant) -> ProviderView {
        ProviderView(p, redirectURI: services.federationRedirectURI(p, tenant: tenant))
    }

    func findProvider(_ context: TenantContext) async throws -> (ResolvedTenant, any TenantHandle, UpstreamProvider) {
        let tenant = context.tenant
        let db = context.database
        guard let key = context.parameters.get("provider"), key.utf8.count <= 64, let provider = try await db.upstreamProvider(key) else {
            throw ProblemDetails.notFound("no provider with this id or slug in this tenant")
        }
        return (tenant, db, provider)
    }

    func listProviders(_ context: TenantContext) async throws -> Response {
        let tenant = context.tenant
        let providers = try await context.database.upstreamProviders()
        struct List: Encodable { let providers: [ProviderView] }
        return Responses.json(List(providers: providers.map { providerView($0, tenant) }), noStore: true, sorted: true)
    }

    func showProvider(_ context: TenantContext) async throws -> Response {
        let (tenant, _, provider) = try await findProvider(context)
        return Responses.json(providerView(provider, tenant), noStore: true, sorted: true)
    }

    static let providerFields: Set<String> = [
        "kind", "name", "slug", "enabled", "client_id", "client_secret", "discovery_url", "issuer", "authorization_url", "token_url",
        "userinfo_url", "scopes", "claim_mapping", "microsoft_tenant", "trust_upstream_mfa", "allow_signup",
    ]

    /// Applies the body's fields to `provider`. For optional strings, `""` clears the value.
    /// - Parameter known: fields that were valid enough to check the result (no required field missing).
    func applyProviderFields(_ input: inout JSONInput, to provider: inout UpstreamProvider) {
        func optional(_ key: String, maxLength: Int = 2048) -> String?? {
            guard let value = input.string(key, maxLength: maxLength) else { return nil }
            return .some(value.isEmpty ? nil : value)
        }
        if let v = input.string("name", maxLength: 200) { provider.name = v }
        if let v = input.string("slug", maxLength: 63) { provider.slug = v }
        if let v = input.bool("enabled") { provider.enabled = v }
        if let v = input.string("client_id", maxLength: 1000) { provider.clientID = v }
        if let v = optional("client_secret", maxLength: 4096) { provider.clientSecret = v }
        if let v = optional("discovery_url") { provider.discoveryURL = v }
        if let v = optional("issuer") { provider.issuer = v }
        if let v = optional("authorization_url") { provider.authorizationURL = v }
        if let v = optional("token_url") { provider.tokenURL = v }
        if let v = optional("userinfo_url") { provider.userinfoURL = v }
        if let v = optional("microsoft_tenant", maxLength: 128) { provider.microsoftTenant = v }
        if let v = input.strings("scopes", maxCount: 50) { provider.scopes = v }
        if var nested = input.objectValue("claim_mapping") {
            nested.rejectUnknown(["subject", "email", "email_verified", "name"])
            if let v = nested.string("subject", maxLength: 200) { provider.claimMapping.subject = v }
            if let v = nested.string("email", maxLength: 200) { provider.claimMapping.email = v }
            if let v = nested.string("email_verified", maxLength: 200) { provider.claimMapping.emailVerified = v }
            if let v = nested.string("name", maxLength: 200) { provider.claimMapping.name = v }
            input.errors += nested.errors.map { .init(field: "claim_mapping.\($0.field)", message: $0.message) }
        }
        if let v = input.bool("trust_upstream_mfa") { provider.trustUpstreamMFA = v }
        if let v = input.bool("allow_signup") { provider.allowSignup = v }
    }

    /// Reports the provider's configuration problems, except for fields already reported.
    func checkProvider(_ provider: UpstreamProvider, _ input: inout JSONInput) {
        let reported = Set(input.errors.map(\.field))
        for problem in provider.validate(allowHTTP: services.configuration.federation.allowHTTP) where !reported.contains(problem.field) {
            input.fail(problem.field, problem.message)
        }
    }

    func createProvider(_ request: Request, _ context: TenantContext) async throws -> Response {
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        let provider = try await validatedNewProvider(&input, in: context.database)
        try input.check()
        AuditRecorder.identify(target: provider.id.rawValue)
        try await saveProvider(provider, creating: true, in: context.database)
        return created(providerView(provider, context.tenant))
    }

    /// A new provider from a create body (`kind`, `name`, `client_id` required; a slug made from
    /// the name when none is given, unique in the tenant), its problems recorded in `input`.
    /// Shared by the admin API and the console.
    func validatedNewProvider(_ input: inout JSONInput, in db: any TenantHandle) async throws -> UpstreamProvider {
        input.rejectUnknown(Self.providerFields)
        let kind = input.string("kind", required: true).flatMap { raw -> UpstreamProvider.Kind? in
            guard let kind = UpstreamProvider.Kind(rawValue: raw) else {
                input.fail("kind", "must be one of oidc, oauth2, github, google, microsoft")
                return nil
            }
            return kind
        }
        let name = input.string("name", required: true, maxLength: 200)
        let clientID = input.string("client_id", required: true, maxLength: 1000)
        let now = services.clock.now
        var provider = UpstreamProvider(
            id: .generate(at: now), slug: "", kind: kind ?? .oidc, name: name ?? "provider",
            clientID: clientID ?? "client", createdAt: now, updatedAt: now)
        applyProviderFields(&input, to: &provider)
        if !input.has("slug") {
            // A slug from the name, unique in the tenant.
            let taken = Set(try await db.upstreamProviders().map(\.slug))
            let base = UpstreamProvider.slug(fromName: provider.name)
            var candidate = base
            var n = 2
            while taken.contains(candidate) { candidate = "\(base)-\(n)"; n += 1 }
            provider.slug = candidate
        }
        // Kind-specific rules need the kind; without it only the missing fields are reported.
        if kind != nil { checkProvider(provider, &input) }
        return provider
    }

    func updateProvider(_ request: Request, _ context: TenantContext) async throws -> Response {
        let (tenant, db, original) = try await findProvider(context)
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        let provider = validatedProviderUpdate(&input, of: original)
        try input.check()
        try await saveProvider(provider, creating: false, in: db)
        return Responses.json(providerView(provider, tenant), noStore: true, sorted: true)
    }

    /// `original` changed by an update body (`kind` cannot change), its problems recorded in `input`.
    func validatedProviderUpdate(_ input: inout JSONInput, of original: UpstreamProvider) -> UpstreamProvider {
        input.rejectUnknown(Self.providerFields.subtracting(["kind"]))
        if input.has("kind") { input.errors.removeAll { $0.field == "kind" }; input.fail("kind", "cannot be changed; create another provider") }
        var provider = original
        applyProviderFields(&input, to: &provider)
        checkProvider(provider, &input)
        provider.updatedAt = max(services.clock.now, original.updatedAt.addingTimeInterval(0.001))
        return provider
    }

    /// Stores a new or changed provider, drops what was cached of it and rewrites the summary.
    /// - Throws: `StoreError.conflict` for a slug another provider of the tenant has.
    func saveProvider(_ provider: UpstreamProvider, creating: Bool, in db: any TenantHandle) async throws {
        if creating { try await db.insertUpstreamProvider(provider) } else { try await db.updateUpstreamProvider(provider) }
        services.federation.forget(prefix: "\(db.tenant.id.rawValue)/\(provider.id.rawValue)@")
        try await syncProviderReferences(db.tenant)
    }

    func deleteProvider(_ context: TenantContext) async throws -> Response {
        let (_, db, provider) = try await findProvider(context)
        try await removeProvider(provider, in: db)
        return Response(status: .noContent)
    }

    /// Deletes a provider (its users' links with it), drops what was cached and rewrites the summary.
    func removeProvider(_ provider: UpstreamProvider, in db: any TenantHandle) async throws {
        try await db.deleteUpstreamProvider(id: provider.id)
        services.federation.forget(prefix: "\(db.tenant.id.rawValue)/\(provider.id.rawValue)@")
        try await syncProviderReferences(db.tenant)
    }

    /// Rewrites the tenant's `settings.oauth_providers` summary from the tenant database.
    func syncProviderReferences(_ tenant: ResolvedTenant) async throws {
        let providers = try await services.store.storage(for: tenant).upstreamProviders()
        let references = providers.map {
            UpstreamProviderReference(id: $0.id.rawValue, kind: $0.kind.rawValue, enabled: $0.enabled, slug: $0.slug, name: $0.name)
        }
        try await updateSettingsSummary(tenant) { $0.oauthProviders = references }
    }

    /// Rewrites a read-only summary kept in the tenant's settings (`oauth_providers`,
    /// `email_templates`) when it changed.
    func updateSettingsSummary(_ tenant: ResolvedTenant, _ update: (inout TenantSettings) -> Void) async throws {
        guard let current = services.store.resolve(slug: tenant.slug) else { return }
        var settings = current.tenant.settings
        update(&settings)
        guard settings != current.tenant.settings else { return }
        _ = try await services.store.updateTenant(current, name: current.tenant.name, settings: settings)
    }
}
