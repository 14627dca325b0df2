import Foundation

/// The sign-in flow as a pure state machine (docs/architecture.md H12).
///
/// A controller turns what happened into an ``Event`` (an authorization request validated, a first
/// factor passed, an email verified, a second factor passed, consent given, an upstream provider
/// returned), loads what the event needs, and asks ``next(_:authorization:policy:now:)``; the
/// machine answers with the ``State`` the sign-in waits in next and the ``Action``s to carry out, in
/// order (show a page, record the step, send mail, sign the browser in, issue a code, redirect with
/// an error). The order of the steps is the machine's alone: email verification before the second
/// factor, the tenant's MFA policy (``MFARequirement``), then the authorization decision of OIDC Core
/// §3.1.2.1 (``AuthorizationDecision``). The machine reads no storage, no clock and no randomness.
///
/// Browser sign-ins carry an ``Authorization`` (the authorization request of the interaction); a
/// headless sign-in carries none and ends in ``Action/signIn(_:amr:)`` (the app gets tokens).
///
/// A sign-in that asks for an organization context (docs/contract.md A8: the scope `organization`,
/// or a client with `organizationRequired`) chooses one after the first factor and email
/// verification, before the second factor, since the organization may require one
/// (``OrganizationStep``); an active session chooses before consent. The events carry the user's
/// memberships (``OrganizationOption``), loaded by the controller when the sign-in asks for one.
public enum SignInFlow {
    /// The tenant's rules that shape a sign-in.
    public struct Policy: Sendable, Equatable {
        /// Users with an unverified email address prove it before the sign-in continues.
        public var requireVerifiedEmail: Bool
        public var mfaPolicy: MFAPolicy
        /// The second factors the tenant allows.
        public var allowedFactors: [MFAFactorKind]

        public init(requireVerifiedEmail: Bool, mfaPolicy: MFAPolicy, allowedFactors: [MFAFactorKind]) {
            self.requireVerifiedEmail = requireVerifiedEmail
            self.mfaPolicy = mfaPolicy
            self.allowedFactors = allowedFactors
        }

        /// The policy of a tenant's settings (unknown factor names are ignored).
        public init(settings: TenantSettings) {
            self.init(
                requireVerifiedEmail: settings.requireVerifiedEmail, mfaPolicy: settings.mfaPolicy,
                allowedFactors: settings.mfaFactors.compactMap(MFAFactorKind.init(rawValue:)))
        }
    }

    /// The user a sign-in is for, as far as the flow's rules need them.
    public struct Subject: Sendable, Equatable {
        public var userID: UserID
        public var emailVerified: Bool
        /// The second factors the user enrolled.
        public var enrolledFactors: [MFAFactorKind]
        /// The methods proven so far (RFC 8176), e.g. `["pwd"]`, `["email"]`, `["fed", "mfa"]`.
        public var amr: [String]
        /// The user's organizations; loaded only when the sign-in asks for an organization context.
        public var organizations: [OrganizationOption]
        /// The organization context chosen so far in this sign-in (the picker's answer, or what a
        /// pending sign-in recorded).
        public var organization: OrganizationChoice?

        public init(
            userID: UserID, emailVerified: Bool, enrolledFactors: [MFAFactorKind], amr: [String],
            organizations: [OrganizationOption] = [], organization: OrganizationChoice? = nil
        ) {
            self.userID = userID
            self.emailVerified = emailVerified
            self.enrolledFactors = enrolledFactors
            self.amr = amr
            self.organizations = organizations
            self.organization = organization
        }
    }

    /// The authorization request a browser sign-in serves, and how far its interaction got.
    public struct Authorization: Sendable, Equatable {
        public var request: AuthorizationRequest
        public var client: Client
        /// The user signed in during this interaction.
        public var loginDone: Bool
        /// The user approved the scopes during this interaction.
        public var consentDone: Bool
        /// The organization context chosen during this interaction.
        public var organization: OrganizationChoice?

        public init(
            request: AuthorizationRequest, client: Client, loginDone: Bool = false, consentDone: Bool = false,
            organization: OrganizationChoice? = nil
        ) {
            self.request = request
            self.client = client
            self.loginDone = loginDone
            self.consentDone = consentDone
            self.organization = organization
        }

        /// What the request asks about organizations.
        public var organizationRequest: OrganizationRequest { request.organizationRequest(client: client) }
    }

    /// What happened.
    public enum Event: Sendable, Equatable {
        /// An authorization request passed validation (RFC 6749 §4.1.1). `session` is the browser's
        /// current session, `consent` its user's standing consent to the client, `organizations`
        /// the session user's memberships (when the request asks for an organization context).
        case requestValidated(session: Session?, consent: Consent?, organizations: [OrganizationOption] = [])
        /// A first factor passed: a password (`pwd`), a magic link or emailed code (`email`).
        /// `consent` is the subject's standing consent to the client (browser sign-ins).
        case firstFactorPassed(Subject, consent: Consent?)
        /// An upstream provider returned a user (`fed`, and `mfa` when the provider is trusted for it).
        case upstreamReturned(Subject, consent: Consent?)
        /// An upstream provider returned an error, or its answer failed validation.
        case upstreamFailed(OAuthError)
        /// The subject proved the email address of a sign-in that waited for it.
        case emailVerified(Subject, consent: Consent?)
        /// The subject proved a second factor; `method` is the RFC 8176 value (`otp`, `email`).
        case secondFactorPassed(Subject, method: String, consent: Consent?)
        /// The subject picked an organization context on the picker page (`Subject.organization`),
        /// before the sign-in completed.
        case organizationChosen(Subject, consent: Consent?)
        /// The user approved the scopes; `session` is the browser's session, `consent` the consent
        /// as now stored, `organizations` the user's memberships (organization requests).
        case consentGiven(session: Session, consent: Consent?, organizations: [OrganizationOption] = [])
        /// The user declined the scopes.
        case consentDenied
    }

    /// What a user proved, for ``proved(_:by:consent:)``.
    public enum Proof: Sendable, Equatable {
        /// A password (`pwd`), a magic link or emailed code (`email`).
        case firstFactor
        /// An upstream provider's sign-in (`fed`, and `mfa` when the provider is trusted for it).
        case upstream
        /// The email address of a sign-in that waited for it.
        case emailAddress
        /// A second factor; `method` is the RFC 8176 value (`otp`, `email`).
        case secondFactor(method: String)
    }

    /// The browser's existing session an event concerns (a code issued without a new sign-in is
    /// issued for it); nil for the events that sign in or end the flow.
    public static func session(of event: Event) -> Session? {
        switch event {
        case .requestValidated(let session, _, _): session
        case .consentGiven(let session, _, _): session
        default: nil
        }
    }

    /// The subject an event carries; nil for the events about the request, consent or an upstream error.
    public static func subject(of event: Event) -> Subject? {
        switch event {
        case .firstFactorPassed(let subject, _), .upstreamReturned(let subject, _), .emailVerified(let subject, _),
            .secondFactorPassed(let subject, _, _), .organizationChosen(let subject, _):
            subject
        default: nil
        }
    }

    /// The event of a proof by `subject` (whose `amr` is what was proven before this proof).
    public static func proved(_ proof: Proof, by subject: Subject, consent: Consent?) -> Event {
        switch proof {
        case .firstFactor: .firstFactorPassed(subject, consent: consent)
        case .upstream: .upstreamReturned(subject, consent: consent)
        case .emailAddress: .emailVerified(subject, consent: consent)
        case .secondFactor(let method): .secondFactorPassed(subject, method: method, consent: consent)
        }
    }

    /// The pages of the flow.
    public enum Page: String, Sendable, Equatable {
        case login, consent, verifyEmail, secondFactor, enrolment
        /// The organization picker (docs/contract.md A8).
        case organization
    }

    /// The mail a step sends.
    public enum Mail: Sendable, Equatable {
        /// A link and a code that prove the subject's email address.
        case emailVerification
    }

    /// Why a sign-in is refused without a redirect to the client.
    public enum Refusal: Sendable, Equatable {
        /// The MFA policy requires a second factor that this first factor cannot be followed by
        /// (e.g. an emailed link where email is the only second factor allowed).
        case secondFactorUnavailable
        /// A headless sign-in for a user with several organizations named none: the app must send
        /// `organization` (no picker without a browser).
        case organizationNotNamed
    }

    /// What the controller carries out, in order.
    public enum Action: Sendable, Equatable {
        /// Record the sign-in as waiting at `stage` for `subject` (a `PendingSignIn`).
        case awaitStep(PendingSignIn.Stage, Subject)
        case sendMail(Mail, to: UserID)
        /// Show one of the flow's pages (for a browser without an interaction yet, start one).
        case showPage(Page)
        /// Sign the browser in as the user with these methods (a new session, or a re-authentication
        /// of the same user's session); a headless sign-in issues its tokens.
        case signIn(UserID, amr: [String])
        /// Record the organization context the sign-in acts within (the interaction, or a headless
        /// sign-in's pending step); the code's grant carries it (`Grant.organizationID`).
        case chooseOrganization(OrganizationChoice)
        /// Issue an authorization code to the client's redirect URI (RFC 6749 §4.1.2).
        case issueCode
        /// Send the error to the client's redirect URI (RFC 6749 §4.1.2.1), ending the interaction.
        case redirectWithError(OAuthError)
        /// Refuse on the page (never redirected).
        case refuse(Refusal)
    }

    /// Where a sign-in waits after a transition.
    public enum State: Sendable, Equatable {
        case awaitingLogin
        case awaitingEmailVerification
        /// The organization picker.
        case awaitingOrganization
        /// An MFA challenge with these factors (recovery codes always work besides).
        case awaitingSecondFactor([MFAFactorKind])
        /// TOTP enrolment required by the policy.
        case awaitingEnrolment([MFAFactorKind])
        case awaitingConsent
        /// Signed in; a browser sign-in's code is issued.
        case completed
        /// Ended with an error (redirected to the client, or refused on the page).
        case failed
    }

    /// A transition: the next state and the actions that reach it.
    public struct Transition: Sendable, Equatable {
        public var state: State
        public var actions: [Action]

        public init(_ state: State, _ actions: [Action]) {
            self.state = state
            self.actions = actions
        }
    }

    /// The transition for `event`.
    /// - Parameters:
    ///   - authorization: the browser interaction's authorization request; nil for a headless sign-in.
    ///   - policy: the tenant's sign-in rules.
    ///   - now: the current time (for `max_age` and session activity).
    ///   - headlessOrganization: what a headless sign-in asks about organizations (a browser
    ///     sign-in's comes from its authorization request).
    public static func next(
        _ event: Event, authorization: Authorization?, policy: Policy, now: Date,
        headlessOrganization: OrganizationRequest = .none
    ) -> Transition {
        let ask = authorization?.organizationRequest ?? headlessOrganization
        switch event {
        case .requestValidated(let session, let consent, let organizations):
            guard let authorization else { return Transition(.awaitingLogin, [.showPage(.login)]) }
            let decision = AuthorizationDecision.decide(
                request: authorization.request, client: authorization.client, session: session,
                loginSatisfied: authorization.loginDone, consentSatisfied: authorization.consentDone, consent: consent,
                now: now)
            guard let session, decision == .consent || decision == .issueCode else { return perform(decision, prefix: []) }
            return sessionOrganizationStep(
                decision, session: session, organizations: organizations, authorization: authorization, ask: ask)
        case .firstFactorPassed(let subject, let consent), .upstreamReturned(let subject, let consent):
            if policy.requireVerifiedEmail, !subject.emailVerified {
                return Transition(
                    .awaitingEmailVerification,
                    [
                        .awaitStep(.verifyEmail, subject), .sendMail(.emailVerification, to: subject.userID),
                        .showPage(.verifyEmail),
                    ])
            }
            return organizationStep(subject, authorization: authorization, ask: ask, policy: policy, consent: consent)
        case .emailVerified(let subject, let consent), .organizationChosen(let subject, let consent):
            return organizationStep(subject, authorization: authorization, ask: ask, policy: policy, consent: consent)
        case .secondFactorPassed(let subject, let method, let consent):
            return signIn(
                subject.userID, amr: MFARequirement.amr(first: subject.amr, second: method),
                authorization: authorization, consent: consent)
        case .upstreamFailed(let error):
            return Transition(.failed, [.redirectWithError(error)])
        case .consentGiven(let session, let consent, let organizations):
            guard var authorization else { return Transition(.failed, [.redirectWithError(.accessDenied("no authorization request"))]) }
            authorization.consentDone = true
            return next(
                .requestValidated(session: session, consent: consent, organizations: organizations),
                authorization: authorization, policy: policy, now: now)
        case .consentDenied:
            return Transition(.failed, [.redirectWithError(.accessDenied("the user denied the request"))])
        }
    }

    /// After the first factor (and email verification): the organization context, when the
    /// sign-in asks for one (``OrganizationStep``), then the second factor.
    static func organizationStep(
        _ subject: Subject, authorization: Authorization?, ask: OrganizationRequest, policy: Policy, consent: Consent?
    ) -> Transition {
        let step = OrganizationStep.decide(
            ask, memberships: subject.organizations, chosen: subject.organization ?? authorization?.organization,
            canAsk: authorization != nil)
        switch step {
        case .notRequested:
            return secondFactorStep(
                subject, authorization: authorization, policy: policy, consent: consent,
                organizationRequiresMFA: authorization?.request.demandsSecondFactor == true)
        case .chosen(let choice, let mfaRequired):
            var chosen = subject
            chosen.organization = choice
            let rest = secondFactorStep(
                chosen, authorization: authorization, policy: policy, consent: consent,
                organizationRequiresMFA: mfaRequired || authorization?.request.demandsSecondFactor == true)
            let record: [Action] = authorization?.organization == choice ? [] : [.chooseOrganization(choice)]
            return Transition(rest.state, record + rest.actions)
        case .ask:
            return Transition(.awaitingOrganization, [.awaitStep(.organization, subject), .showPage(.organization)])
        case .unnamed:
            return Transition(.failed, [.refuse(.organizationNotNamed)])
        case .refused(let error):
            return Transition(.failed, [.redirectWithError(error)])
        }
    }

    /// An active session that needs no new sign-in, for a request that asks for an organization
    /// context: choose it before consent or the code. An organization that requires a second
    /// factor, for a session that proved none, signs the user in again (its second factor is then
    /// required); `prompt=none` cannot show the picker or the login page (OIDC Core §3.1.2.6
    /// `interaction_required`, `login_required`).
    static func sessionOrganizationStep(
        _ decision: AuthorizationDecision, session: Session, organizations: [OrganizationOption],
        authorization: Authorization, ask: OrganizationRequest
    ) -> Transition {
        let isNone = authorization.request.prompt.contains(.none)
        // `acr_values` asking for a second factor, for a session that proved none: sign in again.
        if authorization.request.demandsSecondFactor, !session.amr.contains("mfa") {
            if isNone { return Transition(.failed, [.redirectWithError(.loginRequired("the request asks for two-step verification"))]) }
            return Transition(.awaitingLogin, [.showPage(.login)])
        }
        switch OrganizationStep.decide(ask, memberships: organizations, chosen: authorization.organization, canAsk: true) {
        case .notRequested:
            return perform(decision, prefix: [])
        case .chosen(let choice, let mfaRequired):
            let record: [Action] = authorization.organization == choice ? [] : [.chooseOrganization(choice)]
            if mfaRequired, !session.amr.contains("mfa") {
                if isNone { return Transition(.failed, [.redirectWithError(.loginRequired("the organization requires two-step verification"))]) }
                return Transition(.awaitingLogin, record + [.showPage(.login)])
            }
            return perform(decision, prefix: record)
        case .ask, .unnamed:
            if isNone { return Transition(.failed, [.redirectWithError(OAuthError(.interactionRequired, "the user must choose an organization"))]) }
            return Transition(.awaitingOrganization, [.showPage(.organization)])
        case .refused(let error):
            return Transition(.failed, [.redirectWithError(error)])
        }
    }

    /// After the first factor (and email verification, and the organization step): the tenant's
    /// MFA policy, or `required` for an organization that requires a second factor.
    static func secondFactorStep(
        _ subject: Subject, authorization: Authorization?, policy: Policy, consent: Consent?,
        organizationRequiresMFA: Bool = false
    ) -> Transition {
        switch MFARequirement.decide(
            policy: policy.mfaPolicy, enrolled: subject.enrolledFactors, allowed: policy.allowedFactors,
            firstFactorAMR: subject.amr, organizationRequiresMFA: organizationRequiresMFA)
        {
        case .none:
            return signIn(subject.userID, amr: subject.amr, authorization: authorization, consent: consent)
        case .challenge(let factors):
            return Transition(.awaitingSecondFactor(factors), [.awaitStep(.challenge, subject), .showPage(.secondFactor)])
        case .enrol(let factors):
            return Transition(.awaitingEnrolment(factors), [.awaitStep(.enrol, subject), .showPage(.enrolment)])
        case .unavailable:
            return Transition(.failed, [.refuse(.secondFactorUnavailable)])
        }
    }

    /// Every factor the policy asks for is proven: sign in, then (browser) the authorization decision.
    static func signIn(_ userID: UserID, amr: [String], authorization: Authorization?, consent: Consent?) -> Transition {
        let signIn = Action.signIn(userID, amr: amr)
        guard let authorization else { return Transition(.completed, [signIn]) }
        let decision = AuthorizationDecision.afterSignIn(
            request: authorization.request, client: authorization.client, userID: userID,
            consentSatisfied: authorization.consentDone, consent: consent)
        return perform(decision, prefix: [signIn])
    }

    /// The actions of an authorization decision.
    static func perform(_ decision: AuthorizationDecision, prefix: [Action]) -> Transition {
        switch decision {
        case .login: Transition(.awaitingLogin, prefix + [.showPage(.login)])
        case .consent: Transition(.awaitingConsent, prefix + [.showPage(.consent)])
        case .issueCode: Transition(.completed, prefix + [.issueCode])
        case .fail(let error): Transition(.failed, prefix + [.redirectWithError(error)])
        }
    }
}
