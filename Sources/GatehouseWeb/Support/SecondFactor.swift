import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseQRCode
import GatehouseStore

/// The second-factor logic shared by the login pages, the headless API and the account console.
extension Services {
    /// Checks a second-factor code for a pending sign-in (the rules: `SecondFactorCheck` in
    /// GatehouseCore). Every check passes the second-factor throttle first (per account and per
    /// account + IP, across challenges and restarts); the check counts as a failure until it
    /// succeeds. A used recovery code is announced by email.
    /// - Returns: the RFC 8176 method proven (`otp` or `email`), or nil when the code is wrong.
    /// - Throws: `SignInThrottle.Refused` when the account must wait (answer 429 with `Retry-After`).
    func checkSecondFactor(
        _ method: SecondFactorMethod, code: String, pending: PendingSignIn, user: User,
        database: any TenantHandle, ip: String?
    ) async throws -> String? {
        let proof = try await throttled(secondFactorThrottle, account: user.id.rawValue, ip: ip, database: database, initial: .failure) {
            outcome in
            let proof = try await SecondFactorCheck.check(
                method, code: code, pending: pending, userID: user.id, settings: database.tenant.tenant.settings,
                store: database, now: clock.now)
            if proof != nil { outcome = .success }
            return proof
        }
        if let left = proof?.recoveryCodesLeft {
            try await sendAccountEmail(.recoveryUsed, to: user, values: ["remaining": String(left)], database: database)
        }
        return proof?.method
    }

    /// The second factors a pending sign-in may use: the tenant's allowed ones, minus its first factor.
    func secondFactors(for pending: PendingSignIn, database: any TenantHandle) -> [MFAFactorKind] {
        SecondFactorCheck.usableFactors(for: pending, settings: database.tenant.tenant.settings)
    }

    /// Emails a fresh 6-digit code for this challenge (10 minutes).
    func sendChallengeCode(_ pending: PendingSignIn, user: User, database: any TenantHandle) async throws {
        let code = sixDigitCode()
        var updated = pending
        updated.emailCodeHash = SecondFactorCheck.codeHash(code, salt: SecondFactorCheck.challengeSalt(pending))
        updated.emailCodeExpiresAt = clock.now.addingTimeInterval(PendingSignIn.emailCodeLifetime)
        try await database.savePendingSignIn(updated)
        try await sendAccountEmail(
            .code, to: user,
            values: [
                "code": code, "expires_minutes": String(Int(PendingSignIn.emailCodeLifetime / 60)),
            ], database: database)
    }

    /// What a user needs to add a TOTP secret to an authenticator app.
    struct TOTPEnrolment {
        let secret: String
        let uri: String
        let qrDataURL: String
    }

    /// The enrolment view of a pending sign-in's TOTP secret, made and sealed in it on first use.
    func totpEnrolment(_ pending: PendingSignIn, user: User, database: any TenantHandle) async throws -> TOTPEnrolment {
        if let sealed = pending.sealedEnrolSecret { return try totpEnrolment(secret: database.unseal(sealed), user: user, database: database) }
        let secret = TOTP.generateSecret()
        var updated = pending
        updated.sealedEnrolSecret = database.seal(secret)
        try await database.savePendingSignIn(updated)
        return try totpEnrolment(secret: secret, user: user, database: database)
    }

    /// The otpauth URI, QR code and Base32 text of a TOTP secret.
    func totpEnrolment(secret: [UInt8], user: User, database: any TenantHandle) throws -> TOTPEnrolment {
        let uri = TOTP(secret: secret).provisioningURI(issuer: database.tenant.tenant.name, account: user.email)
        return TOTPEnrolment(secret: Base32.encode(secret), uri: uri, qrDataURL: try QRCode.dataURL(for: uri))
    }

    /// Confirms a TOTP enrolment (of a sign-in or of the console) with a first valid code: stores the
    /// factor and new recovery codes. The check passes the second-factor throttle first.
    /// - Parameter sealed: the TOTP secret being enrolled, sealed with the master key.
    /// - Returns: the recovery codes to show once, or nil when the code is wrong (or no secret).
    /// - Throws: `SignInThrottle.Refused` when the account must wait.
    func confirmTOTPEnrolment(sealed: [UInt8]?, code: String, user: User, database: any TenantHandle, ip: String?) async throws -> [String]? {
        guard let sealed else { return nil }
        let secret = try database.unseal(sealed)
        let step: Int64? = try await throttled(
            secondFactorThrottle, account: user.id.rawValue, ip: ip, database: database,
            initial: .failure
        ) { outcome in
            let step = TOTP(secret: secret).match(code.filter { !$0.isWhitespace }, at: clock.now, after: nil)
            if step != nil { outcome = .success }
            return step
        }
        guard let step else { return nil }
        let now = clock.now
        let entry = AuditDraft(
            type: "user.mfa_enabled", actor: .user(user.id), targetType: "user", targetID: user.id.rawValue, userID: user.id.rawValue, ip: ip,
            data: .object(["factor": .string("totp")]))
        try await audited([entry], in: database) {
            try await database.saveMFAFactor(
                MFAFactor(
                    id: "mfa_" + ULID.make(at: now), userID: user.id, kind: .totp, sealedSecret: sealed,
                    lastUsedStep: step, createdAt: now))
        }
        let codes = try await regenerateRecoveryCodes(for: user, database: database)
        try await sendAccountEmail(
            .mfaChange, to: user, values: ["change": "An authenticator app was added to your account."],
            database: database)
        return codes
    }

    /// Replaces a user's recovery codes; returns the new codes (shown once).
    func regenerateRecoveryCodes(for user: User, database: any TenantHandle) async throws -> [String] {
        let codes = RecoveryCodes.generate()
        try await database.replaceRecoveryCodes(
            userID: user.id, hashes: codes.map { SecretHash.of(RecoveryCodes.normalize($0)) },
            at: clock.now)
        return codes
    }

    /// `a***@example.com`.
    func maskedEmail(_ email: String) -> String {
        guard let at = email.firstIndex(of: "@") else { return email }
        return String(email.prefix(1)) + "***" + email[at...]
    }
}

/// The removal of a user's sign-in methods and second factors (account console, admin API, admin
/// console): a user keeps a way to sign in, and a second factor where the tenant requires one.
extension Services {
    /// What a removal must leave a user of `tenant`: passkeys count where its pages accept them;
    /// a second factor of an allowed kind is kept under MFA policy `required`.
    func signInFloor(_ tenant: ResolvedTenant) -> SignInFloor {
        let settings = tenant.tenant.settings
        let allowed = Set(settings.mfaFactors.compactMap(MFAFactorKind.init(rawValue:))).subtracting([.webauthn])
        return SignInFloor(passkeysSignIn: passkeyRelyingParty(tenant) != nil, requiredSecondFactor: settings.mfaPolicy == .required ? allowed : nil)
    }

    /// Removes `method` of `user` unless ``signInFloor(_:)`` keeps it, decided in one transaction
    /// with the removal (``SignInMethodStore``).
    /// - Returns: false when the user has no such method.
    /// - Throws: ``SignInMethodKept`` when the method is kept.
    func removeSignInMethod(_ method: SignInMethod, of user: UserID, database: any TenantHandle) async throws -> Bool {
        switch try await database.removeSignInMethod(method, userID: user, keeping: signInFloor(database.tenant)) {
        case .removed: return true
        case .notFound: return false
        case .lastWayIn: throw SignInMethodKept(lastWayIn: true)
        case .lastSecondFactor: throw SignInMethodKept(lastWayIn: false)
        }
    }
}

/// A removal refused by ``SignInFloor``: 409 on the admin API and console, a notice on the
/// account page.
struct SignInMethodKept: Error, CustomStringConvertible {
    /// The user's last way to sign in; otherwise their last second factor under policy `required`.
    let lastWayIn: Bool

    /// The account page's notice key.
    var notice: String { lastWayIn ? "kept-last-way-in" : "kept-last-factor" }

    var description: String {
        lastWayIn
            ? "This is the only way to sign in to this account: add a password or a passkey first."
            : "Two-step verification is required here: set up another method before removing this one."
    }
}
