import Foundation

/// What an accepted authorization request needs next. A pure function of the request, the
/// browser's session and the user's standing consent (docs/architecture.md H12); the web layer performs it.
public enum AuthorizationDecision: Sendable, Equatable {
    /// The user must sign in (again): show the login page.
    case login
    /// The signed-in user must approve the scopes: show the consent page.
    case consent
    /// Issue an authorization code for the session.
    case issueCode
    /// Answer the client with this error (redirected, with `state` and `iss`).
    case fail(OAuthError)

    /// Decides the next step of an authorization request.
    ///
    /// - Parameters:
    ///   - request: the validated request.
    ///   - client: its client.
    ///   - session: the browser's active session, if any.
    ///   - loginSatisfied: the user signed in during this very interaction, so `prompt=login`
    ///     and `max_age` are already honoured ("exactly one fresh login").
    ///   - consentSatisfied: the user approved the scopes during this interaction.
    ///   - consent: the user's standing consent to this client, if any.
    ///   - now: the current time.
    ///
    /// OIDC Core §3.1.2.1: `prompt=none` "MUST NOT display any authentication or consent user
    /// interface pages"; errors `login_required` and `consent_required`. `max_age`: "If the elapsed
    /// time is greater than this value, the OP MUST attempt to actively re-authenticate".
    public static func decide(
        request: AuthorizationRequest,
        client: Client,
        session: Session?,
        loginSatisfied: Bool,
        consentSatisfied: Bool = false,
        consent: Consent?,
        now: Date
    ) -> AuthorizationDecision {
        let isNone = request.prompt.contains(.none)
        var needsLogin = session == nil || !(session!.isActive(at: now))
        if !loginSatisfied, let session {
            if request.prompt.contains(.login) { needsLogin = true }
            if let maxAge = request.maxAge, now.timeIntervalSince(session.authTime) > Double(maxAge) || maxAge == 0 {
                needsLogin = true
            }
        }
        // OIDC Core §3.1.2.1 id_token_hint: "If the End-User identified by the ID Token is logged
        // in or is logged in by the request, then the Authorization Server returns a positive
        // response; otherwise, it SHOULD return an error, such as login_required." Another user's
        // session never yields a code: the hinted user must sign in (or `login_required`).
        if let hinted = request.idTokenHintSubject, let session, session.userID.rawValue != hinted {
            if loginSatisfied { return .fail(.loginRequired("the signed-in user is not the user of the id_token_hint")) }
            needsLogin = true
        }
        if needsLogin {
            return isNone ? .fail(.loginRequired("the user is not signed in")) : .login
        }
        return afterLogin(request: request, client: client, consentSatisfied: consentSatisfied, consent: consent)
    }

    /// Decides the step after the user signed in during this interaction (the session is fresh, so
    /// `prompt=login` and `max_age` are met): another user than the `id_token_hint`'s gets
    /// `login_required` (OIDC Core §3.1.2.1), otherwise consent or a code.
    public static func afterSignIn(
        request: AuthorizationRequest, client: Client, userID: UserID, consentSatisfied: Bool, consent: Consent?
    ) -> AuthorizationDecision {
        if let hinted = request.idTokenHintSubject, userID.rawValue != hinted {
            return .fail(.loginRequired("the signed-in user is not the user of the id_token_hint"))
        }
        return afterLogin(request: request, client: client, consentSatisfied: consentSatisfied, consent: consent)
    }

    /// Decides the step after a login that satisfied the request (the user signed in during this
    /// interaction, or an active session met `prompt` and `max_age`): consent or a code.
    ///
    /// OIDC Core §3.1.2.4: consent is asked unless the user already approved these scopes for this
    /// client (or the client is first-party); `prompt=consent` always asks; `prompt=none` answers
    /// `consent_required` instead of showing the page.
    public static func afterLogin(
        request: AuthorizationRequest, client: Client, consentSatisfied: Bool, consent: Consent?
    ) -> AuthorizationDecision {
        let consented = consent.map { request.scope.isSubset(of: $0.scope) } ?? false
        let needsConsent = !consentSatisfied && (request.prompt.contains(.consent) || (!client.firstParty && !consented))
        if needsConsent {
            return request.prompt.contains(.none) ? .fail(.consentRequired("the user has not approved this client")) : .consent
        }
        return .issueCode
    }
}
