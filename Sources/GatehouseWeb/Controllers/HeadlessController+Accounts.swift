import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Headless sign-up, email verification and MFA. A sign-in whose first factor passed
/// answers either tokens (`"status": "signed_in"`) or the next step with a short-lived
/// `challenge_id`: `email_verification_required`, `mfa_required` (with the allowed factors) or
/// `mfa_enrollment_required` (with a TOTP secret to enrol).
extension HeadlessController {
    struct Challenge: Encodable {
        let status: String
        let challengeID: String
        let expiresIn: Int
        let factors: [String]?
        let totp: TOTPView?
        let email: String?

        struct TOTPView: Encodable {
            let secret: String
            let otpauthURI: String
            let qrDataURL: String

            enum CodingKeys: String, CodingKey {
                case secret
                case otpauthURI = "otpauth_uri"
                case qrDataURL = "qr_data_url"
            }
        }

        enum CodingKeys: String, CodingKey {
            case status, factors, totp, email
            case challengeID = "challenge_id"
            case expiresIn = "expires_in"
        }
    }

    /// The headless counterpart of the browser's door (`BrowserFlowController.proved`): a user
    /// proved a first factor, an email address or a second factor; the answer is a challenge
    /// (`challenge_id`) or tokens.
    /// - Parameters:
    ///   - extra: extra fields of a token answer (the recovery codes of an enrolment).
    ///   - chosen: the organization context a pending step recorded.
    ///   - named: the `organization` of a sign-in (an id or slug); one the user is not a member
    ///     of is refused with `access_denied` once the first factor passed, whether or not it exists.
    func proved(
        _ proof: SignInFlow.Proof, user: User, amr: [String], scope: ScopeSet, chosen: OrganizationChoice? = nil,
        named: String? = nil, extra: [String: [String]] = [:], _ request: Request, _ context: HeadlessRequestContext
    ) async throws -> Response {
        let ask = OrganizationRequest(scope: scope, client: context.client, named: named)
        var subject = try await services.signInSubject(
            user, amr: amr, in: context.database, organizations: ask, chosen: chosen, joining: proof.joinsOrganizations)
        if let named {
            // Resolved now, so that a step before the organization's (email verification) keeps it.
            guard let option = subject.organizations.named(named) else {
                throw OAuthError.accessDenied("the user is not a member of the requested organization")
            }
            subject.organization = .organization(option.id)
        }
        return try await advance(
            SignInFlow.proved(proof, by: subject, consent: nil), user: user, scope: scope, extra: extra, request, context)
    }

    /// Asks the sign-in state machine what `event` leads to and carries out its actions: a
    /// challenge answer (`challenge_id`) or tokens.
    /// - Parameter extra: extra fields of a token answer (the recovery codes of an enrolment).
    func advance(
        _ event: SignInFlow.Event, user: User, scope: ScopeSet, extra: [String: [String]] = [:], _ request: Request,
        _ context: HeadlessRequestContext
    ) async throws -> Response {
        let transition = SignInFlow.next(
            event, authorization: nil, policy: SignInFlow.Policy(settings: context.database.tenant.tenant.settings),
            now: services.clock.now, headlessOrganization: OrganizationRequest(scope: scope, client: context.client, named: nil))
        if case .awaitingSecondFactor(let factors) = transition.state, factors.allSatisfy({ $0 == .webauthn }) {
            // Only a passkey proves this user's second factor, and the headless API runs no ceremony.
            throw OAuthError.accessDenied("two-step verification needs this account's passkey: sign in on the tenant's pages")
        }
        var waiting: (pending: PendingSignIn, id: String)?
        var organization = SignInFlow.subject(of: event)?.organization
        for action in transition.actions {
            switch action {
            case .awaitStep(let stage, let subject):
                waiting = try await savePending(
                    user: user, amr: subject.amr, scope: scope, stage: stage, organization: subject.organization, context)
            case .sendMail(.emailVerification, _):
                try await AccountFlowsController(services: services).sendVerification(to: user, database: context.database)
            case .showPage:
                guard let waiting else { break }
                return try await answer(waiting.pending, id: waiting.id, user: user, context)
            case .chooseOrganization(let choice):
                organization = choice
            case .signIn(_, let amr):
                return try await issueSession(
                    user: user, amr: amr, scope: scope, organization: organization?.organizationID, extra: extra, request,
                    context)
            case .refuse(.secondFactorUnavailable):
                throw OAuthError.accessDenied("two-step verification cannot be completed with this sign-in method")
            case .refuse(.organizationNotNamed):
                throw OAuthError.invalidRequest(
                    "the user is a member of several organizations: send organization (an organization id or slug)")
            case .redirectWithError(let error):
                throw error
            case .issueCode:
                break
            }
        }
        throw OAuthError.serverError("the sign-in flow ended without an answer")
    }

    /// Stores a pending sign-in; returns it and its id (the `challenge_id`, 256 bits, base64url).
    func savePending(
        user: User, amr: [String], scope: ScopeSet, stage: PendingSignIn.Stage, organization: OrganizationChoice? = nil,
        _ context: HeadlessRequestContext
    ) async throws -> (pending: PendingSignIn, id: String) {
        let now = services.clock.now
        let id = RandomText.bearerSecret()
        let pending = PendingSignIn(
            idHash: SecretHash.of(id), userID: user.id, clientID: context.client.clientID, amr: amr,
            scope: scope.description, stage: stage, organization: organization, createdAt: now,
            expiresAt: now.addingTimeInterval(PendingSignIn.lifetime))
        try await context.database.savePendingSignIn(pending)
        return (pending, id)
    }

    func answer(_ pending: PendingSignIn, id: String, user: User, _ context: HeadlessRequestContext) async throws -> Response {
        let expiresIn = max(0, Int(pending.expiresAt.timeIntervalSince(services.clock.now)))
        let body: Challenge
        switch pending.stage {
        case .verifyEmail:
            body = Challenge(
                status: "email_verification_required", challengeID: id, expiresIn: expiresIn, factors: nil, totp: nil,
                email: user.email)
        case .challenge:
            let usable = services.secondFactors(for: pending, database: context.database)
            let factors =
                try await context.database.mfaFactors(userID: user.id).map(\.kind).filter(usable.contains).map(\.rawValue)
                + ["recovery_code"]
            body = Challenge(
                status: "mfa_required", challengeID: id, expiresIn: expiresIn, factors: factors, totp: nil,
                email: services.maskedEmail(user.email))
        case .organization:
            throw OAuthError.serverError("a headless sign-in never waits for the organization picker")
        case .enrol, .enrolled:
            let enrolment = try await services.totpEnrolment(pending, user: user, database: context.database)
            body = Challenge(
                status: "mfa_enrollment_required", challengeID: id, expiresIn: expiresIn, factors: ["totp"],
                totp: .init(secret: enrolment.secret, otpauthURI: enrolment.uri, qrDataURL: enrolment.qrDataURL), email: nil)
        }
        return Responses.json(body, noStore: true)
    }

    /// The pending sign-in of `challenge_id`, which must belong to this client.
    func pending(_ rawID: String?, stages: [PendingSignIn.Stage], _ context: HeadlessRequestContext) async throws -> (PendingSignIn, User) {
        guard let id = rawID, id.utf8.count <= 128,
            let pending = try await context.database.pendingSignIn(idHash: SecretHash.of(id), at: services.clock.now),
            pending.clientID == context.client.clientID, stages.contains(pending.stage),
            let user = try await context.database.user(id: pending.userID), !user.disabled
        else {
            throw OAuthError.invalidGrant("the challenge is unknown or expired")
        }
        return (pending, user)
    }

    /// A wrong code: five end the challenge.
    func failedAttempt(_ pending: PendingSignIn, _ context: HeadlessRequestContext) async throws -> OAuthError {
        let attempts = try await context.database.recordPendingAttempt(idHash: pending.idHash)
        if attempts >= PendingSignIn.maxAttempts {
            try await context.database.deletePendingSignIn(idHash: pending.idHash)
            return .invalidGrant("too many incorrect codes; sign in again")
        }
        return .invalidGrant("the code is incorrect")
    }

    func scope(of pending: PendingSignIn) -> ScopeSet { (try? ScopeSet(parsing: pending.scope ?? "")) ?? [] }

    /// `POST /v1/auth/sign-up` `{"email","password","name"?}` (tenant switch `self_signup`).
    func signUp(_ request: Request, _ context: HeadlessRequestContext) async throws -> Response {
        let tenant = context.database.tenant
        var input = try await body(request)
        input.rejectUnknown(["email", "password", "name"])
        let rawEmail = input.string("email", required: true, maxLength: 320)
        let password = input.string("password", required: true, maxLength: 1024)
        let name = input.string("name", maxLength: 10_000)
        if let name, let problem = DisplayName.problem(name) { input.fail("name", problem) }
        if !input.errors.isEmpty { throw OAuthError.invalidRequest(input.errors.map { "\($0.field) \($0.message)" }.joined(separator: "; ")) }
        guard tenant.tenant.settings.selfSignup else { throw OAuthError.accessDenied("self sign-up is disabled for this tenant") }
        if let wait = services.actionLimiter.take(tenant: tenant.id, action: "signup", ip: context.remoteAddress, now: services.clock.now) {
            throw SignInThrottle.Refused(retryAfter: wait)
        }
        guard let email = EmailAddress.normalize(rawEmail!) else { throw OAuthError.invalidRequest("email is not an email address") }
        try await refuseEnforcedSSO(email, context)
        if let problem = PasswordPolicy.problem(password!, common: services.commonPasswords) {
            throw OAuthError.invalidRequest("password \(problem)")
        }
        let db = context.database
        let now = services.clock.now
        let requiresVerification = tenant.tenant.settings.requireVerifiedEmail
        let scope = context.client.permittedScopes.intersection([StandardScope.openid, StandardScope.profile, StandardScope.email])
        // Hashed whether or not the address is taken, so both answers cost the same.
        let user = User(
            id: .generate(at: now), email: email, emailVerified: false, name: name,
            passwordHash: try await services.passwords.hash(password!), createdAt: now, updatedAt: now)
        do {
            if try await db.user(email: email) != nil { throw StoreError.conflict("taken") }
            let entry = services.userDraft(
                "user.created", user, ip: context.remoteAddress, userAgent: request.headers[.userAgent], extra: ["method": .string("headless")])
            try await services.audited([entry], in: db) { try await db.insertUser(user) }
        } catch StoreError.conflict {
            guard requiresVerification, let existing = try await db.user(email: email) else {
                throw OAuthError.invalidRequest("an account with this email address already exists")
            }
            // Not revealed (the same answer as a new sign-up, backed by a decoy); the owner is told.
            try await services.sendAccountEmail(
                .signupAttempt, to: existing,
                values: [
                    "account_url": services.issuer(of: tenant) + "/account"
                ], database: db)
            let decoy = try await savePending(
                user: existing, amr: [PendingSignIn.signupAttemptMarker], scope: scope, stage: .verifyEmail, context)
            return try await answer(decoy.pending, id: decoy.id, user: existing, context)
        }
        if !requiresVerification {
            try await AccountFlowsController(services: services).sendVerification(to: user, database: db)
        }
        return try await proved(.firstFactor, user: user, amr: ["pwd"], scope: scope, request, context)
    }

    /// `POST /v1/auth/verify-email` `{"challenge_id","code"}`: completes an email verification step.
    func verifyEmail(_ request: Request, _ context: HeadlessRequestContext) async throws -> Response {
        var input = try await body(request)
        input.rejectUnknown(["challenge_id", "code"])
        let id = input.string("challenge_id", required: true, maxLength: 128)
        let code = input.string("code", required: true, maxLength: 16)
        if !input.errors.isEmpty { throw OAuthError.invalidRequest(input.errors.map { "\($0.field) \($0.message)" }.joined(separator: "; ")) }
        let (pending, user) = try await pending(id, stages: [.verifyEmail], context)
        // A decoy (sign-up with a taken address) takes no code: it answers like a wrong one.
        if pending.isSignupAttempt { throw try await failedAttempt(pending, context) }
        let services = self.services
        let typed = code!.filter { !$0.isWhitespace }
        let used = try await context.database.consumeOneTimeCode(
            userID: user.id, purpose: .verifyEmail, at: services.clock.now,
            maxAttempts: AccountFlowsController.codeAttempts
        ) { token in
            token.codeHash.map { ConstantTime.equals($0, services.codeHash(typed, salt: token.id)) } ?? false
        }
        guard used != nil else { throw try await failedAttempt(pending, context) }
        // The password of this sign-in stays (its prover knows it); what came before the proof ends.
        var verified = user
        verified.emailVerified = true
        let entry = services.userDraft(
            "user.email_verified", verified, ip: context.remoteAddress, userAgent: request.headers[.userAgent], extra: ["method": .string("code")])
        try await services.audited([entry], in: context.database) {
            try await context.database.proveEmail(
                user.id, keepPassword: pending.amr.contains("pwd"), keepingPending: pending.idHash,
                at: services.clock.now)
        }
        try await context.database.deletePendingSignIn(idHash: pending.idHash)
        return try await proved(
            .emailAddress, user: verified, amr: pending.amr, scope: scope(of: pending), chosen: pending.organization, request,
            context)
    }

    /// `POST /v1/auth/mfa/verify` `{"challenge_id","factor":"totp|email|recovery_code","code"}`.
    /// During enrolment the factor is `totp` and the answer carries the new recovery codes once.
    func verifyMFA(_ request: Request, _ context: HeadlessRequestContext) async throws -> Response {
        var input = try await body(request)
        input.rejectUnknown(["challenge_id", "factor", "code"])
        let id = input.string("challenge_id", required: true, maxLength: 128)
        let factor = input.string("factor", required: true, maxLength: 32)
        let code = input.string("code", required: true, maxLength: 64)
        if !input.errors.isEmpty { throw OAuthError.invalidRequest(input.errors.map { "\($0.field) \($0.message)" }.joined(separator: "; ")) }
        guard let method = SecondFactorMethod(form: factor) else { throw OAuthError.invalidRequest("factor must be totp, email or recovery_code") }
        let (pending, user) = try await pending(id, stages: [.challenge, .enrol], context)
        if pending.stage == .enrol {
            guard method == .totp,
                let codes = try await services.confirmTOTPEnrolment(
                    sealed: pending.sealedEnrolSecret, code: code!, user: user,
                    database: context.database, ip: context.remoteAddress)
            else {
                throw try await failedAttempt(pending, context)
            }
            try await context.database.deletePendingSignIn(idHash: pending.idHash)
            return try await proved(
                .secondFactor(method: "otp"), user: user, amr: pending.amr, scope: scope(of: pending),
                chosen: pending.organization, extra: ["recovery_codes": codes], request, context)
        }
        guard
            let proven = try await services.checkSecondFactor(
                method, code: code!, pending: pending, user: user,
                database: context.database, ip: context.remoteAddress)
        else {
            throw try await failedAttempt(pending, context)
        }
        try await context.database.deletePendingSignIn(idHash: pending.idHash)
        return try await proved(
            .secondFactor(method: proven), user: user, amr: pending.amr, scope: scope(of: pending),
            chosen: pending.organization, request, context)
    }

    /// `POST /v1/auth/mfa/email` `{"challenge_id"}`: emails a code for an MFA challenge.
    func sendMFAEmail(_ request: Request, _ context: HeadlessRequestContext) async throws -> Response {
        var input = try await body(request)
        input.rejectUnknown(["challenge_id"])
        let id = input.string("challenge_id", required: true, maxLength: 128)
        if !input.errors.isEmpty { throw OAuthError.invalidRequest(input.errors.map { "\($0.field) \($0.message)" }.joined(separator: "; ")) }
        let (pending, user) = try await pending(id, stages: [.challenge], context)
        guard try await context.database.mfaFactors(userID: user.id).contains(where: { $0.kind == .email }),
            services.secondFactors(for: pending, database: context.database).contains(.email)
        else {
            throw OAuthError.invalidRequest("email codes are not available for this sign-in")
        }
        if let wait = services.actionLimiter.take(
            tenant: context.database.tenant.id, action: "email-code", ip: context.remoteAddress,
            now: services.clock.now)
        {
            throw SignInThrottle.Refused(retryAfter: wait)
        }
        try await services.sendChallengeCode(pending, user: user, database: context.database)
        return Response(status: .noContent, headers: [.cacheControl: "no-store"])
    }
}
