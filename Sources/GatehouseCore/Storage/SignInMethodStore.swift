import Foundation

/// One of a user's sign-in methods or second factors, as a removal names it.
public enum SignInMethod: Sendable, Equatable {
    /// A passkey (``Passkey/id``).
    case passkey(String)
    /// A linked identity at an upstream provider.
    case upstreamIdentity(UpstreamIdentityID)
    /// A second factor stored as a row of `mfa_factors` (`totp` or `email`).
    case secondFactor(MFAFactorKind)
}

/// A user's sign-in methods and second factors, counted under the lock of a removal: before it
/// and after it. A linked identity counts while its provider is enabled.
public struct SignInMethods: Sendable, Equatable {
    public var password: Bool
    public var upstreamIdentities: Int
    public var passkeys: Int
    /// The kinds of their `mfa_factors` rows.
    public var secondFactors: Set<MFAFactorKind>

    public init(password: Bool, upstreamIdentities: Int, passkeys: Int, secondFactors: Set<MFAFactorKind>) {
        self.password = password
        self.upstreamIdentities = upstreamIdentities
        self.passkeys = passkeys
        self.secondFactors = secondFactors
    }
}

/// What a removal must leave a user: a way to sign in, and a second factor where the tenant
/// requires one. Built from the tenant's settings by the caller; decided by the store with the
/// removal, in one transaction, so that concurrent removals of a user's methods (on any node)
/// never leave less than this.
public struct SignInFloor: Sendable, Equatable {
    /// Whether a passkey signs in on the tenant's pages and counts as a second factor (`webauthn`
    /// in `mfa_factors`, issuer on a host name).
    public var passkeysSignIn: Bool
    /// The `mfa_factors` kinds the tenant accepts as second factor when its MFA policy is
    /// `required`; nil when no second factor is required.
    public var requiredSecondFactor: Set<MFAFactorKind>?

    public init(passkeysSignIn: Bool, requiredSecondFactor: Set<MFAFactorKind>?) {
        self.passkeysSignIn = passkeysSignIn
        self.requiredSecondFactor = requiredSecondFactor
    }

    /// Why a removal that leaves `after` of `before` is refused; nil when it may go. Only a loss
    /// is refused: a user who had no way in (or no second factor) before loses nothing by it.
    /// A magic link is not counted as a way in: the tenant may turn it off.
    public func refusal(before: SignInMethods, after: SignInMethods) -> SignInMethodRemoval? {
        if hasWayIn(before), !hasWayIn(after) { return .lastWayIn }
        if requiredSecondFactor != nil, hasSecondFactor(before), !hasSecondFactor(after) { return .lastSecondFactor }
        return nil
    }

    func hasWayIn(_ methods: SignInMethods) -> Bool {
        methods.password || methods.upstreamIdentities > 0 || (passkeysSignIn && methods.passkeys > 0)
    }

    func hasSecondFactor(_ methods: SignInMethods) -> Bool {
        !methods.secondFactors.isDisjoint(with: requiredSecondFactor ?? []) || (passkeysSignIn && methods.passkeys > 0)
    }
}

/// What ``SignInMethodStore/removeSignInMethod(_:userID:keeping:)`` did.
public enum SignInMethodRemoval: Sendable, Equatable {
    /// The method is gone (for the user's last `mfa_factors` row, their recovery codes too).
    case removed
    /// The user has no such method.
    case notFound
    /// Kept: without it the user would have no password, linked identity or passkey.
    case lastWayIn
    /// Kept: without it the user would have no second factor the tenant requires.
    case lastSecondFactor
}

/// The removal of a user's sign-in methods (account console, admin API and console), each
/// decided in one transaction with the user's row locked.
public protocol SignInMethodStore: Sendable {
    /// Removes `method` of `userID` unless ``SignInFloor/refusal(before:after:)`` refuses it: the
    /// user's methods are counted in the removal's transaction before and after the deletion,
    /// which is rolled back when refused (SQLite's single writer; PostgreSQL locks the user's row
    /// first). The last `mfa_factors` row takes the user's recovery codes with it.
    func removeSignInMethod(_ method: SignInMethod, userID: UserID, keeping floor: SignInFloor) async throws -> SignInMethodRemoval
}
