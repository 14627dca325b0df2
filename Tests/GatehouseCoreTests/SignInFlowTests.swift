import Foundation
import GatehouseCore
import GatehouseCrypto
import Testing

/// Every path of the sign-in state machine, as a table: MFA policy × enrolled factors × first
/// factor (password, magic link, upstream provider), required email verification, prompt and
/// max_age, consent, and headless sign-ins.
@Suite("Sign-in flow: the state machine of a sign-in (OIDC Core §3.1.2.1, RFC 8176)")
struct SignInFlowTests {
    static let now = TestClock.start
    static let user = UserID.generate(at: now)

    /// How the first factor was proven.
    enum FirstFactor: Sendable {
        case password, magicLink, upstream, upstreamWithMFA

        var amr: [String] {
            switch self {
            case .password: ["pwd"]
            case .magicLink: ["email"]
            case .upstream: ["fed"]
            case .upstreamWithMFA: ["fed", "mfa"]
            }
        }
    }

    struct Row: Sendable, CustomTestStringConvertible {
        let testDescription: String
        var firstFactor: FirstFactor = .password
        var emailVerified = true
        var requireVerifiedEmail = false
        var mfaPolicy: MFAPolicy = .none
        var allowed: [MFAFactorKind] = [.totp, .email]
        var enrolled: [MFAFactorKind] = []
        /// No authorization request: a headless sign-in.
        var headless = false
        var firstParty = true
        var prompt: Set<Prompt> = []
        let expected: SignInFlow.State
        /// The actions, with `S` standing for the subject and `U` for the user id.
        let actions: [Expected]
    }

    /// Actions written without the subject, which every row shares.
    enum Expected: Sendable, Equatable {
        case awaitStep(PendingSignIn.Stage)
        case sendVerification
        case show(SignInFlow.Page)
        case signIn([String])
        case issueCode
        case redirect(OAuthError.Code)
        case refuse(SignInFlow.Refusal)
    }

    static let firstFactorRows: [Row] = [
        Row(testDescription: "policy none: a password signs in and issues a code", expected: .completed, actions: [.signIn(["pwd"]), .issueCode]),
        Row(
            testDescription: "policy none ignores enrolled factors", enrolled: [.totp], expected: .completed,
            actions: [.signIn(["pwd"]), .issueCode]),
        Row(
            testDescription: "policy optional without a factor signs in", mfaPolicy: .optional, expected: .completed,
            actions: [.signIn(["pwd"]), .issueCode]),
        Row(
            testDescription: "policy optional with TOTP asks for it", mfaPolicy: .optional, enrolled: [.totp],
            expected: .awaitingSecondFactor([.totp]), actions: [.awaitStep(.challenge), .show(.secondFactor)]),
        Row(
            testDescription: "policy optional with a factor the tenant no longer allows signs in", mfaPolicy: .optional,
            allowed: [.totp], enrolled: [.email], expected: .completed, actions: [.signIn(["pwd"]), .issueCode]),
        Row(
            testDescription: "policy required without a factor enrols TOTP", mfaPolicy: .required,
            expected: .awaitingEnrolment([.totp]), actions: [.awaitStep(.enrol), .show(.enrolment)]),
        Row(
            testDescription: "policy required with TOTP and email offers both", mfaPolicy: .required, enrolled: [.totp, .email],
            expected: .awaitingSecondFactor([.totp, .email]), actions: [.awaitStep(.challenge), .show(.secondFactor)]),
        Row(
            testDescription: "policy required with only email allowed and none enrolled cannot complete",
            mfaPolicy: .required, allowed: [.email], expected: .failed, actions: [.refuse(.secondFactorUnavailable)]),
        Row(
            testDescription: "a magic link is never followed by an emailed code (RFC 8176 email twice)", firstFactor: .magicLink,
            mfaPolicy: .required, allowed: [.email], enrolled: [.email], expected: .failed,
            actions: [.refuse(.secondFactorUnavailable)]),
        Row(
            testDescription: "a magic link with TOTP enrolled asks for TOTP only", firstFactor: .magicLink, mfaPolicy: .required,
            enrolled: [.totp, .email], expected: .awaitingSecondFactor([.totp]),
            actions: [.awaitStep(.challenge), .show(.secondFactor)]),
        Row(
            testDescription: "a magic link under policy none signs in with amr email", firstFactor: .magicLink,
            expected: .completed, actions: [.signIn(["email"]), .issueCode]),
        Row(
            testDescription: "an upstream provider without mfa is challenged", firstFactor: .upstream, mfaPolicy: .required,
            enrolled: [.totp], expected: .awaitingSecondFactor([.totp]), actions: [.awaitStep(.challenge), .show(.secondFactor)]),
        Row(
            testDescription: "an upstream provider trusted for mfa satisfies policy required", firstFactor: .upstreamWithMFA,
            mfaPolicy: .required, expected: .completed, actions: [.signIn(["fed", "mfa"]), .issueCode]),
        Row(
            testDescription: "an unverified email is proven first when the tenant requires it", emailVerified: false,
            requireVerifiedEmail: true, mfaPolicy: .required, enrolled: [.totp], expected: .awaitingEmailVerification,
            actions: [.awaitStep(.verifyEmail), .sendVerification, .show(.verifyEmail)]),
        Row(
            testDescription: "an unverified email is no obstacle when the tenant does not require it", emailVerified: false,
            expected: .completed, actions: [.signIn(["pwd"]), .issueCode]),
        Row(
            testDescription: "an upstream user with an unverified email verifies it too", firstFactor: .upstreamWithMFA,
            emailVerified: false, requireVerifiedEmail: true, expected: .awaitingEmailVerification,
            actions: [.awaitStep(.verifyEmail), .sendVerification, .show(.verifyEmail)]),
        Row(
            testDescription: "a third-party client without consent asks for consent after the sign-in", firstParty: false,
            expected: .awaitingConsent, actions: [.signIn(["pwd"]), .show(.consent)]),
        Row(
            testDescription: "prompt=consent asks a first-party client after the sign-in", prompt: [.consent],
            expected: .awaitingConsent, actions: [.signIn(["pwd"]), .show(.consent)]),
        Row(
            testDescription: "prompt=login is satisfied by this sign-in", prompt: [.login], expected: .completed,
            actions: [.signIn(["pwd"]), .issueCode]),
        Row(
            testDescription: "a headless sign-in ends in the sign-in itself (tokens)", headless: true, firstParty: false,
            expected: .completed, actions: [.signIn(["pwd"])]),
        Row(
            testDescription: "a headless sign-in is challenged like a browser one", mfaPolicy: .optional, enrolled: [.totp],
            headless: true, expected: .awaitingSecondFactor([.totp]), actions: [.awaitStep(.challenge), .show(.secondFactor)]),
    ]

    static func authorization(firstParty: Bool, prompt: Set<Prompt> = [], maxAge: Int? = nil, hint: UserID? = nil)
        -> SignInFlow.Authorization
    {
        var client = TestClient.web.client
        client.firstParty = firstParty
        var request = AuthorizationRequest(
            clientID: client.clientID, redirectURI: "https://rp.example/cb", redirectURIWasSent: true, responseMode: .query,
            scope: ["openid", "profile"], state: nil, nonce: nil, codeChallenge: nil, prompt: prompt, maxAge: maxAge,
            loginHint: nil)
        request.idTokenHintSubject = hint?.rawValue
        return SignInFlow.Authorization(request: request, client: client)
    }

    static func subject(_ row: Row) -> SignInFlow.Subject {
        SignInFlow.Subject(userID: user, emailVerified: row.emailVerified, enrolledFactors: row.enrolled, amr: row.firstFactor.amr)
    }

    static func expand(_ expected: [Expected], subject: SignInFlow.Subject) -> [SignInFlow.Action] {
        expected.map {
            switch $0 {
            case .awaitStep(let stage): .awaitStep(stage, subject)
            case .sendVerification: .sendMail(.emailVerification, to: subject.userID)
            case .show(let page): .showPage(page)
            case .signIn(let amr): .signIn(subject.userID, amr: amr)
            case .issueCode: .issueCode
            case .redirect(let code): .redirectWithError(OAuthError(code, ""))
            case .refuse(let refusal): .refuse(refusal)
            }
        }
    }

    static func policy(_ row: Row) -> SignInFlow.Policy {
        SignInFlow.Policy(requireVerifiedEmail: row.requireVerifiedEmail, mfaPolicy: row.mfaPolicy, allowedFactors: row.allowed)
    }

    @Test("after the first factor", arguments: firstFactorRows)
    func firstFactor(_ row: Row) {
        let subject = Self.subject(row)
        let authorization = row.headless ? nil : Self.authorization(firstParty: row.firstParty, prompt: row.prompt)
        let event: SignInFlow.Event =
            switch row.firstFactor {
            case .password, .magicLink: .firstFactorPassed(subject, consent: nil)
            case .upstream, .upstreamWithMFA: .upstreamReturned(subject, consent: nil)
            }
        let transition = SignInFlow.next(event, authorization: authorization, policy: Self.policy(row), now: Self.now)
        #expect(transition == SignInFlow.Transition(row.expected, Self.expand(row.actions, subject: subject)))
    }

    @Test("a verified email continues with the MFA policy, as a first factor would without verification")
    func emailVerifiedContinues() {
        var row = Row(
            testDescription: "", emailVerified: false, requireVerifiedEmail: true, mfaPolicy: .required, enrolled: [.totp],
            expected: .awaitingSecondFactor([.totp]), actions: [.awaitStep(.challenge), .show(.secondFactor)])
        let subject = Self.subject(row)
        let challenged = SignInFlow.next(
            .emailVerified(subject, consent: nil), authorization: Self.authorization(firstParty: true),
            policy: Self.policy(row), now: Self.now)
        #expect(challenged == SignInFlow.Transition(row.expected, Self.expand(row.actions, subject: subject)))
        row.mfaPolicy = .none
        let signedIn = SignInFlow.next(
            .emailVerified(subject, consent: nil), authorization: Self.authorization(firstParty: true),
            policy: Self.policy(row), now: Self.now)
        #expect(signedIn == SignInFlow.Transition(.completed, [.signIn(Self.user, amr: ["pwd"]), .issueCode]))
    }

    struct SecondFactorRow: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let first: [String]
        let method: String
        let amr: [String]
    }

    static let secondFactorRows: [SecondFactorRow] = [
        SecondFactorRow(testDescription: "password then TOTP", first: ["pwd"], method: "otp", amr: ["pwd", "otp", "mfa"]),
        SecondFactorRow(testDescription: "password then emailed code", first: ["pwd"], method: "email", amr: ["pwd", "email", "mfa"]),
        SecondFactorRow(testDescription: "magic link then TOTP", first: ["email"], method: "otp", amr: ["email", "otp", "mfa"]),
        SecondFactorRow(testDescription: "upstream then TOTP", first: ["fed"], method: "otp", amr: ["fed", "otp", "mfa"]),
    ]

    @Test("a second factor signs in with both methods and mfa (RFC 8176)", arguments: secondFactorRows)
    func secondFactor(_ row: SecondFactorRow) {
        let subject = SignInFlow.Subject(userID: Self.user, emailVerified: true, enrolledFactors: [.totp, .email], amr: row.first)
        let policy = SignInFlow.Policy(requireVerifiedEmail: false, mfaPolicy: .required, allowedFactors: [.totp, .email])
        let browser = SignInFlow.next(
            .secondFactorPassed(subject, method: row.method, consent: nil), authorization: Self.authorization(firstParty: true),
            policy: policy, now: Self.now)
        #expect(browser == SignInFlow.Transition(.completed, [.signIn(Self.user, amr: row.amr), .issueCode]))
        let headless = SignInFlow.next(
            .secondFactorPassed(subject, method: row.method, consent: nil), authorization: nil, policy: policy, now: Self.now)
        #expect(headless == SignInFlow.Transition(.completed, [.signIn(Self.user, amr: row.amr)]))
    }

    struct RequestRow: Sendable, CustomTestStringConvertible {
        let testDescription: String
        /// Seconds since the session's authentication; nil without a session.
        var authenticatedSecondsAgo: TimeInterval? = 300
        var prompt: Set<Prompt> = []
        var maxAge: Int?
        var firstParty = true
        var consented = false
        let expected: SignInFlow.Transition
    }

    static let requestRows: [RequestRow] = [
        RequestRow(
            testDescription: "without a session the login page is shown", authenticatedSecondsAgo: nil,
            expected: .init(.awaitingLogin, [.showPage(.login)])),
        RequestRow(
            testDescription: "prompt=none without a session redirects login_required", authenticatedSecondsAgo: nil,
            prompt: [.none], expected: .init(.failed, [.redirectWithError(.loginRequired(""))])),
        RequestRow(testDescription: "an active session issues a code", expected: .init(.completed, [.issueCode])),
        RequestRow(
            testDescription: "max_age exceeded shows the login page", maxAge: 60, expected: .init(.awaitingLogin, [.showPage(.login)])),
        RequestRow(
            testDescription: "prompt=login shows the login page", prompt: [.login], expected: .init(.awaitingLogin, [.showPage(.login)])),
        RequestRow(
            testDescription: "a third-party client without consent shows the consent page", firstParty: false,
            expected: .init(.awaitingConsent, [.showPage(.consent)])),
        RequestRow(
            testDescription: "a third-party client with standing consent issues a code", firstParty: false, consented: true,
            expected: .init(.completed, [.issueCode])),
        RequestRow(
            testDescription: "prompt=none without consent redirects consent_required", prompt: [.none], firstParty: false,
            expected: .init(.failed, [.redirectWithError(.consentRequired(""))])),
    ]

    @Test("an authorization request validated", arguments: requestRows)
    func requestValidated(_ row: RequestRow) {
        let authorization = Self.authorization(firstParty: row.firstParty, prompt: row.prompt, maxAge: row.maxAge)
        let session = row.authenticatedSecondsAgo.map { Self.session(authenticatedSecondsAgo: $0) }
        let consent = row.consented ? Self.consent(authorization) : nil
        let transition = SignInFlow.next(
            .requestValidated(session: session, consent: consent), authorization: authorization,
            policy: SignInFlow.Policy(requireVerifiedEmail: false, mfaPolicy: .required, allowedFactors: [.totp]), now: Self.now)
        #expect(transition == row.expected)
    }

    static func session(authenticatedSecondsAgo ago: TimeInterval) -> Session {
        Session(
            id: .generate(at: now - ago), tokenHash: SecretHash.of("cookie"), userID: user, authTime: now - ago, amr: ["pwd"],
            createdAt: now - ago, expiresAt: now + 3600)
    }

    static func consent(_ authorization: SignInFlow.Authorization) -> Consent {
        Consent(userID: user, clientID: authorization.client.clientID, scope: authorization.request.scope, grantedAt: now)
    }

    @Test("consent given issues a code; consent denied redirects access_denied; an upstream error redirects it")
    func consentAndUpstream() {
        let policy = SignInFlow.Policy(requireVerifiedEmail: false, mfaPolicy: .none, allowedFactors: [.totp])
        var authorization = Self.authorization(firstParty: false, prompt: [.consent])
        authorization.loginDone = true
        let given = SignInFlow.next(
            .consentGiven(session: Self.session(authenticatedSecondsAgo: 5), consent: Self.consent(authorization)),
            authorization: authorization, policy: policy, now: Self.now)
        #expect(given == SignInFlow.Transition(.completed, [.issueCode]))
        let denied = SignInFlow.next(.consentDenied, authorization: authorization, policy: policy, now: Self.now)
        #expect(denied == SignInFlow.Transition(.failed, [.redirectWithError(.accessDenied(""))]))
        let upstream = SignInFlow.next(
            .upstreamFailed(.accessDenied("the provider said no")), authorization: authorization, policy: policy, now: Self.now)
        #expect(upstream == SignInFlow.Transition(.failed, [.redirectWithError(.accessDenied(""))]))
    }

    @Test("signing in as another user than the id_token_hint's redirects login_required (OIDC Core §3.1.2.1)")
    func hintedUserMismatch() {
        let authorization = Self.authorization(firstParty: true, hint: UserID.generate(at: Self.now + 1))
        let subject = SignInFlow.Subject(userID: Self.user, emailVerified: true, enrolledFactors: [], amr: ["pwd"])
        let transition = SignInFlow.next(
            .firstFactorPassed(subject, consent: nil), authorization: authorization,
            policy: SignInFlow.Policy(requireVerifiedEmail: false, mfaPolicy: .none, allowedFactors: []), now: Self.now)
        #expect(transition == SignInFlow.Transition(.failed, [.signIn(Self.user, amr: ["pwd"]), .redirectWithError(.loginRequired(""))]))
    }
}

@Suite("Sign-in flow: proofs name their events")
struct SignInFlowProofTests {
    @Test("each proof is the event of that step")
    func proofs() {
        let subject = SignInFlow.Subject(userID: SignInFlowTests.user, emailVerified: true, enrolledFactors: [], amr: ["pwd"])
        #expect(SignInFlow.proved(.firstFactor, by: subject, consent: nil) == .firstFactorPassed(subject, consent: nil))
        #expect(SignInFlow.proved(.upstream, by: subject, consent: nil) == .upstreamReturned(subject, consent: nil))
        #expect(SignInFlow.proved(.emailAddress, by: subject, consent: nil) == .emailVerified(subject, consent: nil))
        #expect(
            SignInFlow.proved(.secondFactor(method: "otp"), by: subject, consent: nil)
                == .secondFactorPassed(subject, method: "otp", consent: nil))
    }
}
