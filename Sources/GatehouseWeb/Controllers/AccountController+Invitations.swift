import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird

/// The invitee's side of an organization invitation (docs/contract.md A8).
///
/// `GET {issuer}/invitations/{token}` shows the organization and the role with an "Accept"
/// button (a form with a CSRF token bound to the browser cookie; no JavaScript). Accepting keeps
/// the link's token in the `gh_invitation` cookie and signs in through the account console's
/// own authorization request (code + PKCE) with the invited address as `login_hint`: the login
/// page, its throttles and the tenant's MFA policy apply as to any sign-in, and its "Create
/// account" link is offered even when `self_signup` is off, for the invited address only
/// (`AccountFlowsController.invitationForSignup`). The console's callback then accepts the
/// invitation for the signed-in account (`OrganizationInvitationStore.acceptInvitation`: once,
/// only by an account whose verified email is the invited address) and opens the console.
/// An authorization request of another client is not continued after joining: the invitee
/// starts it again from the application, and it then finds the membership.
extension AccountController {
    /// The console flow cookie's third part for a sign-in that accepts an invitation.
    static let invitationMarker = "invitation"
    /// Longest token accepted in a link (the real ones are 43 characters).
    static let maximumTokenLength = 128

    func registerInvitationRoutes(_ group: RouterGroup<TenantRequestContext>) {
        group.get("invitations/:token") { request, context in try await self.showInvitation(request, context) }
        group.post("invitations/:token") { request, context in try await self.startAcceptingInvitation(request, context) }
    }

    /// The pending invitation of a link token, with its organization; nil when the token is
    /// unknown or the invitation was accepted, revoked or has expired.
    func pendingInvitation(token: String?, _ context: TenantRequestContext) async throws -> (OrganizationInvitation, Organization)? {
        guard let token, !token.isEmpty, token.utf8.count <= Self.maximumTokenLength,
            let invitation = try await context.database.pendingInvitation(tokenHash: SecretHash.of(token), at: services.clock.now),
            let organization = try await context.database.organization(id: invitation.organizationID)
        else { return nil }
        return (invitation, organization)
    }

    /// A readable page for a link that cannot be used (never a 500, never an OAuth error page).
    func unusableInvitation(_ context: TenantRequestContext) -> Response {
        AccountFlowsController(services: services).message(
            "Invitation not valid",
            "This invitation link cannot be used: it was already accepted, revoked or has expired. Ask the organization for a new invitation.",
            error: true, status: .notFound, context)
    }

    func invitationPath(_ token: String, _ context: TenantRequestContext) -> String {
        "\(services.basePath(of: context.tenant))/invitations/\(token)"
    }

    /// `GET /invitations/{token}`.
    func showInvitation(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let token = context.parameters.get("token") ?? ""
        guard let (invitation, organization) = try await pendingInvitation(token: token, context) else {
            return unusableInvitation(context)
        }
        let flow = BrowserFlowController(services: services)
        let binding = flow.browserBinding(request, context)
        var values: [String: Any] = [
            "action": invitationPath(token, context), "csrf_token": services.csrfToken(binding: binding.value, purpose: "invitation"),
            "organization_name": organization.name, "role": invitation.role, "email": invitation.email,
            "expires_at": Services.utcMinute(invitation.expiresAt),
        ]
        if let inviterID = invitation.invitedBy, let inviter = try await context.database.user(id: inviterID) {
            values["inviter_name"] = inviter.name ?? inviter.email
        }
        var response = Responses.html(
            services.pages.render("invitation", chrome: flow.chrome("Join \(organization.name)", context), values: values))
        if let cookie = binding.cookie { response.setCookie(cookie) }
        return response
    }

    /// `POST /invitations/{token}`: keeps the token in the browser and signs in. A browser
    /// signed in as another account must sign in again (`prompt=login`), with the invited
    /// address prefilled; one signed in with the invited address goes straight through.
    func startAcceptingInvitation(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let token = context.parameters.get("token") ?? ""
        let form = try await request.formParameters(limit: services.configuration.maxBodyBytes)
        guard services.checkCSRF(form["csrf_token"], binding: TenantCookie.browser.value(in: request), purpose: "invitation") else {
            throw OAuthError.invalidRequest("The form expired. Open the invitation link again.")
        }
        guard let (invitation, _) = try await pendingInvitation(token: token, context) else { return unusableInvitation(context) }
        let session = try await BrowserFlowController(services: services).currentSession(request, context)
        let signedInAsInvitee = session.map { $0.1.emailVerified && EmailAddress.normalize($0.1.email) == invitation.email } ?? false
        var response = try await startSignIn(
            context, client: try await consoleClient(context),
            invitation: (loginHint: invitation.email, prompt: session != nil && !signedInAsInvitee))
        response.setCookie(
            TenantCookie.invitation.make(token, tenant: context.tenant, services: services, maxAge: Int(Interaction.lifetime)))
        return response
    }

    /// The console callback's end of an invitation sign-in: accepts the invitation whose token
    /// the browser carries for the account that signed in, clears the cookie, and opens the
    /// console (or explains why not, leaving the invitation pending).
    func finishInvitation(accessToken: String, _ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let db = context.database
        let tokens = try await services.tokenService(for: db)
        let claims = try await tokens.validateAccessToken(accessToken, store: db)
        var response: Response
        let token = TenantCookie.invitation.value(in: request)
        if let (invitation, organization) = try await pendingInvitation(token: token, context), let token,
            let userID = UserID(rawValue: claims.sub), let user = try await db.user(id: userID)
        {
            let rules = OrganizationInvitations(services: services, database: db, actor: .user(user.id), ip: context.remoteAddress)
            let entries = [
                rules.entry("invitation.accepted", invitation),
                AuditDraft.membership(
                    "membership.created", organization: invitation.organizationID, user: user.id, role: invitation.role, actor: .user(user.id),
                    ip: context.remoteAddress),
            ]
            let acceptance = try await services.audited(entries, in: db, keepIf: { if case .accepted = $0 { true } else { false } }) {
                try await db.acceptInvitation(tokenHash: SecretHash.of(token), user: user, at: services.clock.now)
            }
            switch acceptance {
            case .accepted:
                response = Responses.redirect(to: "\(consolePath(context))?notice=invitation-accepted")
            case .unusable:
                response = unusableInvitation(context)
            case .wrongAccount:
                response = wrongAccount(invitation, organization: organization, user: user, token: token, context)
            }
        } else {
            response = unusableInvitation(context)
        }
        response.setCookie(TenantCookie.invitation.clear(tenant: context.tenant, services: services))
        return response
    }

    /// The refusal when the signed-in account is not the invited address (or has not verified it).
    func wrongAccount(
        _ invitation: OrganizationInvitation, organization: Organization, user: User, token: String, _ context: TenantRequestContext
    ) -> Response {
        let reason =
            EmailAddress.normalize(user.email) == invitation.email
            ? "The address \(user.email) of your account is not verified yet. Verify it in your account, then open the invitation again."
            : "This invitation to \(organization.name) is for \(invitation.email), but you signed in as \(user.email). Open the invitation again and sign in with \(invitation.email)."
        return AccountFlowsController(services: services).message(
            "Invitation for another address", reason + " The invitation stays open.", error: true, status: .forbidden,
            link: (invitationPath(token, context), "Open the invitation again"), context)
    }
}
