import Foundation
import GatehouseCore
import GatehouseCrypto
import Testing

/// The organization step of the sign-in state machine (docs/contract.md A8), as a table:
/// memberships (none, one, several) × a client that requires an organization × a named
/// organization × an organization that requires MFA, for browser and headless sign-ins, and an
/// active session that needs no new sign-in.
@Suite("Sign-in flow: choosing an organization (docs/contract.md A8)")
struct SignInFlowOrganizationTests {
    static let now = TestClock.start
    static let user = UserID.generate(at: now)
    static let acme = OrganizationOption(
        id: .generate(at: now), slug: "acme", name: "Acme", mfaRequired: false, role: OrganizationRole.member)
    static let bank = OrganizationOption(
        id: .generate(at: now + 1), slug: "bank", name: "Bank", mfaRequired: true, role: OrganizationRole.admin)

    /// Actions written without the subject.
    enum Expected: Sendable, Equatable {
        case choose(OrganizationChoice)
        case awaitStep(PendingSignIn.Stage)
        case show(SignInFlow.Page)
        case signIn([String])
        case issueCode
        case redirect(OAuthError.Code)
        case refuse(SignInFlow.Refusal)
    }

    struct Row: Sendable, CustomTestStringConvertible {
        let testDescription: String
        var memberships: [OrganizationOption] = []
        /// The request has the scope `organization`.
        var scope = true
        var required = false
        var named: String?
        /// What the picker answered (the `organizationChosen` event); nil: the first factor passed.
        var picked: OrganizationChoice?
        var mfaPolicy: MFAPolicy = .optional
        var enrolled: [MFAFactorKind] = []
        var headless = false
        let expected: SignInFlow.State
        let actions: [Expected]
    }

    static let rows: [Row] = [
        Row(
            testDescription: "no organization scope: no step, a personal sign-in", memberships: [acme, bank], scope: false,
            expected: .completed, actions: [.signIn(["pwd"]), .issueCode]),
        Row(
            testDescription: "no membership: the personal context", expected: .completed,
            actions: [.choose(.personal), .signIn(["pwd"]), .issueCode]),
        Row(
            testDescription: "no membership and a client that requires one: access_denied at the client", required: true,
            expected: .failed, actions: [.redirect(.accessDenied)]),
        Row(
            testDescription: "a client that requires one asks even without the scope", memberships: [acme], scope: false,
            required: true, expected: .completed, actions: [.choose(.organization(acme.id)), .signIn(["pwd"]), .issueCode]),
        Row(
            testDescription: "one membership is chosen without asking", memberships: [acme], expected: .completed,
            actions: [.choose(.organization(acme.id)), .signIn(["pwd"]), .issueCode]),
        Row(
            testDescription: "one membership is chosen without asking when the client requires one", memberships: [acme],
            required: true, expected: .completed, actions: [.choose(.organization(acme.id)), .signIn(["pwd"]), .issueCode]),
        Row(
            testDescription: "several memberships: the picker", memberships: [acme, bank], expected: .awaitingOrganization,
            actions: [.awaitStep(.organization), .show(.organization)]),
        Row(
            testDescription: "several memberships and a client that requires one: the picker", memberships: [acme, bank],
            required: true, expected: .awaitingOrganization, actions: [.awaitStep(.organization), .show(.organization)]),
        Row(
            testDescription: "a named organization by slug is used without asking", memberships: [acme, bank], named: "acme",
            expected: .completed, actions: [.choose(.organization(acme.id)), .signIn(["pwd"]), .issueCode]),
        Row(
            testDescription: "a named organization by id is used without asking", memberships: [acme, bank],
            named: acme.id.rawValue, expected: .completed,
            actions: [.choose(.organization(acme.id)), .signIn(["pwd"]), .issueCode]),
        Row(
            testDescription: "a named organization the user is not a member of: access_denied", memberships: [acme],
            named: "bank", expected: .failed, actions: [.redirect(.accessDenied)]),
        Row(
            testDescription: "a named organization and no membership: access_denied, even when a personal context is allowed",
            named: "acme", expected: .failed, actions: [.redirect(.accessDenied)]),
        Row(
            testDescription: "an organization that requires MFA enrols a user without a factor under policy optional",
            memberships: [bank], expected: .awaitingEnrolment([.totp]),
            actions: [.choose(.organization(bank.id)), .awaitStep(.enrol), .show(.enrolment)]),
        Row(
            testDescription: "an organization that requires MFA enrols a user without a factor under policy none",
            memberships: [bank], mfaPolicy: .none, expected: .awaitingEnrolment([.totp]),
            actions: [.choose(.organization(bank.id)), .awaitStep(.enrol), .show(.enrolment)]),
        Row(
            testDescription: "an organization that requires MFA challenges an enrolled user", memberships: [bank],
            mfaPolicy: .none, enrolled: [.totp], expected: .awaitingSecondFactor([.totp]),
            actions: [.choose(.organization(bank.id)), .awaitStep(.challenge), .show(.secondFactor)]),
        Row(
            testDescription: "an organization without the rule keeps the tenant's policy", memberships: [acme],
            mfaPolicy: .none, enrolled: [.totp], expected: .completed,
            actions: [.choose(.organization(acme.id)), .signIn(["pwd"]), .issueCode]),
        Row(
            testDescription: "picked on the picker: an organization that requires MFA asks for it next",
            memberships: [acme, bank], picked: .organization(bank.id), enrolled: [.totp],
            expected: .awaitingSecondFactor([.totp]),
            actions: [.choose(.organization(bank.id)), .awaitStep(.challenge), .show(.secondFactor)]),
        Row(
            testDescription: "picked on the picker: another organization signs in", memberships: [acme, bank],
            picked: .organization(acme.id), expected: .completed,
            actions: [.choose(.organization(acme.id)), .signIn(["pwd"]), .issueCode]),
        Row(
            testDescription: "picked on the picker: the personal context", memberships: [acme, bank], picked: .personal,
            expected: .completed, actions: [.choose(.personal), .signIn(["pwd"]), .issueCode]),
        Row(
            testDescription: "picked on the picker: personal is refused when the client requires an organization",
            memberships: [acme, bank], required: true, picked: .personal, expected: .failed,
            actions: [.redirect(.accessDenied)]),
        Row(
            testDescription: "picked on the picker: an organization of someone else is refused", memberships: [acme],
            picked: .organization(bank.id), expected: .failed, actions: [.redirect(.accessDenied)]),
        Row(
            testDescription: "headless, several memberships and none named: the app must name one",
            memberships: [acme, bank], headless: true, expected: .failed, actions: [.refuse(.organizationNotNamed)]),
        Row(
            testDescription: "headless, a named organization signs in", memberships: [acme, bank], named: "acme",
            headless: true, expected: .completed, actions: [.choose(.organization(acme.id)), .signIn(["pwd"])]),
        Row(
            testDescription: "headless, one membership is chosen", memberships: [acme], headless: true, expected: .completed,
            actions: [.choose(.organization(acme.id)), .signIn(["pwd"])]),
        Row(
            testDescription: "headless, no membership and a client that requires one: access_denied", required: true,
            headless: true, expected: .failed, actions: [.redirect(.accessDenied)]),
        Row(
            testDescription: "headless, an organization that requires MFA enrols", memberships: [bank], named: "bank",
            headless: true, expected: .awaitingEnrolment([.totp]),
            actions: [.choose(.organization(bank.id)), .awaitStep(.enrol), .show(.enrolment)]),
    ]

    static func authorization(_ row: Row) -> SignInFlow.Authorization {
        var client = TestClient.web.client
        client.firstParty = true
        client.organizationRequired = row.required
        var request = AuthorizationRequest(
            clientID: client.clientID, redirectURI: "https://rp.example/cb", redirectURIWasSent: true, responseMode: .query,
            scope: row.scope ? ["openid", "organization"] : ["openid"], state: nil, nonce: nil, codeChallenge: nil,
            prompt: [], maxAge: nil, loginHint: nil)
        request.organization = row.named
        return SignInFlow.Authorization(request: request, client: client)
    }

    static func expand(_ expected: [Expected], subject: SignInFlow.Subject) -> [SignInFlow.Action] {
        expected.map {
            var chosen = subject
            switch $0 {
            case .choose(let choice): return .chooseOrganization(choice)
            case .awaitStep(let stage):
                // The pending step records the subject with its choice.
                if let choice = expected.compactMap({ if case .choose(let c) = $0 { c } else { nil } }).first {
                    chosen.organization = choice
                }
                return .awaitStep(stage, chosen)
            case .show(let page): return .showPage(page)
            case .signIn(let amr): return .signIn(subject.userID, amr: amr)
            case .issueCode: return .issueCode
            case .redirect(let code): return .redirectWithError(OAuthError(code, ""))
            case .refuse(let refusal): return .refuse(refusal)
            }
        }
    }

    @Test("the organization step after the first factor", arguments: rows)
    func organizationStep(_ row: Row) {
        let subject = SignInFlow.Subject(
            userID: Self.user, emailVerified: true, enrolledFactors: row.enrolled, amr: ["pwd"],
            organizations: row.memberships, organization: row.picked)
        let policy = SignInFlow.Policy(requireVerifiedEmail: false, mfaPolicy: row.mfaPolicy, allowedFactors: [.totp, .email])
        let event: SignInFlow.Event =
            row.picked == nil ? .firstFactorPassed(subject, consent: nil) : .organizationChosen(subject, consent: nil)
        var headlessAsk = OrganizationRequest.none
        var client = TestClient.web.client
        client.organizationRequired = row.required
        if row.headless {
            headlessAsk = OrganizationRequest(
                scope: row.scope ? ["openid", "organization"] : ["openid"], client: client, named: row.named)
        }
        let transition = SignInFlow.next(
            event, authorization: row.headless ? nil : Self.authorization(row), policy: policy, now: Self.now,
            headlessOrganization: headlessAsk)
        #expect(transition == SignInFlow.Transition(row.expected, Self.expand(row.actions, subject: subject)))
    }

    @Test("email verification comes before the organization step; the step follows the verification")
    func emailVerificationFirst() {
        var row = Row(testDescription: "", memberships: [Self.acme, Self.bank], expected: .awaitingOrganization, actions: [])
        row.mfaPolicy = .none
        let subject = SignInFlow.Subject(
            userID: Self.user, emailVerified: false, enrolledFactors: [], amr: ["pwd"], organizations: row.memberships)
        let policy = SignInFlow.Policy(requireVerifiedEmail: true, mfaPolicy: .none, allowedFactors: [.totp])
        let first = SignInFlow.next(.firstFactorPassed(subject, consent: nil), authorization: Self.authorization(row), policy: policy, now: Self.now)
        #expect(first.state == .awaitingEmailVerification)
        var verified = subject
        verified.emailVerified = true
        let next = SignInFlow.next(.emailVerified(verified, consent: nil), authorization: Self.authorization(row), policy: policy, now: Self.now)
        #expect(next == SignInFlow.Transition(.awaitingOrganization, [.awaitStep(.organization, verified), .showPage(.organization)]))
    }

    @Test("a choice the interaction already holds is not recorded again, and needs no picker")
    func alreadyChosen() {
        let row = Row(testDescription: "", memberships: [Self.acme, Self.bank], expected: .completed, actions: [])
        var authorization = Self.authorization(row)
        authorization.organization = .organization(Self.acme.id)
        let subject = SignInFlow.Subject(
            userID: Self.user, emailVerified: true, enrolledFactors: [], amr: ["pwd"], organizations: row.memberships)
        let policy = SignInFlow.Policy(requireVerifiedEmail: false, mfaPolicy: .none, allowedFactors: [.totp])
        let transition = SignInFlow.next(.firstFactorPassed(subject, consent: nil), authorization: authorization, policy: policy, now: Self.now)
        #expect(transition == SignInFlow.Transition(.completed, [.signIn(Self.user, amr: ["pwd"]), .issueCode]))
    }

    struct SessionRow: Sendable, CustomTestStringConvertible {
        let testDescription: String
        var memberships: [OrganizationOption] = []
        var required = false
        var chosen: OrganizationChoice?
        var sessionAMR = ["pwd"]
        var prompt: Set<Prompt> = []
        let expected: SignInFlow.Transition
    }

    static let sessionRows: [SessionRow] = [
        SessionRow(
            testDescription: "one membership: chosen, then the code", memberships: [acme],
            expected: .init(.completed, [.chooseOrganization(.organization(acme.id)), .issueCode])),
        SessionRow(
            testDescription: "several memberships: the picker", memberships: [acme, bank],
            expected: .init(.awaitingOrganization, [.showPage(.organization)])),
        SessionRow(
            testDescription: "several memberships with prompt=none: interaction_required", memberships: [acme, bank],
            prompt: [.none], expected: .init(.failed, [.redirectWithError(OAuthError(.interactionRequired, ""))])),
        SessionRow(
            testDescription: "picked: the code", memberships: [acme, bank], chosen: .organization(acme.id),
            expected: .init(.completed, [.issueCode])),
        SessionRow(
            testDescription: "no membership and a client that requires one: access_denied", required: true,
            expected: .init(.failed, [.redirectWithError(.accessDenied(""))])),
        SessionRow(
            testDescription: "an organization that requires MFA and a session without it: sign in again",
            memberships: [bank], expected: .init(.awaitingLogin, [.chooseOrganization(.organization(bank.id)), .showPage(.login)])),
        SessionRow(
            testDescription: "an organization that requires MFA, prompt=none: login_required", memberships: [bank],
            prompt: [.none], expected: .init(.failed, [.redirectWithError(.loginRequired(""))])),
        SessionRow(
            testDescription: "an organization that requires MFA and a session with it: the code", memberships: [bank],
            sessionAMR: ["pwd", "otp", "mfa"],
            expected: .init(.completed, [.chooseOrganization(.organization(bank.id)), .issueCode])),
    ]

    @Test("an active session: the organization is chosen before the code", arguments: sessionRows)
    func session(_ row: SessionRow) {
        var authorization = Self.authorization(Row(testDescription: "", required: row.required, expected: .completed, actions: []))
        authorization.request.prompt = row.prompt
        authorization.organization = row.chosen
        let session = Session(
            id: .generate(at: Self.now - 60), tokenHash: SecretHash.of("cookie"), userID: Self.user, authTime: Self.now - 60,
            amr: row.sessionAMR, createdAt: Self.now - 60, expiresAt: Self.now + 3600)
        let transition = SignInFlow.next(
            .requestValidated(session: session, consent: nil, organizations: row.memberships), authorization: authorization,
            policy: SignInFlow.Policy(requireVerifiedEmail: false, mfaPolicy: .none, allowedFactors: [.totp]), now: Self.now)
        #expect(transition == row.expected)
    }

    @Test("organization choices are stored as 'personal' or the organization id")
    func storedChoice() {
        #expect(OrganizationChoice(stored: "personal") == .personal)
        #expect(OrganizationChoice(stored: Self.acme.id.rawValue) == .organization(Self.acme.id))
        #expect(OrganizationChoice(stored: "acme") == nil)
        #expect(OrganizationChoice.organization(Self.acme.id).stored == Self.acme.id.rawValue)
    }
}
