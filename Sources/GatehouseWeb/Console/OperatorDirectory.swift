import Foundation
import GatehouseCore
import GatehouseStore

/// The operators' directory (docs/contract.md A10): a hidden system tenant, slug
/// `Tenant.operatorsSlug`, whose users are the instance's operators. They sign in to the admin
/// console at `{public_url}/admin` through this tenant's own login, MFA and enrolment pages
/// (authorization code + PKCE), so sessions, throttles, TOTP enrolment and step-up are the
/// tenant code paths, on every storage backend. The admin API and the console never show it as
/// a tenant; its users are managed by `/admin/v1/operators` and `gatehouse operator …`.
enum OperatorDirectory {
    /// The directory's settings: MFA `required` with TOTP (enrolled at the first sign-in), no
    /// sign-up, no emailed links, browser sessions of at most 12 hours.
    static var settings: TenantSettings {
        var settings = TenantSettings()
        settings.mfaPolicy = .required
        settings.mfaFactors = ["totp"]
        settings.selfSignup = false
        settings.magicLink = false
        settings.sessionTTL = 12 * 3600
        settings.refreshTokenTTL = 12 * 3600
        return settings
    }

    /// The directory, or nil before the first operator was created.
    static func find(_ services: Services) async throws -> ResolvedTenant? {
        try await services.store.find(slug: Tenant.operatorsSlug)
    }

    /// The directory, created on first use (the first `gatehouse operator create`). Not made at
    /// start: the instance's first tenant must stay `default` (`createFirstTenant`).
    static func ensure(_ services: Services) async throws -> ResolvedTenant {
        if let tenant = try await find(services) { return tenant }
        do {
            return try await services.store.createTenant(
                slug: Tenant.operatorsSlug, name: "Gatehouse operators", environment: .live, settings: settings)
        } catch StoreError.conflict {
            // Another request or node created it first.
            guard let tenant = try await find(services) else { throw StoreError.unavailable("the operators' directory was not created") }
            return tenant
        }
    }
}
