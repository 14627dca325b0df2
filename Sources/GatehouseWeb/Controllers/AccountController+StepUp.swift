import Foundation
import GatehouseCore
import GatehouseStore
import Hummingbird

/// Step-up for the console's sensitive changes: adding, replacing or removing a second factor,
/// new recovery codes, linking or unlinking an upstream provider, changing or removing another
/// member of an organization.
extension AccountController {
    /// A console change that needs a recent sign-in; its raw value travels in the console's flow
    /// cookie through the re-authentication.
    enum StepUpAction: String, CaseIterable {
        case totp
        case totpRemove = "totp-remove"
        case emailFactor = "email"
        case emailFactorRemove = "email-remove"
        case recoveryCodes = "recovery-codes"
        case identities
        case emailChange = "email-change"
        case organizations
        case passkey
        case passkeyRemove = "passkey-remove"

        /// The console path (after `/account/`) that finishes the change, and its button label.
        var finish: (path: String, label: String) {
            switch self {
            case .totp: ("mfa/totp", "Set up the authenticator app")
            case .totpRemove: ("mfa/totp/remove", "Remove the authenticator app")
            case .emailFactor: ("mfa/email", "Turn on codes by email")
            case .emailFactorRemove: ("mfa/email/remove", "Turn off codes by email")
            case .recoveryCodes: ("recovery-codes", "Make new recovery codes")
            case .identities: ("identities", "Linked sign-in methods")
            case .emailChange: ("email/change", "Change your email address")
            case .organizations: ("organizations", "Your organizations")
            case .passkey: ("passkeys/new", "Add a passkey")
            case .passkeyRemove: ("", "Your account")
            }
        }
    }

    /// Whether the session behind the console token authenticated within
    /// `oauth.step_up_max_age_seconds` (its `auth_time`, OIDC Core §2).
    func recentlyAuthenticated(_ claims: AccessTokenClaims, _ context: TenantRequestContext) async throws -> Bool {
        let now = services.clock.now
        guard let id = claims.sid.flatMap(SessionID.init(rawValue:)), let session = try await context.database.session(id: id),
            session.isActive(at: now), session.userID.rawValue == claims.sub
        else { return false }
        return now.timeIntervalSince(session.authTime) <= TimeInterval(services.configuration.stepUpMaxAge)
    }

    /// nil when the session authenticated recently enough; otherwise the redirect that signs the
    /// user in again through the tenant's authorization endpoint with `prompt=login` and
    /// `max_age` (OIDC Core §3.1.2.1). The console comes back to a page that finishes `action`.
    func stepUp(_ claims: AccessTokenClaims, for action: StepUpAction, _ context: TenantRequestContext) async throws -> Response? {
        if try await recentlyAuthenticated(claims, context) { return nil }
        return try await startSignIn(context, client: try await consoleClient(context), stepUp: action)
    }

    /// Where the console's callback goes after a step-up: the page finishing `action`.
    func afterStepUp(_ raw: String?, _ context: TenantRequestContext) -> String {
        guard let action = raw.flatMap(StepUpAction.init(rawValue:)) else { return consolePath(context) }
        if action == .identities { return consolePath(context) + "/identities" }
        // Which passkey was not kept through the sign-in: the user removes it again.
        if action == .passkeyRemove { return consolePath(context) + "?notice=reauthenticated-passkey" }
        // The member change is not kept through the sign-in: the user makes it again.
        if action == .organizations { return consolePath(context) + "/organizations?notice=reauthenticated" }
        // The new address was not kept through the sign-in: the user enters it again.
        if action == .emailChange { return consolePath(context) + "?notice=reauthenticated" }
        return consolePath(context) + "?continue=\(action.rawValue)"
    }

    /// `GET /account?continue=…`: a button that finishes the change the user signed in again for
    /// (a POST with the console's CSRF token, checked as usual).
    func continuePage(_ raw: String, claims: AccessTokenClaims, _ context: TenantRequestContext) -> Response? {
        guard let action = StepUpAction(rawValue: raw), ![.identities, .emailChange, .organizations, .passkeyRemove].contains(action) else {
            return nil
        }
        return Responses.html(
            services.pages.render(
                "account_continue", chrome: chrome("Finish your change", context),
                values: [
                    "heading": "Finish your change", "message": "You signed in again. Finish the change you started.",
                    "action": "\(consolePath(context))/\(action.finish.path)", "button": action.finish.label,
                    "csrf_token": services.csrfToken(binding: claims.jti, purpose: "account"), "back_url": consolePath(context),
                ]))
    }
}
