import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird

/// The organization picker of the authorization flow (docs/contract.md A8): a user with several
/// memberships chooses the organization to act within, or the personal context unless the client
/// requires an organization. The picker serves two kinds of sign-in: one waiting after its first
/// factor (a pending sign-in at stage `organization`; the second factor, when required, comes
/// after), and an active session that needs no new sign-in (the interaction's user).
extension BrowserFlowController {
    /// Who is choosing: the user of the pending sign-in, or of the session the interaction serves.
    enum Chooser {
        case signingIn(PendingSignIn, User)
        case signedIn(Session, User)

        var user: User {
            switch self {
            case .signingIn(_, let user), .signedIn(_, let user): user
            }
        }
    }

    func chooser(_ interaction: Interaction, _ request: Request, _ context: TenantRequestContext) async throws -> Chooser {
        if let pending = try await context.database.pendingSignIn(idHash: SecretHash.of(interaction.id), at: services.clock.now),
            pending.stage == .organization
        {
            guard let user = try await context.database.user(id: pending.userID), !user.disabled else {
                throw OAuthError.invalidRequest("This sign-in expired. Go back to the application and try again.")
            }
            return .signingIn(pending, user)
        }
        let (session, user) = try await consentingSession(interaction, request, context)
        return .signedIn(session, user)
    }

    /// `GET organization?interaction=…`: the picker.
    func showOrganizationPicker(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (interaction, client) = try await loadInteraction(
            request.queryParameters["interaction"], csrf: nil, requireCSRF: false, request, context)
        let user = try await chooser(interaction, request, context).user
        let ask = interaction.request.organizationRequest(client: client)
        let options = try await services.organizationOptions(of: user.id, for: ask, in: context.database)
        let values: [String: Any] = [
            "action": "\(issuerPath(context))\(ProviderMetadata.Path.organization)",
            "interaction_id": interaction.id, "csrf_token": interaction.csrfToken, "client_name": client.name,
            "user_email": user.email,
            "organizations": options.map { ["id": $0.id.rawValue, "slug": $0.slug, "name": $0.name, "role": $0.role] },
            "personal": !ask.required,
        ]
        let body = services.pages.render("organization", chrome: chrome("Choose an organization", context), values: values)
        return Responses.html(body, formActions: formActions(for: interaction))
    }

    /// `POST organization` `interaction_id`, `csrf_token`, `organization` (an organization id, or
    /// `personal`): the choice goes to the sign-in state machine, which checks the membership
    /// (a choice the user may not make ends in `access_denied` at the client).
    func submitOrganization(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let form = try await request.formParameters(limit: services.configuration.maxBodyBytes)
        var (interaction, client) = try await loadInteraction(
            form["interaction_id"], csrf: form["csrf_token"], requireCSRF: true, request, context)
        guard let raw = form["organization"], raw.utf8.count <= 64, let choice = OrganizationChoice(stored: raw) else {
            throw OAuthError.invalidRequest("Choose an organization to continue.")
        }
        let ask = interaction.request.organizationRequest(client: client)
        switch try await chooser(interaction, request, context) {
        case .signingIn(let pending, let user):
            let subject = try await services.signInSubject(
                user, amr: pending.amr, in: context.database, organizations: ask, chosen: choice)
            let consent = try await context.database.consent(userID: user.id, clientID: client.clientID)
            return try await advance(
                .organizationChosen(subject, consent: consent), interaction: interaction, client: client, user: user,
                request, context)
        case .signedIn(let session, let user):
            interaction.organization = choice
            try await context.database.updateInteraction(interaction)
            let consent = try await context.database.consent(userID: user.id, clientID: client.clientID)
            let organizations = try await services.organizationOptions(of: user.id, for: ask, in: context.database)
            return try await advance(
                .requestValidated(session: session, consent: consent, organizations: organizations),
                interaction: interaction, client: client, request, context)
        }
    }
}
