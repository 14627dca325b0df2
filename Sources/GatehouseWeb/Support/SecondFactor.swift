import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseQRCode
import GatehouseStore

/// How a user proves the second factor.
enum SecondFactorMethod: String, Sendable {
    case totp
    case email
    case recovery = "recovery_code"

    init?(form value: String?) {
        switch value {
        case "totp"?: self = .totp
        case "email"?: self = .email
        case "recovery"?, "recovery_code"?: self = .recovery
        default: return nil
        }
    }
}

/// The second-factor logic shared by the login pages, the headless API and the account console.
extension Services {
    /// The salt binding an emailed code to its challenge.
    func challengeSalt(_ pending: PendingSignIn) -> String { Base64URL.encode(pending.idHash) }

    /// Checks a second-factor code for a pending sign-in.
    ///
    /// TOTP: RFC 6238 with ±1 step; a step is recorded atomically so no code is accepted twice.
    /// Email: the code of this challenge, within 10 minutes. Recovery code: single use, and its use
    /// is announced by email. Every check passes the second-factor throttle first (per account and
    /// per account + IP, across challenges and restarts); the check counts as a failure until it
    /// succeeds.
    /// - Returns: the RFC 8176 method proven (`otp` or `email`), or nil when the code is wrong.
    /// - Throws: `SignInThrottle.Refused` when the account must wait (answer 429 with `Retry-After`).
    func checkSecondFactor(
        _ method: SecondFactorMethod, code rawCode: String, pending: PendingSignIn, user: User,
        database: any TenantHandle, ip: String?
    ) async throws -> String? {
        try await throttled(secondFactorThrottle, account: user.id.rawValue, ip: ip, database: database, initial: .failure) { outcome in
            let proven = try await matchSecondFactor(method, code: rawCode, pending: pending, user: user, database: database)
            if proven != nil { outcome = .success }
            return proven
        }
    }

    private func matchSecondFactor(
        _ method: SecondFactorMethod, code rawCode: String, pending: PendingSignIn, user: User,
        database: any TenantHandle
    ) async throws -> String? {
        let code = rawCode.filter { !$0.isWhitespace }
        guard !code.isEmpty, code.count <= 64, pending.stage == .challenge else { return nil }
        let now = clock.now
        // Only factors the tenant allows, and never the first factor again.
        let usable = secondFactors(for: pending, database: database)
        let factors = try await database.mfaFactors(userID: user.id).filter { usable.contains($0.kind) }
        switch method {
        case .totp:
            guard let factor = factors.first(where: { $0.kind == .totp }), let sealed = factor.sealedSecret else { return nil }
            let totp = TOTP(secret: try database.unseal(sealed))
            guard let step = totp.match(code, at: now, after: factor.lastUsedStep),
                try await database.useTOTPStep(factorID: factor.id, step: step)
            else { return nil }
            return "otp"
        case .email:
            guard factors.contains(where: { $0.kind == .email }),
                emailCodeMatches(code, hash: pending.emailCodeHash, expiresAt: pending.emailCodeExpiresAt, salt: challengeSalt(pending))
            else {
                return nil
            }
            // Single use: clear the code.
            var used = pending
            used.emailCodeHash = nil
            used.emailCodeExpiresAt = nil
            try await database.savePendingSignIn(used)
            return "email"
        case .recovery:
            guard !factors.isEmpty,
                try await database.useRecoveryCode(userID: user.id, hash: SecretHash.of(RecoveryCodes.normalize(code)), at: now)
            else {
                return nil
            }
            let left = try await database.unusedRecoveryCodeCount(userID: user.id)
            try await sendAccountEmail(.recoveryUsed, to: user, values: ["remaining": String(left)], database: database)
            return "otp"
        }
    }

    /// Whether `code` is the live emailed code stored as `hash` (constant-time comparison).
    func emailCodeMatches(_ code: String, hash: [UInt8]?, expiresAt: Date?, salt: String) -> Bool {
        guard let hash, let expiresAt, clock.now < expiresAt else { return false }
        return ConstantTime.equals(codeHash(code, salt: salt), hash)
    }

    /// The second factors a pending sign-in may use: the tenant's allowed ones, minus its first factor.
    func secondFactors(for pending: PendingSignIn, database: any TenantHandle) -> [MFAFactorKind] {
        MFARequirement.secondFactors(
            allowed: database.tenant.tenant.settings.mfaFactors.compactMap(MFAFactorKind.init(rawValue:)),
            firstFactorAMR: pending.amr)
    }

    /// Emails a fresh 6-digit code for this challenge (10 minutes).
    func sendChallengeCode(_ pending: PendingSignIn, user: User, database: any TenantHandle) async throws {
        let code = sixDigitCode()
        var updated = pending
        updated.emailCodeHash = codeHash(code, salt: challengeSalt(pending))
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
        try await database.saveMFAFactor(
            MFAFactor(
                id: "mfa_" + ULID.make(at: now), userID: user.id, kind: .totp, sealedSecret: sealed,
                lastUsedStep: step, createdAt: now))
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
