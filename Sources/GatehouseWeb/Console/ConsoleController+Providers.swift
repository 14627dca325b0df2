import Foundation
import GatehouseCore
import GatehouseStore
import HTTPTypes
import Hummingbird

/// The console's upstream login providers of one tenant (federation): the list with each
/// provider's redirect URI, creation, the settings form (the client secret is write-only: left
/// empty it stays as it is) and deletion with the slug typed as confirmation. Fields go through
/// the admin API's rules (`AdminController.validatedNewProvider`, `validatedProviderUpdate`); changes
/// are audited as the admin API records them (`provider.created|updated|deleted`).
extension ConsoleController {
    func registerProviderRoutes(_ console: RouterGroup<AppRequestContext>) {
        console.get("tenants/:slug/providers") { request, context in
            switch try await self.tenantGate(request, context, form: false) {
            case .ready(let page, _): return try await self.providersPage(page, request)
            case .answer(let response): return response
            }
        }
        console.get("tenants/:slug/providers/new") { request, context in
            switch try await self.tenantGate(request, context, form: false) {
            case .ready(let page, _): return self.providerForm(page, nil, values: ["enabled": true, "kind_oidc": true])
            case .answer(let response): return response
            }
        }
        console.post("tenants/:slug/providers") { request, context in
            switch try await self.tenantGate(request, context, form: true) {
            case .ready(let page, let form): return try await self.createProvider(page, form, request, context)
            case .answer(let response): return response
            }
        }
        providerRoute(console, "", form: false) { page, _, provider, request, _ in
            self.providerForm(page, provider, values: request.queryParameters["notice"] == "saved" ? ["notice": "The provider was saved."] : [:])
        }
        providerRoute(console, "", form: true) { try await self.updateProvider($0, $1, $2, $3, $4) }
        providerRoute(console, "/delete", form: true) { try await self.deleteProvider($0, $1, $2, $3, $4) }
    }

    typealias ProviderHandler = @Sendable (TenantPage, FormParameters, UpstreamProvider, Request, AppRequestContext) async throws -> Response

    /// Registers `tenants/:slug/providers/:provider<suffix>` (an `idp_…` id or a slug of the tenant), else a 404 page.
    func providerRoute(_ console: RouterGroup<AppRequestContext>, _ suffix: String, form: Bool, _ handler: @escaping ProviderHandler) {
        let path = RouterPath(stringLiteral: "tenants/:slug/providers/:provider\(suffix)")
        let body: @Sendable (Request, AppRequestContext) async throws -> Response = { request, context in
            switch try await self.tenantGate(request, context, form: form) {
            case .answer(let response): return response
            case .ready(let page, let posted):
                guard let key = context.parameters.get("provider"), key.utf8.count <= 64, let provider = try await page.database.upstreamProvider(key)
                else {
                    return self.missing(
                        page, "No such provider", "This tenant has no provider with this id.", back: ("\(page.path)/providers", "Providers"))
                }
                return try await handler(page, posted, provider, request, context)
            }
        }
        if form { console.post(path, use: body) } else { console.get(path, use: body) }
    }

    func providersPage(_ page: TenantPage, _ request: Request) async throws -> Response {
        var values = tenantHeader(page)
        values["new_url"] = "\(page.path)/providers/new"
        values["providers"] = try await page.database.upstreamProviders().map { p -> [String: Any] in
            [
                "id": p.id.rawValue, "name": p.name, "provider_slug": p.slug, "kind": p.kind.rawValue, "enabled": p.enabled,
                "url": "\(page.path)/providers/\(p.id.rawValue)", "redirect_uri": services.federationRedirectURI(p, tenant: page.tenant),
            ]
        }
        if request.queryParameters["notice"] == "deleted" { values["notice"] = "The provider was deleted." }
        return self.page("admin_providers", title: "Providers", values: values, signedIn: page.signedIn)
    }

    /// The new-provider form (`provider` nil) or a provider's page, with `values` (as submitted, problems) over the stored ones.
    func providerForm(_ page: TenantPage, _ provider: UpstreamProvider?, values extra: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        var values = tenantHeader(page)
        values["providers_url"] = "\(page.path)/providers"
        if let p = provider {
            let base = "\(page.path)/providers/\(p.id.rawValue)"
            values.merge([
                "provider_id": p.id.rawValue, "name": p.name, "provider_slug": p.slug, "kind": p.kind.rawValue, "kind_\(p.kind.rawValue)": true,
                "client_id": p.clientID, "client_secret_set": p.clientSecret != nil, "discovery_url": p.discoveryURL ?? "", "issuer": p.issuer ?? "",
                "authorization_url": p.authorizationURL ?? "", "token_url": p.tokenURL ?? "", "userinfo_url": p.userinfoURL ?? "",
                "microsoft_tenant": p.microsoftTenant ?? "", "scopes": p.scopes.joined(separator: " "), "enabled": p.enabled,
                "trust_upstream_mfa": p.trustUpstreamMFA, "allow_signup": p.allowSignup, "action": base, "delete_action": "\(base)/delete",
                "redirect_uri": services.federationRedirectURI(p, tenant: page.tenant),
            ]) { _, new in new }
        } else {
            values["action"] = "\(page.path)/providers"
            values["creating"] = true
        }
        values.merge(extra) { _, new in new }
        values["kinds"] = UpstreamProvider.Kind.allCases.map { ["value": $0.rawValue, "selected": values["kind_\($0.rawValue)"] as? Bool == true] }
        let title = provider.map { "Provider \($0.name)" } ?? "New provider"
        return self.page("admin_provider", title: title, values: values, signedIn: page.signedIn, status: status)
    }

    static let providerTextFields = ["name", "client_id", "discovery_url", "issuer", "authorization_url", "token_url", "userinfo_url", "microsoft_tenant"]
    static let providerFlags = ["enabled", "trust_upstream_mfa", "allow_signup"]

    /// The form as the admin API's body: text fields as sent (empty clears an optional one),
    /// `provider_slug` as `slug` when given, `scopes` split on spaces, the checkboxes, and
    /// `client_secret` only when one was typed.
    static func providerBody(_ form: FormParameters, creating: Bool) -> [String: JSONValue] {
        var body: [String: JSONValue] = [:]
        for key in providerTextFields where sent(form, key) { body[key] = .string((form[key] ?? "").trimmingCharacters(in: .whitespaces)) }
        for key in providerFlags { body[key] = .bool(form[key] != nil) }
        if let slug = form["provider_slug"]?.trimmingCharacters(in: .whitespaces), !slug.isEmpty { body["slug"] = .string(slug) }
        if let secret = form["client_secret"], !secret.isEmpty { body["client_secret"] = .string(secret) }
        if sent(form, "scopes") {
            body["scopes"] = .array((form["scopes"] ?? "").split(whereSeparator: \.isWhitespace).map { .string(String($0)) })
        }
        if creating { body["kind"] = .string(form["kind"] ?? "") }
        return body
    }

    /// The form shown again as submitted (never the secret), with each problem next to its field.
    func refusedProviderForm(_ page: TenantPage, _ provider: UpstreamProvider?, _ form: FormParameters, _ errors: [ProblemDetails.FieldError]) -> Response {
        var values: [String: Any] = ["error": "Nothing was saved: correct the fields below."]
        for key in Self.providerTextFields + ["scopes", "provider_slug"] { values[key] = form[key] ?? "" }
        for key in Self.providerFlags { values[key] = form[key] != nil }
        if provider == nil, let kind = form["kind"] { values["kind_\(kind)"] = true }
        Self.place(errors.map { .init(field: $0.field == "slug" ? "provider_slug" : $0.field, message: $0.message) }, in: &values)
        return providerForm(page, provider, values: values, status: .unprocessableContent)
    }

    func createProvider(_ page: TenantPage, _ form: FormParameters, _ request: Request, _ context: AppRequestContext) async throws -> Response {
        let body = Self.providerBody(form, creating: true)
        var input = JSONInput(object: body)
        let admin = AdminController(services: services)
        let provider = try await admin.validatedNewProvider(&input, in: page.database)
        if input.errors.isEmpty {
            let draft = operatorDraft("provider.created", page, target: ("provider", provider.id.rawValue), sent: body, request, context)
            do {
                try await services.audited([draft], in: page.database) { try await admin.saveProvider(provider, creating: true, in: page.database) }
                logChange("provider created", page, provider.id.rawValue, context)
                return redirect("\(page.path)/providers/\(provider.id.rawValue)?notice=saved", signedIn: page.signedIn)
            } catch StoreError.conflict(let message) {
                input.fail("slug", message)
            }
        }
        return refusedProviderForm(page, nil, form, input.errors)
    }

    func updateProvider(_ page: TenantPage, _ form: FormParameters, _ original: UpstreamProvider, _ request: Request, _ context: AppRequestContext)
        async throws -> Response
    {
        let body = Self.providerBody(form, creating: false)
        var input = JSONInput(object: body)
        let admin = AdminController(services: services)
        let provider = admin.validatedProviderUpdate(&input, of: original)
        if input.errors.isEmpty {
            let draft = operatorDraft("provider.updated", page, target: ("provider", original.id.rawValue), sent: body, request, context)
            do {
                try await services.audited([draft], in: page.database) { try await admin.saveProvider(provider, creating: false, in: page.database) }
                logChange("provider updated", page, original.id.rawValue, context)
                return redirect("\(page.path)/providers/\(original.id.rawValue)?notice=saved", signedIn: page.signedIn)
            } catch StoreError.conflict(let message) {
                input.fail("slug", message)
            }
        }
        return refusedProviderForm(page, original, form, input.errors)
    }

    /// Deletes the provider when `confirm` is exactly its slug.
    func deleteProvider(_ page: TenantPage, _ form: FormParameters, _ provider: UpstreamProvider, _ request: Request, _ context: AppRequestContext)
        async throws -> Response
    {
        guard form["confirm"] == provider.slug else {
            return providerForm(
                page, provider, values: ["delete_error": "Type the slug '\(provider.slug)' exactly to delete this provider."], status: .unprocessableContent)
        }
        let draft = operatorDraft("provider.deleted", page, target: ("provider", provider.id.rawValue), request, context)
        try await services.audited([draft], in: page.database) { try await AdminController(services: services).removeProvider(provider, in: page.database) }
        logChange("provider deleted", page, provider.id.rawValue, context)
        return redirect("\(page.path)/providers?notice=deleted", signedIn: page.signedIn)
    }
}
