import Foundation
import GatehouseCrypto

/// How a user proves the second factor (the form field `method` / the API field `factor`).
public enum SecondFactorMethod: String, Sendable {
    case totp
    case email
    case recovery = "recovery_code"

    /// `totp`, `email`, `recovery` or `recovery_code`; nil for anything else.
    public init?(form value: String?) {
        switch value {
        case "totp"?: self = .totp
        case "email"?: self = .email
        case "recovery"?, "recovery_code"?: self = .recovery
        default: return nil
        }
    }
}

/// The second-factor rules of a pending sign-in: which factors count, and whether a code proves
/// one. Storage goes through the narrow protocols; throttling and mail are the caller's.
public enum SecondFactorCheck {
    /// What a matching code proved.
    public struct Proof: Sendable, Equatable {
        /// The RFC 8176 method: `otp` (an authenticator app or a recovery code) or `email`.
        public var method: String
        /// Recovery codes left after a recovery code was used (the user is told by email); nil otherwise.
        public var recoveryCodesLeft: Int?
    }

    /// The salt binding an emailed code to its challenge (base64url of the challenge id's hash).
    public static func challengeSalt(_ pending: PendingSignIn) -> String { Base64URL.encode(pending.idHash) }

    /// The hash under which an emailed code is kept: SHA-256 over the salt (its token or challenge)
    /// and the code without whitespace.
    public static func codeHash(_ code: String, salt: String) -> [UInt8] {
        SecretHash.of(salt + ":" + code.filter { !$0.isWhitespace })
    }

    /// Whether `code` is the live emailed code stored as `hash` (constant-time comparison).
    public static func emailCodeMatches(_ code: String, hash: [UInt8]?, expiresAt: Date?, salt: String, now: Date) -> Bool {
        guard let hash, let expiresAt, now < expiresAt else { return false }
        return ConstantTime.equals(codeHash(code, salt: salt), hash)
    }

    /// The second factors a pending sign-in may use: the tenant's allowed ones, minus its first factor.
    public static func usableFactors(for pending: PendingSignIn, settings: TenantSettings) -> [MFAFactorKind] {
        MFARequirement.secondFactors(
            allowed: settings.mfaFactors.compactMap(MFAFactorKind.init(rawValue:)), firstFactorAMR: pending.amr)
    }

    /// Checks a second-factor code for a pending sign-in at the `challenge` stage.
    ///
    /// TOTP: RFC 6238 with ±1 step; the step is recorded atomically, so no code is accepted twice.
    /// Email: the code of this challenge, unexpired; single use (cleared from the pending sign-in).
    /// Recovery code: single use, and only while the user has a usable factor.
    /// - Parameters:
    ///   - code: as typed (whitespace ignored; at most 64 characters).
    ///   - settings: the tenant's settings (its allowed factors).
    /// - Returns: the proof, or nil when the code proves nothing.
    /// - Throws: storage errors; `CryptoError` when a sealed secret cannot be opened.
    public static func check(
        _ method: SecondFactorMethod, code rawCode: String, pending: PendingSignIn, userID: UserID,
        settings: TenantSettings, store: some SecondFactorStore & AccountStore, now: Date
    ) async throws -> Proof? {
        let code = rawCode.filter { !$0.isWhitespace }
        guard !code.isEmpty, code.count <= 64, pending.stage == .challenge else { return nil }
        // Only factors the tenant allows, and never the first factor again.
        let usable = usableFactors(for: pending, settings: settings)
        let factors = try await store.mfaFactors(userID: userID).filter { usable.contains($0.kind) }
        switch method {
        case .totp:
            guard let factor = factors.first(where: { $0.kind == .totp }), let sealed = factor.sealedSecret else { return nil }
            let totp = TOTP(secret: try store.unseal(sealed))
            guard let step = totp.match(code, at: now, after: factor.lastUsedStep),
                try await store.useTOTPStep(factorID: factor.id, step: step)
            else { return nil }
            return Proof(method: "otp")
        case .email:
            guard factors.contains(where: { $0.kind == .email }),
                emailCodeMatches(
                    code, hash: pending.emailCodeHash, expiresAt: pending.emailCodeExpiresAt, salt: challengeSalt(pending), now: now)
            else {
                return nil
            }
            var used = pending
            used.emailCodeHash = nil
            used.emailCodeExpiresAt = nil
            try await store.savePendingSignIn(used)
            return Proof(method: "email")
        case .recovery:
            guard !factors.isEmpty,
                try await store.useRecoveryCode(userID: userID, hash: SecretHash.of(RecoveryCodes.normalize(code)), at: now)
            else {
                return nil
            }
            return Proof(method: "otp", recoveryCodesLeft: try await store.unusedRecoveryCodeCount(userID: userID))
        }
    }
}

extension SecondFactorCheck.Proof {
    public init(method: String) { self.init(method: method, recoveryCodesLeft: nil) }
}
