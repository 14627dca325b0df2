import Foundation
import GatehouseCore
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging

/// The console's tenant pages: the list with search and counts, creation, the settings form and
/// deletion with a typed confirmation. Input goes through the admin API's own validation
/// (`AdminController.validatedTenantCreation`, `validatedTenantUpdate`), so the console accepts
/// and refuses exactly what the API does; a refused form is shown again with each problem next
/// to its field and nothing changed.
extension ConsoleController {
    static let notices = [
        "created": "The tenant was created.", "saved": "The settings were saved.", "deleted": "The tenant was deleted.",
    ]

    func registerTenantRoutes(_ console: RouterGroup<AppRequestContext>) {
        console.get("tenants") { request, _ in try await self.listTenants(request) }
        console.post("tenants") { request, context in try await self.createTenant(request, context) }
        console.get("tenants/new") { request, _ in try await self.newTenant(request) }
        console.get("tenants/:slug") { request, context in try await self.showTenant(request, context) }
        console.post("tenants/:slug") { request, context in try await self.updateTenant(request, context) }
        console.post("tenants/:slug/delete") { request, context in try await self.deleteTenant(request, context) }
    }

    /// Tenants by slug (the operators' directory never among them), filtered by `q` (in the slug
    /// or the name, case-insensitive), `limit` per page (1…200, default 50) after the slug `after`.
    func listTenants(_ request: Request) async throws -> Response {
        let signedIn: SignedInOperator
        switch try await requireOperator(request) {
        case .signedIn(let found): signedIn = found
        case .signIn(let response): return response
        }
        // A tenant's user sees its tenant only.
        guard signedIn.isOperator else { return redirect(signedIn.homePath, signedIn: signedIn) }
        let query = request.queryParameters
        let q = String((query["q"] ?? "").trimmingCharacters(in: .whitespaces).prefix(200))
        let limit = query["limit"].flatMap(Int.init).map { min(max($0, 1), 200) } ?? 50
        let after = query["after"] ?? ""
        let matching = services.store.tenants()
            .filter { !$0.isOperatorsDirectory && (q.isEmpty || $0.slug.localizedCaseInsensitiveContains(q) || $0.name.localizedCaseInsensitiveContains(q)) }
            .sorted { $0.slug < $1.slug }
            .filter { after.isEmpty || $0.slug > after }
        let shown = Array(matching.prefix(limit))
        var rows: [[String: Any]] = []
        for tenant in shown {
            // Deleted while this page was listed: left out.
            guard let resolved = services.store.resolve(slug: tenant.slug), let storage = try await services.store.liveStorage(for: resolved)
            else { continue }
            let counts = try await storage.counts()
            rows.append([
                "slug": tenant.slug, "name": tenant.name, "environment": tenant.environment.rawValue,
                "issuer": services.addressing.issuer(of: tenant), "url": "\(Self.path)/tenants/\(tenant.slug)",
                "users": counts.users, "clients": counts.clients, "organizations": counts.organizations,
            ])
        }
        var values: [String: Any] = ["tenants": rows, "q": q]
        if matching.count > limit, let last = shown.last {
            var next = [("after", last.slug), ("limit", String(limit))]
            if !q.isEmpty { next.append(("q", q)) }
            values["next_url"] = "\(Self.path)/tenants?\(FormParameters.encode(next))"
        }
        if let notice = query["notice"].flatMap({ Self.notices[$0] }) { values["notice"] = notice }
        return page("admin_tenants", title: "Tenants", values: values, signedIn: signedIn)
    }

    func newTenant(_ request: Request) async throws -> Response {
        switch try await requireOperator(request) {
        case .signedIn(let signedIn):
            guard signedIn.isOperator else { return operatorsOnly(signedIn) }
            return page("admin_tenant_new", title: "New tenant", values: ["env_live": true], signedIn: signedIn)
        case .signIn(let response): return response
        }
    }

    func createTenant(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (signedIn, form) = try await authorizedForm(request)
        guard signedIn.isOperator else { return operatorsOnly(signedIn) }
        let fields = ["slug", "name", "environment"]
        var object: [String: JSONValue] = [:]
        for field in fields { object[field] = .string(form[field] ?? "") }
        var input = JSONInput(object: object)
        let admin = AdminController(services: services)
        var values: [String: Any] = ["slug": form["slug"] ?? "", "name": form["name"] ?? ""]
        values["env_" + (form["environment"] ?? "live")] = true
        if let creation = admin.validatedTenantCreation(&input) {
            do {
                let tenant = try await services.store.createTenant(
                    slug: creation.slug, name: creation.name, environment: creation.environment, settings: creation.settings)
                context.logger.info(
                    "console: tenant created", metadata: ["tenant": "\(tenant.slug)", "operator": "\(signedIn.user.id.rawValue)"])
                await services.auditOperator(
                    "tenant.created", tenant: tenant, operator: signedIn.user, actor: signedIn.actor, directory: signedIn.directory, changes: fields,
                    tenantDatabase: try? await services.store.storage(for: tenant), request, context)
                return redirect("\(Self.path)/tenants/\(tenant.slug)?notice=created", signedIn: signedIn)
            } catch StoreError.conflict(let detail) {
                input.fail("slug", detail)
            }
        }
        for error in input.errors { values[Self.formField(error.field) + "_error"] = error.message }
        return page("admin_tenant_new", title: "New tenant", values: values, signedIn: signedIn, status: .unprocessableContent)
    }

    /// The tenant of `:slug` for `signedIn`, or nil (a 404 page): unknown, the operators'
    /// directory, or another tenant than a tenant's user's own.
    func consoleTenant(_ context: AppRequestContext, for signedIn: SignedInOperator) async throws -> ResolvedTenant? {
        guard let slug = context.parameters.get("slug"), !Tenant.isReservedSlug(slug), let tenant = try await services.store.find(slug: slug),
            signedIn.mayRead(tenant)
        else { return nil }
        return tenant
    }

    /// The 403 page of what only operators do (create or delete tenants), or of a change a
    /// `tenant_viewer` tried.
    func operatorsOnly(_ signedIn: SignedInOperator, _ message: String = "Only the instance's operators create and delete tenants.") -> Response {
        page(
            "message", title: "Not allowed",
            values: ["heading": "Not allowed", "message": message, "link_url": signedIn.homePath, "link_text": "Back"],
            signedIn: signedIn, status: .forbidden)
    }

    /// The 403 page of a change by a `tenant_viewer`.
    func readOnly(_ signedIn: SignedInOperator) -> Response {
        operatorsOnly(signedIn, "Your console role (tenant_viewer) reads this tenant and changes nothing.")
    }

    func notFound(_ signedIn: SignedInOperator) -> Response {
        page(
            "message", title: "Not found",
            values: [
                "heading": "No such tenant", "message": "There is no tenant with this slug.", "link_url": "\(Self.path)/tenants", "link_text": "All tenants",
            ],
            signedIn: signedIn, status: .notFound)
    }

    func showTenant(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let signedIn: SignedInOperator
        switch try await requireOperator(request) {
        case .signedIn(let found): signedIn = found
        case .signIn(let response): return response
        }
        guard let tenant = try await consoleTenant(context, for: signedIn) else { return notFound(signedIn) }
        var values = try await tenantValues(tenant, name: tenant.tenant.name, settings: tenant.tenant.settings, for: signedIn)
        if let notice = request.queryParameters["notice"].flatMap({ Self.notices[$0] }) { values["notice"] = notice }
        return page("admin_tenant", title: tenant.tenant.name, values: values, signedIn: signedIn)
    }

    /// The settings form's checkboxes (absent is false) and its fields of whole seconds.
    static let flagFields = ["self_signup", "require_verified_email", "magic_link", "require_pushed_authorization_requests", "dpop_nonce_required"]
    static let secondsFields = [
        "access_token_ttl", "id_token_ttl", "refresh_token_ttl", "session_ttl", "authorization_code_ttl", "device_code_ttl", "audit_retention_days",
    ]
    /// The settings shown as checkbox groups: their values, in the form's order.
    static let choiceFields = ["signing_algorithms": ["EdDSA", "ES256", "RS256"], "mfa_factors": ["totp", "email", "webauthn"]]

    /// The detail page's values for `tenant` showing `name` and `settings` (stored or as submitted)
    /// and the forms `signedIn` may use.
    func tenantValues(_ tenant: ResolvedTenant, name: String, settings: TenantSettings, for signedIn: SignedInOperator) async throws
        -> [String: Any]
    {
        let counts = try await services.store.storage(for: tenant).counts()
        return [
            "may_change": signedIn.mayChange(tenant), "may_delete": signedIn.isOperator,
            "slug": tenant.slug, "issuer": services.issuer(of: tenant), "environment": tenant.tenant.environment.rawValue,
            "users": counts.users, "clients": counts.clients, "organizations": counts.organizations,
            "name": name, "self_signup": settings.selfSignup, "require_verified_email": settings.requireVerifiedEmail,
            "magic_link": settings.magicLink, "require_pushed_authorization_requests": settings.requirePushedAuthorizationRequests,
            "dpop_nonce_required": settings.dpopNonceRequired,
            "mfa_\(settings.mfaPolicy.rawValue)": true,
            "access_token_ttl": String(settings.accessTokenTTL), "refresh_token_ttl": String(settings.refreshTokenTTL),
            "session_ttl": String(settings.sessionTTL), "id_token_ttl": String(settings.idTokenTTL),
            "authorization_code_ttl": String(settings.authorizationCodeTTL), "device_code_ttl": String(settings.deviceCodeTTL),
            "audit_retention_days": String(settings.auditRetentionDays),
            "signing_algorithms": Self.choices("signing_algorithms", checked: settings.signingAlgorithms.map(\.rawValue)),
            "mfa_factors": Self.choices("mfa_factors", checked: settings.mfaFactors),
            "attestation_\(settings.passkeyAttestation)": true, "passkey_aaguids": settings.passkeyAAGUIDs.joined(separator: "\n"),
            "passkey_attestation_roots": settings.passkeyAttestationRoots.joined(separator: "\n"),
            "linking_\(settings.accountLinking)": true, "registration_\(settings.dynamicClientRegistration)": true, "hostname": settings.hostname ?? "",
            "hostname_editable": signedIn.isOperator,
            "custom_claims": Self.jsonText(settings.customClaims), "allowed_origins": settings.allowedOrigins.joined(separator: "\n"),
            "resources": settings.resources.joined(separator: "\n"),
            "action": "\(Self.path)/tenants/\(tenant.slug)", "delete_action": "\(Self.path)/tenants/\(tenant.slug)/delete",
            "users_url": "\(Self.path)/tenants/\(tenant.slug)/users", "clients_url": "\(Self.path)/tenants/\(tenant.slug)/clients",
            "audit_url": "\(Self.path)/tenants/\(tenant.slug)/audit", "webhooks_url": "\(Self.path)/tenants/\(tenant.slug)/webhooks",
            "keys_url": "\(Self.path)/tenants/\(tenant.slug)/keys", "templates_url": "\(Self.path)/tenants/\(tenant.slug)/templates",
            "organizations_url": "\(Self.path)/tenants/\(tenant.slug)/organizations",
            "providers_url": "\(Self.path)/tenants/\(tenant.slug)/providers",
        ]
    }

    /// The settings form as the admin API's `PATCH` body: checkboxes as booleans, seconds as
    /// numbers when they are integers (otherwise as the text, which the API's check refuses),
    /// allowed origins one per line; a text field left out of the form is left out of the patch.
    static func settingsPatch(_ form: FormParameters, hostname: Bool = false) -> [String: JSONValue] {
        var settings: [String: JSONValue] = ["mfa_policy": .string(form["mfa_policy"] ?? "")]
        // Checkbox groups: what is checked (a group the form did not show is left out).
        for (key, _) in choiceFields where sent(form, "\(key)_shown") {
            settings[key] = .array(form.pairs.filter { $0.name == key }.map { .string($0.value) })
        }
        if let linking = form["account_linking"] { settings["account_linking"] = .string(linking) }
        if let registration = form["dynamic_client_registration"] { settings["dynamic_client_registration"] = .string(registration) }
        // The host name moves the tenant's issuer: operators only (`hostname`); empty removes it.
        // (`form[key]` is nil for an emptied field: `sent` tells it from a field the form lacks.)
        if hostname, sent(form, "hostname") {
            let host = (form["hostname"] ?? "").trimmingCharacters(in: .whitespaces)
            settings["hostname"] = host.isEmpty ? .null : .string(host)
        }
        if sent(form, "custom_claims") {
            let text = (form["custom_claims"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            settings["custom_claims"] = text.isEmpty ? .object([:]) : ((try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .string(text))
        }
        for key in flagFields { settings[key] = .bool(form[key] != nil) }
        // A text field the form did not send keeps its value (a checkbox cannot say so).
        for key in secondsFields {
            guard let raw = form[key]?.trimmingCharacters(in: .whitespaces) else { continue }
            settings[key] = Int(raw).map { .number(Double($0)) } ?? .string(raw)
        }
        for key in ["resources", "passkey_aaguids"] where sent(form, key) {
            let lines = (form[key] ?? "").split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            settings[key] = .array(lines.map { .string($0) })
        }
        if let attestation = form["passkey_attestation"] { settings["passkey_attestation"] = .string(attestation) }
        if sent(form, "passkey_attestation_roots") {
            // PEM blocks one after another; text outside them stays a (refused) item of its own.
            let end = "-----END CERTIFICATE-----"
            let chunks = (form["passkey_attestation_roots"] ?? "").components(separatedBy: end).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            let blocks = chunks.enumerated().compactMap { i, chunk -> String? in
                chunk.isEmpty ? nil : (i < chunks.count - 1 ? chunk + "\n" + end + "\n" : chunk)
            }
            settings["passkey_attestation_roots"] = .array(blocks.map { .string($0) })
        }
        if let text = form["allowed_origins"] {
            let origins = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            settings["allowed_origins"] = .array(origins.map { .string($0) })
        }
        return settings
    }

    /// Saves the settings form (`name`, `mfa_policy`, the `flagFields`, the `secondsFields` and
    /// `allowed_origins`) as the admin API's `PATCH /admin/v1/tenants/{slug}` with the instance's rights.
    func updateTenant(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (signedIn, form) = try await authorizedForm(request)
        guard let tenant = try await consoleTenant(context, for: signedIn) else { return notFound(signedIn) }
        guard signedIn.mayChange(tenant) else { return readOnly(signedIn) }
        let patch = Self.settingsPatch(form, hostname: signedIn.isOperator)
        var input = JSONInput(object: ["name": .string(form["name"] ?? ""), "settings": .object(patch)])
        let database = try await services.store.storage(for: tenant)
        let (name, settings) = try await AdminController(services: services).validatedTenantUpdate(
            &input, tenant: tenant, database: database, principal: .instance)
        if input.errors.isEmpty {
            _ = try await services.store.updateTenant(tenant, name: name, settings: settings)
            context.logger.info("console: tenant updated", metadata: ["tenant": "\(tenant.slug)", "operator": "\(signedIn.user.id.rawValue)"])
            await services.auditOperator(
                "tenant.updated", tenant: tenant, operator: signedIn.user, actor: signedIn.actor,
                directory: signedIn.isOperator ? signedIn.directory : nil, changes: ["name"] + patch.keys.sorted().map { "settings.\($0)" },
                tenantDatabase: database, request, context)
            return redirect("\(Self.path)/tenants/\(tenant.slug)?notice=saved", signedIn: signedIn)
        }
        // Shown as submitted, with each problem next to its field.
        var values = try await tenantValues(tenant, name: form["name"] ?? "", settings: tenant.tenant.settings, for: signedIn)
        for key in ["mfa_none", "mfa_optional", "mfa_required"] { values[key] = nil }
        if let policy = form["mfa_policy"], MFAPolicy(rawValue: policy) != nil { values["mfa_\(policy)"] = true }
        for key in Self.flagFields { values[key] = form[key] != nil }
        for key in Self.secondsFields + ["allowed_origins", "custom_claims", "hostname", "resources", "passkey_aaguids", "passkey_attestation_roots"] {
            values[key] = form[key] ?? ""
        }
        if let attestation = form["passkey_attestation"] {
            values["attestation_none"] = nil
            values["attestation_packed"] = nil
            values["attestation_\(attestation)"] = true
        }
        for (key, _) in Self.choiceFields { values[key] = Self.choices(key, checked: form.pairs.filter { $0.name == key }.map(\.value)) }
        if let linking = form["account_linking"] {
            values["linking_verified_email"] = nil
            values["linking_never"] = nil
            values["linking_\(linking)"] = true
        }
        if let registration = form["dynamic_client_registration"] {
            for mode in ["off", "token", "open"] { values["registration_\(mode)"] = nil }
            values["registration_\(registration)"] = true
        }
        for error in input.errors {
            let field = Self.formField(error.field)
            values[field + "_error"] = ((values[field + "_error"] as? String).map { $0 + " " } ?? "") + error.message
        }
        values["error"] = "Nothing was saved: correct the fields below."
        return page("admin_tenant", title: tenant.tenant.name, values: values, signedIn: signedIn, status: .unprocessableContent)
    }

    /// Deletes the tenant when `confirm` is exactly its slug.
    func deleteTenant(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (signedIn, form) = try await authorizedForm(request)
        guard let tenant = try await consoleTenant(context, for: signedIn) else { return notFound(signedIn) }
        guard signedIn.isOperator else { return operatorsOnly(signedIn) }
        guard form["confirm"] == tenant.slug else {
            var values = try await tenantValues(tenant, name: tenant.tenant.name, settings: tenant.tenant.settings, for: signedIn)
            values["delete_error"] = "Type the slug '\(tenant.slug)' exactly to delete this tenant."
            return page("admin_tenant", title: tenant.tenant.name, values: values, signedIn: signedIn, status: .unprocessableContent)
        }
        try await services.store.deleteTenant(tenant)
        context.logger.info("console: tenant deleted", metadata: ["tenant": "\(tenant.slug)", "operator": "\(signedIn.user.id.rawValue)"])
        await services.auditOperator(
            "tenant.deleted", tenant: tenant, operator: signedIn.user, actor: signedIn.actor, directory: signedIn.directory, tenantDatabase: nil,
            request, context)
        return redirect("\(Self.path)/tenants?notice=deleted", signedIn: signedIn)
    }

    /// The form field of an admin API problem's field: `settings.mfa_policy` → `mfa_policy`,
    /// `settings.allowed_origins[1]` → `allowed_origins`.
    static func formField(_ field: String) -> String {
        let name = field.hasPrefix("settings.") ? String(field.dropFirst("settings.".count)) : field
        return String(name.prefix { $0 != "[" && $0 != "." })
    }

    /// A checkbox group's options (`value`, `checked`) for the setting `key`.
    static func choices(_ key: String, checked: [String]) -> [[String: Any]] {
        (choiceFields[key] ?? []).map { ["value": $0, "checked": checked.contains($0)] }
    }
}
