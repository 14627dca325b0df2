import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The consent page of the authorization flow (OIDC Core §3.1.2.4).
extension BrowserFlowController {
    // MARK: Consent

    /// The session of the user who is consenting in this interaction.
    func consentingSession(_ interaction: Interaction, _ request: Request, _ context: TenantRequestContext) async throws -> (Session, User) {
        guard let (session, user) = try await currentSession(request, context), user.id == interaction.userID else {
            throw OAuthError.invalidRequest("You are no longer signed in. Go back to the application and try again.")
        }
        return (session, user)
    }

    func showConsent(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (interaction, client) = try await loadInteraction(
            request.queryParameters["interaction"], csrf: nil, requireCSRF: false,
            request, context)
        let (_, user) = try await consentingSession(interaction, request, context)
        var values: [String: Any] = [
            "action": "\(issuerPath(context))\(ProviderMetadata.Path.consent)",
            "interaction_id": interaction.id, "csrf_token": interaction.csrfToken, "client_name": client.name,
            "user_email": user.email,
            "scopes": interaction.request.scope.values.sorted().map { ["name": $0, "description": StandardScope.describe($0)] },
        ]
        // The organization the user is about to act within (docs/contract.md A8).
        if let id = interaction.organization?.organizationID, let organization = try await context.database.organization(id: id) {
            values["organization_name"] = organization.name
        }
        let body = services.pages.render("consent", chrome: chrome("Allow access", context), values: values)
        return Responses.html(body, formActions: formActions(for: interaction))
    }

    func submitConsent(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let form = try await request.formParameters(limit: services.configuration.maxBodyBytes)
        var (interaction, client) = try await loadInteraction(
            form["interaction_id"], csrf: form["csrf_token"], requireCSRF: true,
            request, context)
        let (session, user) = try await consentingSession(interaction, request, context)
        guard form["decision"] == "allow" else {
            return try await advance(.consentDenied, interaction: interaction, client: client, request, context)
        }
        let existing = try await context.database.consent(userID: user.id, clientID: client.clientID)
        let consent = Consent(
            userID: user.id, clientID: client.clientID, scope: interaction.request.scope.union(existing?.scope ?? []),
            grantedAt: services.clock.now)
        try await context.database.saveConsent(consent)
        interaction.consentDone = true
        try await context.database.updateInteraction(interaction)
        let organizations = try await services.organizationOptions(
            of: user.id, for: interaction.request.organizationRequest(client: client), in: context.database)
        return try await advance(
            .consentGiven(session: session, consent: consent, organizations: organizations), interaction: interaction,
            client: client, request, context)
    }
}
