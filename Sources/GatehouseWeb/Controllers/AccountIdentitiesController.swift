import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseFederation
import GatehouseStore
import HTTPTypes
import Hummingbird

/// The account console's page of linked sign-in methods, `{issuer}/account/identities`: lists the
/// user's upstream identities, removes one (never the last way to sign in: a user without a
/// password keeps their only identity) and links another provider.
///
/// It uses the account console's sign-in (its access token cookie, `AccountController.consoleToken`)
/// and the console's CSRF tokens.
struct AccountIdentitiesController {
    let services: Services

    var console: AccountController { AccountController(services: services) }
    var flow: BrowserFlowController { BrowserFlowController(services: services) }

    func register(on group: RouterGroup<TenantRequestContext>) {
        group.get("account/identities") { request, context in try await self.show(request, context) }
        group.post("account/identities/:identity/remove") { request, context in
            try await self.remove(request, context)
        }
        group.get("account/identities/link/:provider") { request, context in try await self.link(request, context) }
    }

    func path(_ context: TenantRequestContext) -> String { "\(services.basePath(of: context.tenant))/account/identities" }

    /// The signed-in console user, or nil (the console signs in at `/account`).
    func signedIn(_ request: Request, _ context: TenantRequestContext) async throws -> (AccessTokenClaims, User)? {
        let client = try await console.consoleClient(context)
        guard let claims = try await console.consoleToken(request, context, client: client),
            let id = UserID(rawValue: claims.sub), let user = try await context.database.user(id: id), !user.disabled
        else { return nil }
        return (claims, user)
    }

    /// The CSRF token of link URLs: bound to the console token, distinct from form tokens.
    func linkToken(_ claims: AccessTokenClaims) -> String { services.csrfToken(binding: claims.jti, purpose: "account-link") }

    static let notices: [String: (text: String, error: Bool)] = [
        "linked": ("The sign-in method was linked.", false),
        "already-linked": ("This account was already linked.", false),
        "removed": ("The sign-in method was removed.", false),
        "last-method": ("This is your only way to sign in, so it cannot be removed. Link another provider, set a password or add a passkey first.", true),
    ]

    func show(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        guard let (claims, user) = try await signedIn(request, context) else {
            return Responses.redirect(to: "\(services.basePath(of: context.tenant))/account")
        }
        let db = context.database
        let identities = try await db.upstreamIdentities(userID: user.id)
        let providers = try await db.upstreamProviders()
        let byID = Dictionary(uniqueKeysWithValues: providers.map { ($0.id, $0) })
        let formatter = ISO8601DateFormatter()
        let removable = user.passwordHash != nil || identities.count > 1
        let csrf = services.csrfToken(binding: claims.jti, purpose: "account")
        var values: [String: Any] = [
            "identities": identities.map { identity -> [String: Any] in
                var entry: [String: Any] = [
                    "id": identity.id.rawValue, "provider_name": byID[identity.providerID]?.name ?? "Unknown provider",
                    "linked_at": formatter.string(from: identity.createdAt), "removable": removable,
                    "remove_action": "\(path(context))/\(identity.id.rawValue)/remove", "csrf_token": csrf,
                ]
                if let email = identity.email { entry["email"] = email }
                if let used = identity.lastUsedAt { entry["last_used_at"] = formatter.string(from: used) }
                return entry
            },
            "providers": providers.filter(\.enabled).map { provider -> [String: Any] in
                [
                    "name": provider.name, "slug": provider.slug,
                    "url": "\(path(context))/link/\(provider.slug)?csrf_token=\(linkToken(claims))",
                ]
            },
            "has_password": user.passwordHash != nil,
            "account_url": "\(services.basePath(of: context.tenant))/account",
        ]
        if let key = request.queryParameters["notice"], let notice = Self.notices[key] {
            values[notice.error ? "error" : "notice"] = notice.text
        }
        return Responses.html(services.pages.render("account_identities", chrome: flow.chrome("Linked sign-in methods", context), values: values))
    }

    func remove(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let claims = try await console.authorizedForm(request, context)
        if let reauthenticate = try await console.stepUp(claims, for: .identities, context) { return reauthenticate }
        guard let userID = UserID(rawValue: claims.sub), let raw = context.parameters.get("identity"),
            let id = UpstreamIdentityID(rawValue: raw)
        else { throw OAuthError.invalidRequest("unknown sign-in method") }
        do {
            guard try await services.removeSignInMethod(.upstreamIdentity(id), of: userID, database: context.database) else {
                throw OAuthError.invalidRequest("unknown sign-in method")
            }
        } catch is SignInMethodKept {
            return Responses.redirect(to: "\(path(context))?notice=last-method")
        }
        return Responses.redirect(to: "\(path(context))?notice=removed")
    }

    /// `GET …/account/identities/link/{provider}?csrf_token=…`: starts a link intent and redirects
    /// (303) to the provider. A link, not a form, so that no CSP `form-action` has to allow the
    /// provider's origin.
    func link(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        guard let (claims, user) = try await signedIn(request, context) else {
            return Responses.redirect(to: "\(services.basePath(of: context.tenant))/account")
        }
        guard let presented = request.queryParameters["csrf_token"], ConstantTime.equals(presented, linkToken(claims)) else {
            throw OAuthError.invalidRequest("The link expired. Reload the page and try again.")
        }
        if let reauthenticate = try await console.stepUp(claims, for: .identities, context) { return reauthenticate }
        let federation = FederationController(services: services)
        let provider = try await federation.enabledProvider(context)
        let binding = flow.browserBinding(request, context)
        let url: String
        do {
            url = try await federation.begin(
                provider, purpose: .link, interactionID: nil, userID: user.id, binding: binding.value,
                loginHint: nil, notAfter: nil, context)
        } catch let error as FederationError {
            throw OAuthError.temporarilyUnavailable(FederationController.printable("\(provider.name) is not available right now: \(error.message)."))
        }
        var response = Responses.redirect(to: url)
        if let cookie = binding.cookie { response.setCookie(cookie) }
        return response
    }
}
