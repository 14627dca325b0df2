import Foundation
import GatehouseCore
import GatehouseCrypto
import Testing

@Suite("Authorization decision: login, consent or code (OIDC Core §3.1.2.1, §3.1.2.3, §3.1.2.4)")
struct AuthorizationDecisionTests {
    static let now = TestClock.start
    static let user = UserID.generate(at: now)

    enum SessionState: Sendable, CustomStringConvertible {
        case none
        /// Active, authenticated `secondsAgo` seconds before now.
        case active(authenticatedSecondsAgo: TimeInterval)
        case expired
        case revoked

        var description: String {
            switch self {
            case .none: "no session"
            case .active(let ago): "session authenticated \(Int(ago)) s ago"
            case .expired: "expired session"
            case .revoked: "revoked session"
            }
        }

        var session: Session? {
            let now = AuthorizationDecisionTests.now
            func make(authTime: Date, expiresAt: Date, revokedAt: Date? = nil) -> Session {
                Session(
                    id: .generate(at: authTime), tokenHash: SecretHash.of("cookie"), userID: AuthorizationDecisionTests.user,
                    authTime: authTime, amr: ["pwd"], createdAt: authTime, expiresAt: expiresAt, revokedAt: revokedAt)
            }
            switch self {
            case .none: return nil
            case .active(let ago): return make(authTime: now - ago, expiresAt: now + 3600)
            case .expired: return make(authTime: now - 7200, expiresAt: now)
            case .revoked: return make(authTime: now - 60, expiresAt: now + 3600, revokedAt: now - 1)
            }
        }
    }

    struct Row: Sendable, CustomTestStringConvertible {
        let testDescription: String
        var prompt: Set<Prompt> = []
        var maxAge: Int?
        var session: SessionState = .active(authenticatedSecondsAgo: 300)
        var loginSatisfied = false
        var consentSatisfied = false
        var firstParty = false
        /// The scopes of the user's standing consent to the client, if any.
        var consented: ScopeSet?
        /// The `sub` of the request's `id_token_hint`: `.signedIn`, `.other` or none.
        var hint: Hint = .none
        let expected: AuthorizationDecision
    }

    enum Hint: Sendable { case none, signedIn, other }

    static let rows: [Row] = [
        Row(testDescription: "without a session the user signs in", session: .none, expected: .login),
        Row(
            testDescription: "without a session, prompt=none fails with login_required (OIDC Core §3.1.2.6)",
            prompt: [.none], session: .none, expected: .fail(.loginRequired(""))),
        Row(testDescription: "an expired session means signing in again", session: .expired, firstParty: true, expected: .login),
        Row(testDescription: "a revoked session means signing in again", session: .revoked, firstParty: true, expected: .login),
        Row(
            testDescription: "an expired session with prompt=none fails with login_required",
            prompt: [.none], session: .expired, firstParty: true, expected: .fail(.loginRequired(""))),
        Row(
            testDescription: "prompt=login forces a fresh login over an active session (OIDC Core §3.1.2.1)",
            prompt: [.login], firstParty: true, expected: .login),
        Row(
            testDescription: "prompt=login is satisfied by the login of this interaction",
            prompt: [.login], loginSatisfied: true, firstParty: true, expected: .issueCode),
        Row(
            testDescription: "max_age exceeded forces a login (OIDC Core §3.1.2.1)",
            maxAge: 60, session: .active(authenticatedSecondsAgo: 300), firstParty: true, expected: .login),
        Row(
            testDescription: "max_age not exceeded keeps the session",
            maxAge: 600, session: .active(authenticatedSecondsAgo: 300), firstParty: true, expected: .issueCode),
        Row(
            testDescription: "an elapsed time equal to max_age is not greater, so the session is kept",
            maxAge: 300, session: .active(authenticatedSecondsAgo: 300), firstParty: true, expected: .issueCode),
        Row(
            testDescription: "max_age=0 behaves like prompt=login (OIDC Core §3.1.2.1)",
            maxAge: 0, session: .active(authenticatedSecondsAgo: 0), firstParty: true, expected: .login),
        Row(
            testDescription: "max_age=0 is satisfied by the login of this interaction",
            maxAge: 0, session: .active(authenticatedSecondsAgo: 0), loginSatisfied: true, firstParty: true,
            expected: .issueCode),
        Row(
            testDescription: "max_age exceeded with prompt=none fails with login_required",
            prompt: [.none], maxAge: 60, firstParty: true, expected: .fail(.loginRequired(""))),
        Row(testDescription: "a third-party client without consent asks for consent", expected: .consent),
        Row(
            testDescription: "a third-party client without consent and prompt=none fails with consent_required (OIDC Core §3.1.2.6)",
            prompt: [.none], expected: .fail(.consentRequired(""))),
        Row(
            testDescription: "a standing consent covering the scopes issues a code",
            consented: ["openid", "profile", "email"], expected: .issueCode),
        Row(
            testDescription: "a standing consent covering the scopes issues a code even with prompt=none",
            prompt: [.none], consented: ["openid", "profile"], expected: .issueCode),
        Row(
            testDescription: "a standing consent to fewer scopes asks for consent again",
            consented: ["openid"], expected: .consent),
        Row(testDescription: "consent given in this interaction issues a code", consentSatisfied: true, expected: .issueCode),
        Row(testDescription: "a first-party client skips consent", firstParty: true, expected: .issueCode),
        Row(
            testDescription: "prompt=consent asks even a first-party client (OIDC Core §3.1.2.1)",
            prompt: [.consent], firstParty: true, expected: .consent),
        Row(
            testDescription: "prompt=consent asks despite a standing consent",
            prompt: [.consent], consented: ["openid", "profile"], expected: .consent),
        Row(
            testDescription: "prompt=consent is satisfied by the consent of this interaction",
            prompt: [.consent], consentSatisfied: true, firstParty: true, expected: .issueCode),
        Row(testDescription: "login comes before consent", prompt: [.login, .consent], expected: .login),
        Row(
            testDescription: "an id_token_hint for the signed-in user keeps the session (OIDC Core §3.1.2.1)",
            firstParty: true, hint: .signedIn, expected: .issueCode),
        Row(
            testDescription: "an id_token_hint for the signed-in user with prompt=none issues a code",
            prompt: [.none], firstParty: true, hint: .signedIn, expected: .issueCode),
        Row(
            testDescription: "an id_token_hint for another user with prompt=none fails with login_required, never a code",
            prompt: [.none], firstParty: true, hint: .other, expected: .fail(.loginRequired(""))),
        Row(
            testDescription: "an id_token_hint for another user shows the login page",
            firstParty: true, hint: .other, expected: .login),
        Row(
            testDescription: "signing in as someone else than the id_token_hint's user ends with login_required",
            loginSatisfied: true, firstParty: true, hint: .other, expected: .fail(.loginRequired(""))),
        Row(
            testDescription: "without a session an id_token_hint shows the login page",
            session: .none, firstParty: true, hint: .other, expected: .login),
    ]

    @Test("the next step follows from the session, prompt, max_age and consent", arguments: rows)
    func decide(_ row: Row) {
        var client = TestClient.web.client
        client.firstParty = row.firstParty
        let request = AuthorizationRequest(
            clientID: client.clientID, redirectURI: "https://rp.example/cb", redirectURIWasSent: true, responseMode: .query,
            scope: ["openid", "profile"], state: nil, nonce: nil, codeChallenge: nil, prompt: row.prompt,
            maxAge: row.maxAge, loginHint: nil)
        var hinted = request
        switch row.hint {
        case .none: break
        case .signedIn: hinted.idTokenHintSubject = Self.user.rawValue
        case .other: hinted.idTokenHintSubject = UserID.generate(at: Self.now).rawValue
        }
        let consent = row.consented.map {
            Consent(userID: Self.user, clientID: client.clientID, scope: $0, grantedAt: Self.now - 86400)
        }
        let decision = AuthorizationDecision.decide(
            request: hinted, client: client, session: row.session.session, loginSatisfied: row.loginSatisfied,
            consentSatisfied: row.consentSatisfied, consent: consent, now: Self.now)
        #expect(decision == row.expected)
    }
}
