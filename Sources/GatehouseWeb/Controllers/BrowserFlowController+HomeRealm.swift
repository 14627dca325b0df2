import Foundation
import GatehouseCore
import GatehouseFederation
import GatehouseStore
import HTTPTypes
import Hummingbird

/// Home-realm discovery on the login page (docs/contract.md A8): an address in a verified domain
/// of an organization with its own upstream provider (`HomeRealm`) signs in there.
///
/// The page works without JavaScript and keeps one form (`email` and `password`, both required
/// by the "Sign in" button); when some organization has SSO, the form has a second submit button,
/// "Continue with single sign-on" (`sso`, `formnovalidate`: no password needed). Every post
/// decides by the address first: an SSO address is answered with a 303 to the organization's
/// provider (`login_hint` = the address) and its password, if one was typed, is never checked;
/// the SSO button with any other address gets the page again, asking for the password. A
/// `login_hint` with an SSO address skips the page. The page's `form-action` allows the SSO
/// providers' authorization endpoints, since browsers check a form's redirects against it.
extension BrowserFlowController {
    /// Where the login page sends an address.
    enum LoginRoute {
        /// The tenant's own sign-in (the password is checked).
        case password
        /// The organization's provider.
        case upstream(UpstreamProvider)
        /// The organization enforces SSO, and its provider is disabled or gone.
        case unavailable(domain: String)
    }

    /// The route of `rawEmail`: one read of the verified domain (and of its organization's SSO and
    /// provider when there is one). An SSO whose provider is disabled falls back to the password,
    /// unless the SSO is enforced.
    func loginRoute(_ rawEmail: String, _ context: TenantRequestContext) async throws -> LoginRoute {
        let realm = try await HomeRealm.discover(email: rawEmail, in: context.database)
        guard case .organization(let sso, let domain) = realm else { return .password }
        if let provider = try await context.database.upstreamProvider(sso.providerID), provider.enabled,
            provider.id.rawValue == sso.providerID
        {
            return .upstream(provider)
        }
        return sso.enforced ? .unavailable(domain: domain) : .password
    }

    /// Answers a login post or a `login_hint` whose address routes upstream; nil for the password route.
    func homeRealmAnswer(
        _ rawEmail: String, interaction: Interaction, client: Client, _ request: Request, _ context: TenantRequestContext
    ) async throws -> Response? {
        switch try await loginRoute(rawEmail, context) {
        case .password:
            return nil
        case .upstream(let provider):
            return try await FederationController(services: services).redirectUpstream(
                provider, interaction: interaction, client: client, loginHint: EmailAddress.normalize(rawEmail), request,
                context)
        case .unavailable(let domain):
            return try await renderLogin(
                interaction, client: client, email: rawEmail,
                error: "Addresses at \(domain) sign in with their organization’s single sign-on, which is not available right now. Try again later.",
                status: .serviceUnavailable, context)
        }
    }

    /// What the login page needs for home-realm discovery: whether any enabled provider is some
    /// organization's SSO (the page then shows its "Continue with single sign-on" button), and the
    /// origins of those providers' authorization endpoints for the page's `form-action` (a
    /// provider whose discovery document cannot be fetched is left out; its sign-in could not
    /// start anyway). The tenant's provider summary (`settings.oauth_providers`) lists the
    /// candidates, so a tenant without providers reads nothing; each enabled one costs a read of
    /// its SSO organizations (and, when it has some, of the provider).
    func homeRealmSources(_ context: TenantRequestContext) async throws -> (any: Bool, origins: [String]) {
        var any = false
        var origins: [String] = []
        for reference in context.tenant.tenant.settings.oauthProviders where reference.enabled {
            guard !(try await context.database.ssoOrganizations(provider: reference.id)).isEmpty,
                let provider = try await context.database.upstreamProvider(reference.id), provider.enabled
            else { continue }
            any = true
            var endpoint = provider.effectiveAuthorizationURL
            if provider.kind.isOpenIDConnect {
                endpoint =
                    try? await services.federation.metadata(
                        for: provider, cacheKey: services.federationCacheKey(provider, tenant: context.tenant)
                    ).authorizationEndpoint
            }
            if let origin = endpoint.flatMap(UpstreamProvider.origin(of:)), !origins.contains(origin) { origins.append(origin) }
        }
        return (any, origins)
    }

    /// The page a refused local sign-in (password, magic link, sign-up) of an address whose
    /// organization enforces SSO shows, with a link back to the login page; nil when the address
    /// may sign in locally.
    func enforcedSSORefusal(_ rawEmail: String, interaction: Interaction, _ context: TenantRequestContext) async throws -> Response? {
        let realm = try await HomeRealm.discover(email: rawEmail, in: context.database)
        guard realm.refusesLocalSignIn, case .organization(_, let domain) = realm else { return nil }
        let body = services.pages.render(
            "message", chrome: chrome("Use single sign-on", context),
            values: [
                "heading": "Use single sign-on", "message": HomeRealm.refusal(domain: domain), "error": true,
                "link_url": "\(issuerPath(context))\(ProviderMetadata.Path.login)?interaction=\(interaction.id)",
                "link_text": "Back to sign-in",
            ])
        return Responses.html(body, status: .forbidden)
    }
}
