import Foundation

/// User lookup and password changes, as the protocol core needs them (password grant, token
/// claims).
public protocol UserStore: Sendable {
    func user(id: UserID) async throws -> User?
    /// Looks a user up by normalized email.
    func user(email: String) async throws -> User?
    /// Replaces a user's password hash (PHC string) and sets `updatedAt`.
    func updatePasswordHash(userID: UserID, hash: String, at: Date) async throws
}

/// Accounts: user administration, email proof, one-time tokens (verification, reset, magic link,
/// email codes), pending sign-ins and persisted sign-in failure counters.
public protocol AccountStore: UserStore {
    // MARK: Users

    /// Stores a new user. - Throws: a conflict (`StoreError.conflict`) when the email is taken.
    func insertUser(_ user: User) async throws
    /// Users by id (keyset pagination after `after`), at most `limit`; `email` keeps only the user
    /// with that normalized email, `query` only users whose email or name contains it
    /// (case-insensitive for ASCII).
    func listUsers(limit: Int, after: UserID?, email: String?, query: String?) async throws -> [User]
    /// Replaces a user's profile fields (email, name, verification, disabled, password hash).
    /// Disabling a user ends their sessions and revokes their grants.
    /// - Throws: a conflict (`StoreError.conflict`) when the new email is taken.
    func updateUser(_ user: User, at now: Date) async throws
    /// Deletes a user with their sessions, grants, consents and memberships; their tokens stop
    /// working at once. - Throws: `StoreError.conflict` when the user is the last owner of an
    /// organization (docs/contract.md A8: an organization always keeps one owner).
    func deleteUser(_ id: UserID, at now: Date) async throws
    /// Ends every session of a user and revokes every grant, offline ones included.
    func revokeEverything(of id: UserID, at now: Date) async throws
    /// Marks a user's email address verified.
    func markEmailVerified(_ userID: UserID, at now: Date) async throws
    /// Records that the user proved control of their address (a verification or magic link, an
    /// email code): marks it verified and, on the first proof of an account someone else may have
    /// pre-registered, ends its sessions, grants and other pending sign-ins (all but
    /// `keepingPending`) and, unless `keepPassword`, clears the password.
    /// - Returns: true when this was the first proof.
    @discardableResult
    func proveEmail(_ userID: UserID, keepPassword: Bool, keepingPending: [UInt8]?, at now: Date) async throws -> Bool
    /// Spends every outstanding password-reset and magic link of the user (after a password
    /// change); email verification links stay.
    func spendSignInLinks(of userID: UserID, at now: Date) async throws

    // MARK: One-time tokens

    /// Stores a one-time token (link or code).
    func insertOneTimeToken(_ token: OneTimeToken) async throws
    /// Consumes the link token with this hash (SHA-256) for `purpose`, atomically: of concurrent
    /// calls at most one gets the token; nil when unknown, used, expired or for another purpose.
    func consumeOneTimeLink(hash: [UInt8], purpose: OneTimePurpose, at now: Date) async throws -> OneTimeToken?
    /// A live, unconsumed link token of `purpose`, without consuming it (to render its form).
    func peekOneTimeLink(hash: [UInt8], purpose: OneTimePurpose, at now: Date) async throws -> OneTimeToken?
    /// Checks a code against the user's newest live token for `purpose`, atomically: a match
    /// consumes it (once); a miss counts an attempt, and after `maxAttempts` the token is spent.
    func consumeOneTimeCode(
        userID: UserID, purpose: OneTimePurpose, at now: Date, maxAttempts: Int,
        matches: @Sendable (OneTimeToken) -> Bool
    ) async throws -> OneTimeToken?

    // MARK: Pending sign-ins

    /// Creates or replaces a pending sign-in (a password checked, a second factor or email proof due).
    func savePendingSignIn(_ pending: PendingSignIn) async throws
    /// The live pending sign-in with this id hash (SHA-256).
    func pendingSignIn(idHash: [UInt8], at now: Date) async throws -> PendingSignIn?
    /// Counts a failed attempt, atomically; returns the new count.
    func recordPendingAttempt(idHash: [UInt8]) async throws -> Int
    func deletePendingSignIn(idHash: [UInt8]) async throws
    /// Completes a browser sign-in in one transaction: removes the interaction's pending sign-in,
    /// starts or re-authenticates the session, and then either stores the interaction's new state
    /// or — when the authorization completes at once — deletes the interaction and stores the
    /// grant with its authorization code.
    func completeSignIn(
        pendingIDHash: [UInt8], session: SessionChange, interaction: Interaction,
        issuing: (grant: Grant, code: AuthorizationCode)?
    ) async throws

    // MARK: Sign-in failure counters

    /// The persisted failure counters of these keys (absent keys have none).
    func signInFailures(keys: [String]) async throws -> [SignInFailureRecord]
    /// Stores counters after a failure (never lowering a count a parallel failure already raised)
    /// and deletes `cleared` keys after a success.
    func saveSignInFailures(_ records: [SignInFailureRecord], cleared: [String]) async throws
}

extension AccountStore {
    /// The first `limit` users (100 by default), optionally after `after` or filtered.
    public func listUsers(limit: Int = 100, after: UserID? = nil, email: String? = nil) async throws -> [User] {
        try await listUsers(limit: limit, after: after, email: email, query: nil)
    }

    /// Records an email proof that keeps every pending sign-in.
    @discardableResult
    public func proveEmail(_ userID: UserID, keepPassword: Bool, at now: Date) async throws -> Bool {
        try await proveEmail(userID, keepPassword: keepPassword, keepingPending: nil, at: now)
    }
}
