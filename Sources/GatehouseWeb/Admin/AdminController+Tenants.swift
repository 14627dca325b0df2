import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Tenants: list, create, show, update (JSON merge patch of the settings) and delete.
extension AdminController {
    // MARK: Tenants

    /// Tenants by slug, a page at a time (`limit`, `after`).
    func listTenants(_ request: Request) async throws -> Response {
        let page = try AdminPageRequest(request)
        let views = services.store.tenants().filter { !$0.isOperatorsDirectory }.map { TenantView($0, issuer: services.addressing.issuer(of: $0)) }
        return Responses.json(page.page("tenants", all: views, cursor: \.slug), noStore: true, sorted: true)
    }

    func createTenant(_ request: Request) async throws -> Response {
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        let creation = validatedTenantCreation(&input)
        try input.check()
        let tenant = try await services.store.createTenant(
            slug: creation!.slug, name: creation!.name, environment: creation!.environment, settings: creation!.settings)
        return created(TenantView(tenant.tenant, addressing: services.addressing))
    }

    /// A new tenant's `slug`, `name`, `environment` and `settings` from a create request
    /// (docs/contract.md A4); nil with every problem collected in `input`. Shared by the admin
    /// API and the admin console's form.
    func validatedTenantCreation(_ input: inout JSONInput) -> (slug: String, name: String, environment: TenantEnvironment, settings: TenantSettings)? {
        input.rejectUnknown(["slug", "name", "environment", "settings"])
        let slug = input.string("slug", required: true, maxLength: 63)
        if let slug, let problem = Self.slugProblem(slug) { input.fail("slug", problem) }
        let name = input.displayName("name", required: true)
        let environment = input.string("environment", required: true).flatMap { raw -> TenantEnvironment? in
            guard let e = TenantEnvironment(rawValue: raw) else { input.fail("environment", "must be live, test or dev"); return nil }
            return e
        }
        var settings = TenantSettings()
        if var nested = input.objectValue("settings") {
            settings = applySettings(&nested, to: settings, slug: slug ?? "")
            input.errors += nested.errors.map { .init(field: "settings.\($0.field)", message: $0.message) }
        }
        guard input.errors.isEmpty, let slug, let name, let environment else { return nil }
        return (slug, name, environment, settings)
    }

    /// Why `slug` cannot name a new tenant (not a valid slug, or reserved for the instance), or nil.
    static func slugProblem(_ slug: String) -> String? {
        if !Tenant.isValidSlug(slug) { return "must be 2–63 characters of a-z, 0-9 and '-'" }
        if Tenant.isReservedSlug(slug) { return "'\(slug)' is reserved for the instance" }
        return nil
    }

    func showTenant(_ context: TenantContext) async throws -> Response {
        Responses.json(TenantView(context.tenant.tenant, addressing: services.addressing), noStore: true, sorted: true)
    }

    /// The settings an admin may write, each with what `null` does to it (JSON merge patch): the
    /// setting goes back to its default; for `hostname` that means no own host.
    static let settingResets: [String: @Sendable (inout TenantSettings) -> Void] = {
        let defaults = TenantSettings()
        return [
            "mfa_policy": { $0.mfaPolicy = defaults.mfaPolicy },
            "access_token_ttl": { $0.accessTokenTTL = defaults.accessTokenTTL },
            "id_token_ttl": { $0.idTokenTTL = defaults.idTokenTTL },
            "refresh_token_ttl": { $0.refreshTokenTTL = defaults.refreshTokenTTL },
            "session_ttl": { $0.sessionTTL = defaults.sessionTTL },
            "authorization_code_ttl": { $0.authorizationCodeTTL = defaults.authorizationCodeTTL },
            "device_code_ttl": { $0.deviceCodeTTL = defaults.deviceCodeTTL },
            "audit_retention_days": { $0.auditRetentionDays = defaults.auditRetentionDays },
            "allowed_origins": { $0.allowedOrigins = defaults.allowedOrigins },
            "signing_algorithms": { $0.signingAlgorithms = defaults.signingAlgorithms },
            "webhooks": { $0.webhooks = defaults.webhooks },
            "custom_claims": { $0.customClaims = defaults.customClaims },
            "self_signup": { $0.selfSignup = defaults.selfSignup },
            "require_verified_email": { $0.requireVerifiedEmail = defaults.requireVerifiedEmail },
            "magic_link": { $0.magicLink = defaults.magicLink },
            "require_pushed_authorization_requests": { $0.requirePushedAuthorizationRequests = defaults.requirePushedAuthorizationRequests },
            "dpop_nonce_required": { $0.dpopNonceRequired = defaults.dpopNonceRequired },
            "mfa_factors": { $0.mfaFactors = defaults.mfaFactors },
            "passkey_attestation": { $0.passkeyAttestation = defaults.passkeyAttestation },
            "passkey_aaguids": { $0.passkeyAAGUIDs = defaults.passkeyAAGUIDs },
            "passkey_attestation_roots": { $0.passkeyAttestationRoots = defaults.passkeyAttestationRoots },
            "account_linking": { $0.accountLinking = defaults.accountLinking },
            "dynamic_client_registration": { $0.dynamicClientRegistration = defaults.dynamicClientRegistration },
            "resources": { $0.resources = defaults.resources },
            "hostname": { $0.hostname = defaults.hostname },
        ]
    }()

    /// Applies settings fields (docs/contract.md A4 PATCH) and validates the result for the
    /// tenant `slug`.
    func applySettings(_ input: inout JSONInput, to current: TenantSettings, slug: String) -> TenantSettings {
        var settings = current
        input.rejectUnknown(Set(Self.settingResets.keys))
        // JSON merge patch (RFC 7396 §2): `null` removes the field; the typed readers below never see it.
        for key in input.removeNulls() { Self.settingResets[key]?(&settings) }
        if let raw = input.string("mfa_policy") {
            if let policy = MFAPolicy(rawValue: raw) { settings.mfaPolicy = policy } else { input.fail("mfa_policy", "must be none, optional or required") }
        }
        if let v = input.int("access_token_ttl") { settings.accessTokenTTL = v }
        if let v = input.int("id_token_ttl") { settings.idTokenTTL = v }
        if let v = input.int("refresh_token_ttl") { settings.refreshTokenTTL = v }
        if let v = input.int("session_ttl") { settings.sessionTTL = v }
        if let v = input.int("authorization_code_ttl") { settings.authorizationCodeTTL = v }
        if let v = input.int("device_code_ttl") { settings.deviceCodeTTL = v }
        if let v = input.int("audit_retention_days") { settings.auditRetentionDays = v }
        if let v = input.strings("allowed_origins") { settings.allowedOrigins = v.map(TenantSettings.normalizeOrigin) }
        if let raw = input.strings("signing_algorithms") {
            var algorithms: [JWSAlgorithm] = []
            for value in raw {
                if let a = JWSAlgorithm(rawValue: value) {
                    algorithms.append(a)
                } else {
                    input.fail("signing_algorithms", "'\(value)' is not one of EdDSA, ES256, RS256")
                }
            }
            settings.signingAlgorithms = algorithms
        }
        if let v = input.bool("self_signup") { settings.selfSignup = v }
        if let v = input.bool("require_verified_email") { settings.requireVerifiedEmail = v }
        if let v = input.bool("magic_link") { settings.magicLink = v }
        if let v = input.bool("require_pushed_authorization_requests") { settings.requirePushedAuthorizationRequests = v }
        if let v = input.bool("dpop_nonce_required") { settings.dpopNonceRequired = v }
        if let v = input.strings("mfa_factors") { settings.mfaFactors = v }
        if let v = input.string("passkey_attestation") { settings.passkeyAttestation = v }
        if let v = input.strings("passkey_aaguids") { settings.passkeyAAGUIDs = v }
        if let v = input.strings("passkey_attestation_roots") { settings.passkeyAttestationRoots = v }
        if let v = input.string("account_linking") { settings.accountLinking = v }
        if let v = input.string("dynamic_client_registration") { settings.dynamicClientRegistration = v }
        if let v = input.strings("resources") { settings.resources = v }
        // Webhook endpoints are resources of their own (docs/contract.md A9); a non-empty value here
        // would be accepted and ignored, so it is refused with a pointer to them.
        if let v = input.decode([TenantWebhookSetting].self, "webhooks", expected: "an array of {url, events, enabled}") {
            if v.isEmpty {
                settings.webhooks = v
            } else {
                input.fail("webhooks", "webhook endpoints are managed under /admin/v1/tenants/{slug}/webhooks; only [] is accepted here")
            }
        }
        if let raw = input.object["custom_claims"] {
            // Names, templates and the size budget are checked by `settings.validate()` below.
            let (claims, problems) = CustomClaims.parse(raw, field: "custom_claims")
            for problem in problems { input.fail(problem.field, problem.message) }
            if problems.isEmpty { settings.customClaims = claims }
        }
        if let v = input.string("hostname", maxLength: 253) {
            settings.hostname = v.lowercased()
            if let reason = services.addressing.refusal(ofHostname: v.lowercased()) { input.fail("hostname", "'\(v)' \(reason)") }
        }
        for problem in settings.validate() { input.fail(problem.field, problem.message) }
        if settings.mfaFactors.contains(MFAFactorKind.webauthn.rawValue) {
            let host = services.addressing.issuerHost(slug: slug, settings: settings)
            if !PasskeyRelyingParty.isValidID(host) {
                // Passkeys would be offered nowhere: an IP address is no RP ID (W3C WebAuthn §5.1.2).
                input.fail("mfa_factors", "webauthn needs the tenant's issuer on a domain name; its host \(host) is an IP address")
            }
        }
        return settings
    }

    func updateTenant(_ request: Request, _ context: TenantContext) async throws -> Response {
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        let (name, settings) = try await validatedTenantUpdate(
            &input, tenant: context.tenant, database: context.database, principal: context.adminPrincipal)
        try input.check()
        let updated = try await services.store.updateTenant(context.tenant, name: name, settings: settings)
        return Responses.json(TenantView(updated.tenant, addressing: services.addressing), noStore: true, sorted: true)
    }

    /// A tenant's new `name` and `settings` from an update request (a JSON merge patch of the
    /// settings), with every problem collected in `input`; the tenant's clients are checked
    /// against removed signing algorithms and the custom claims budget. Shared by the admin API
    /// and the admin console's settings form.
    /// - Throws: `ProblemDetails` 403 when a tenant-scoped caller changes `settings.hostname`.
    func validatedTenantUpdate(
        _ input: inout JSONInput, tenant: ResolvedTenant, database: any TenantHandle, principal: Principal?
    ) async throws -> (name: String, settings: TenantSettings) {
        input.rejectUnknown(["name", "settings"])
        var name = tenant.tenant.name
        if let v = input.displayName("name") { name = v }
        var settings = tenant.tenant.settings
        if var nested = input.objectValue("settings") {
            settings = applySettings(&nested, to: settings, slug: tenant.tenant.slug)
            input.errors += nested.errors.map { .init(field: "settings.\($0.field)", message: $0.message) }
        }
        if case .tenant? = principal, settings.hostname != tenant.tenant.settings.hostname {
            // The issuer follows the host: a new host would end every token of the tenant, the
            // tenant-scoped admin token making this request included, and needs DNS and a
            // certificate only the operator can provide.
            throw ProblemDetails.forbidden(
                "settings.hostname is set by the instance administrator: the tenant's issuer changes with it, which ends every token issued so far, this admin token included"
            )
        }
        let removed = Set(tenant.tenant.settings.signingAlgorithms).subtracting(settings.signingAlgorithms)
        let claimsChanged = settings.customClaims != tenant.tenant.settings.customClaims
        if !removed.isEmpty || claimsChanged {
            let clients = try await database.listClients()
            for client in clients where removed.contains(client.idTokenSigningAlgorithm) || removed.contains(client.accessTokenSigningAlgorithm) {
                input.fail("settings.signing_algorithms", "client \(client.clientID) still signs with an algorithm being removed")
            }
            // docs/contract.md A9: every client's effective claims must stay within the budget.
            for client in clients where claimsChanged && !client.customClaims.isEmpty {
                let effective = CustomClaims.effective(tenant: settings.customClaims, client: client.customClaims)
                if let problem = CustomClaims.budgetProblem(effective, field: "settings.custom_claims") {
                    input.fail(problem.field, "with the custom claims of client \(client.clientID): \(problem.message)")
                }
            }
        }
        return (name, settings)
    }

    func deleteTenant(_ context: TenantContext) async throws -> Response {
        try await services.store.deleteTenant(context.tenant)
        return Response(status: .noContent)
    }
}
