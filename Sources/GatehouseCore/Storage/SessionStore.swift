import Foundation

/// Browser sessions (OpenID Connect Core §3.1.2.3 `auth_time`, `sid`; RP-Initiated Logout).
public protocol SessionStore: Sendable {
    /// Stores a new session. - Throws: on a duplicate id or token hash.
    func insertSession(_ session: Session) async throws
    /// The session whose cookie secret hashes (SHA-256) to `tokenHash`, live or not.
    func session(tokenHash: [UInt8]) async throws -> Session?
    func session(id: SessionID) async throws -> Session?
    /// Every session of a user, live or not, newest first.
    func sessions(userID: UserID) async throws -> [Session]
    /// Ends a session and, in the same transaction, revokes every grant issued under it —
    /// `offline_access` ones included — so its refresh tokens, access tokens and `sid` die with it
    /// (RP-Initiated Logout §2; RFC 9700 §4.14.2). Ending an ended session changes nothing.
    /// - Returns: the ids of the grants revoked by this call, in no particular order.
    @discardableResult
    func endSession(id: SessionID, at: Date) async throws -> [GrantID]
    /// Ends every session of a user but `keep`, and revokes every grant not of `keep`, offline
    /// ones included (a password change keeps the browser that made it signed in).
    func revokeOthers(of id: UserID, keep: SessionID?, at now: Date) async throws
    /// Active sessions (unrevoked, unexpired at `now`) of the tenant, newest first (by id, which
    /// orders by creation), optionally of one user, before the session `before` (keyset pagination),
    /// at most `limit`.
    func activeSessions(userID: UserID?, at now: Date, limit: Int, before: SessionID?) async throws -> [Session]
}

extension SessionStore {
    /// Active sessions of the tenant or of one user, the first 1000.
    public func activeSessions(userID: UserID? = nil, at now: Date) async throws -> [Session] {
        try await activeSessions(userID: userID, at: now, limit: 1000, before: nil)
    }
}

/// How a sign-in changes the browser's session.
public enum SessionChange: Sendable {
    /// A new session.
    case start(Session)
    /// The same user signed in again (`prompt=login`, `max_age`): the session continues.
    /// The same session, authenticated again under a new secret (`tokenHash`): the old cookie value
    /// no longer identifies it (session fixation, OWASP Session Management Cheat Sheet).
    case reauthenticate(id: SessionID, tokenHash: [UInt8], authTime: Date, amr: [String], expiresAt: Date)
}
