import Foundation
import GatehouseCore
import GatehouseStore
import Hummingbird

/// The browser side of the sign-in state machine (`SignInFlow` in GatehouseCore): the controllers
/// turn what happened into an event; this file asks the machine and carries out its actions. No
/// rule about the order of the steps lives here.
extension BrowserFlowController {
    /// A user proved something within an interaction: a first factor (a password or a magic link,
    /// `amr` `pwd` or `email`), an upstream provider's sign-in (`fed`, …), the email address of a
    /// sign-in that waited for it, or a second factor. Every sign-in method goes through this door.
    /// - Parameter amr: what was proven before (for a first factor: the factor itself); never a
    ///   method that was not used (RFC 8176).
    /// - Parameter provider: the upstream provider (`idp_…`) of an upstream sign-in (its
    ///   organizations' SSO makes the user a member, `OrganizationAutoJoin`).
    func proved(
        _ proof: SignInFlow.Proof, _ interaction: Interaction, client: Client, user: User, amr: [String],
        _ request: Request, _ context: TenantRequestContext, cookies: [Cookie] = [], provider: String? = nil
    ) async throws -> Response {
        let subject = try await services.signInSubject(
            user, amr: amr, in: context.database, organizations: interaction.request.organizationRequest(client: client),
            joining: proof.joinsOrganizations, arrivedThrough: provider)
        let consent = try await context.database.consent(userID: user.id, clientID: client.clientID)
        return try await advance(
            SignInFlow.proved(proof, by: subject, consent: consent), interaction: interaction, client: client, user: user,
            request, context, cookies: cookies)
    }

    /// Asks the state machine what `event` leads to and carries out its actions.
    /// - Parameters:
    ///   - interaction: the stored interaction; nil for an authorization request just validated.
    ///   - authorization: the request when there is no interaction yet.
    func advance(
        _ event: SignInFlow.Event, interaction: Interaction?, authorization request: AuthorizationRequest? = nil,
        client: Client, user: User? = nil, _ httpRequest: Request,
        _ context: TenantRequestContext, cookies: [Cookie] = []
    ) async throws -> Response {
        guard let authorizationRequest = interaction?.request ?? request else {
            throw OAuthError.serverError("a browser sign-in without an authorization request")
        }
        let authorization = SignInFlow.Authorization(
            request: authorizationRequest, client: client, loginDone: interaction?.loginDone ?? false,
            consentDone: interaction?.consentDone ?? false, organization: interaction?.organization)
        let transition = SignInFlow.next(
            event, authorization: authorization, policy: SignInFlow.Policy(settings: context.tenant.tenant.settings),
            now: services.clock.now)
        var step = Step(
            interaction: interaction, session: SignInFlow.session(of: event), cookies: cookies,
            organization: interaction?.organization)
        for action in transition.actions {
            if let response = try await carryOut(action, &step, authorization: authorization, user: user, httpRequest, context) {
                return response
            }
        }
        throw OAuthError.serverError("the sign-in flow ended without an answer")
    }

    /// What the actions of one transition share.
    struct Step {
        var interaction: Interaction?
        var session: Session?
        var cookies: [Cookie]
        /// A sign-in not yet written: it is written with the next action, in one transaction when
        /// that action issues the code.
        var signedIn: SessionChange? = nil
        /// The organization context chosen (docs/contract.md A8); the code's grant carries it.
        var organization: OrganizationChoice?
    }

    /// Carries out one action; returns the answer when the action is the last one.
    func carryOut(
        _ action: SignInFlow.Action, _ step: inout Step, authorization: SignInFlow.Authorization, user: User?,
        _ request: Request, _ context: TenantRequestContext
    ) async throws -> Response? {
        let client = authorization.client
        let target = target(of: authorization.request)
        let issuer = services.issuer(of: context.tenant)
        switch action {
        case .awaitStep(let stage, let subject):
            guard let user, user.id == subject.userID else { throw OAuthError.serverError("no user for the sign-in step") }
            try await savePending(try interaction(step), client: client, user: user, amr: subject.amr, stage: stage, context)
            return nil
        case .sendMail(.emailVerification, _):
            guard let user else { throw OAuthError.serverError("no user to send the verification to") }
            try await AccountFlowsController(services: services).sendVerification(to: user, request, context)
            return nil
        case .signIn(let userID, let amr):
            try await startSession(userID, amr: amr, &step, request, context)
            return nil
        case .chooseOrganization(let choice):
            step.organization = choice
            if var interaction = step.interaction {
                interaction.organization = choice
                step.interaction = interaction
                try await context.database.updateInteraction(interaction)
            }
            return nil
        case .issueCode:
            guard let session = step.session else { throw OAuthError.serverError("no session to issue a code for") }
            let issued = makeCode(
                authorization.request, client: client, session: session, organization: step.organization?.organizationID,
                context)
            if let change = step.signedIn, let interaction = step.interaction {
                // The common case — the authorization completes at once — costs one write transaction.
                try await services.audited(signInDrafts(change, step, request, context), in: context.database) {
                    try await context.database.completeSignIn(
                        pendingIDHash: SecretHash.of(interaction.id), session: change, interaction: interaction,
                        issuing: (issued.grant, issued.record))
                }
            } else if let interaction = step.interaction {
                // Consume-once: a second concurrent submission of the same step gets no second code.
                guard try await context.database.consumeInteraction(id: interaction.id, issuing: issued.grant, code: issued.record) else {
                    throw OAuthError.invalidRequest("This sign-in request was already completed. Go back to the application and try again.")
                }
            } else {
                try await context.database.insertGrant(issued.grant, code: issued.record)
            }
            // RFC 9449 §10: bound before the code leaves the server.
            if let jkt = authorization.request.dpopJKT {
                try await context.database.bindDPoPKey(grantID: issued.grant.id, kind: .code, jkt: jkt, at: services.clock.now)
            }
            return respond(target, target.success(code: issued.code, issuer: issuer), context, cookies: step.cookies)
        case .redirectWithError(let error):
            try await writeSignIn(&step, request, context)
            if let interaction = step.interaction { try await context.database.deleteInteraction(id: interaction.id) }
            return respond(target, target.failure(error, issuer: issuer), context, cookies: step.cookies)
        case .showPage(let page):
            try await writeSignIn(&step, request, context)
            return try await show(page, &step, authorization: authorization, request, context)
        case .refuse(.secondFactorUnavailable):
            throw OAuthError.accessDenied("This sign-in method cannot complete two-step verification here. Sign in with your password instead.")
        case .refuse(.organizationNotNamed):
            throw OAuthError.invalidRequest("Choose an organization to continue.")
        }
    }

    func interaction(_ step: Step) throws -> Interaction {
        guard let interaction = step.interaction else { throw OAuthError.serverError("a sign-in step without an interaction") }
        return interaction
    }

    /// Signs the browser in (a new session, or a re-authentication of the same user's session; a
    /// new cookie value either way). Written by the next action.
    func startSession(_ userID: UserID, amr: [String], _ step: inout Step, _ request: Request, _ context: TenantRequestContext) async throws {
        let now = services.clock.now
        let ttl = TimeInterval(context.tenant.tenant.settings.sessionTTL)
        let current = try await currentSession(request, context)
        if let (existing, existingUser) = current, existingUser.id == userID {
            var updated = existing
            updated.authTime = now
            updated.amr = amr
            updated.expiresAt = now.addingTimeInterval(ttl)
            let secret = RandomText.bearerSecret()
            updated.tokenHash = SecretHash.of(secret)
            step.session = updated
            step.signedIn = .reauthenticate(
                id: existing.id, tokenHash: updated.tokenHash, authTime: now, amr: amr, expiresAt: updated.expiresAt)
            step.cookies.append(TenantCookie.session.make(secret, tenant: context.tenant, services: services, maxAge: Int(ttl)))
        } else {
            if let (previous, _) = current { try await context.database.endSession(id: previous.id, at: now) }
            guard let user = try await context.database.user(id: userID) else { throw OAuthError.serverError("the user is gone") }
            let new = services.newSession(
                for: user, amr: amr, userAgent: request.headers[.userAgent], ipAddress: context.remoteAddress,
                tenant: context.tenant)
            step.session = new.session
            step.signedIn = .start(new.session)
            step.cookies.append(TenantCookie.session.make(new.secret, tenant: context.tenant, services: services, maxAge: Int(ttl)))
        }
        var interaction = try interaction(step)
        interaction.userID = userID
        interaction.loginDone = true
        step.interaction = interaction
    }

    /// Writes a sign-in that no code issuance carried.
    func writeSignIn(_ step: inout Step, _ request: Request, _ context: TenantRequestContext) async throws {
        guard let change = step.signedIn, let interaction = step.interaction else { return }
        try await services.audited(signInDrafts(change, step, request, context), in: context.database) {
            try await context.database.completeSignIn(
                pendingIDHash: SecretHash.of(interaction.id), session: change, interaction: interaction, issuing: nil)
        }
        step.signedIn = nil
    }

    /// The audit entries of a browser sign-in, committed with it (docs/contract.md A9).
    func signInDrafts(_ change: SessionChange, _ step: Step, _ request: Request, _ context: TenantRequestContext) -> [AuditDraft] {
        guard let userID = step.session?.userID else { return [] }
        return services.signInDrafts(change, userID: userID, ip: context.remoteAddress, userAgent: request.headers[.userAgent])
    }

    /// A 303 to one of the flow's pages; an authorization request without an interaction starts one
    /// (bound to this browser by a cookie).
    func show(
        _ page: SignInFlow.Page, _ step: inout Step, authorization: SignInFlow.Authorization, _ request: Request,
        _ context: TenantRequestContext
    ) async throws -> Response {
        if step.interaction == nil {
            let binding = browserBinding(request, context)
            if let cookie = binding.cookie { step.cookies.append(cookie) }
            let now = services.clock.now
            let created = Interaction(
                id: RandomText.bearerSecret(), csrfToken: RandomText.bearerSecret(),
                browserBindingHash: SecretHash.of(binding.value), request: authorization.request,
                userID: page == .consent || page == .organization ? step.session?.userID : nil, loginDone: false,
                consentDone: false, organization: step.organization, createdAt: now,
                expiresAt: now.addingTimeInterval(Interaction.lifetime))
            try await context.database.insertInteraction(created)
            step.interaction = created
        }
        let path =
            switch page {
            case .login: ProviderMetadata.Path.login
            case .consent: ProviderMetadata.Path.consent
            case .verifyEmail: "/verify-email"
            case .secondFactor: "/mfa"
            case .enrolment: "/mfa/enrol"
            case .organization: ProviderMetadata.Path.organization
            }
        return redirect(to: path, try interaction(step), context, cookies: step.cookies)
    }
}
