import Foundation
import GatehouseCrypto

public enum LogoutDeliveryKind: IdentifierKind { public static let prefix = "bcl_" }
public typealias LogoutDeliveryID = Identifier<LogoutDeliveryKind>

/// One logout token owed to one client for one ended session (OpenID Connect Back-Channel
/// Logout 1.0 §2.5): a row of the tenant's outbox `logout_deliveries`, written in the transaction
/// that ends the session (`SessionStore.endSession`, `revokeOthers`, `AccountStore.revokeEverything`).
///
/// The token itself is not stored: it is signed afresh at each attempt (new `iat`/`exp`, the same
/// `jti`), so that a retry minutes later still carries a token within its 120 s lifetime.
public struct LogoutDelivery: Sendable, Equatable {
    /// Waiting, delivered (200/204) or given up; the same states as a webhook delivery.
    public typealias Status = WebhookDelivery.Status

    public var id: LogoutDeliveryID
    /// The client the token is for (`aud`).
    public var clientID: String
    /// The user whose session ended (`sub`).
    public var userID: UserID
    /// The session that ended (`sid`, the same value ID tokens of that session carry).
    public var sessionID: SessionID
    /// The token's `jti` (§2.4), the same at every attempt so that a receiver can drop a repeat.
    public var jti: String
    /// Attempts made so far.
    public var attempts: Int
    public var status: Status
    /// When the next attempt is due (pending only).
    public var nextAttemptAt: Date?
    /// The HTTP status of the last answer, when there was one.
    public var lastResponseStatus: Int?
    /// Why the last attempt failed: a fixed sentence per kind of failure (never a library's text).
    public var lastError: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var deliveredAt: Date?

    public init(
        id: LogoutDeliveryID, clientID: String, userID: UserID, sessionID: SessionID, jti: String, attempts: Int = 0,
        status: Status = .pending, nextAttemptAt: Date?, lastResponseStatus: Int? = nil, lastError: String? = nil,
        createdAt: Date, updatedAt: Date, deliveredAt: Date? = nil
    ) {
        self.id = id
        self.clientID = clientID
        self.userID = userID
        self.sessionID = sessionID
        self.jti = jti
        self.attempts = attempts
        self.status = status
        self.nextAttemptAt = nextAttemptAt
        self.lastResponseStatus = lastResponseStatus
        self.lastError = lastError
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.deliveredAt = deliveredAt
    }

    /// A new pending delivery, due at `now`, with a fresh `jti` (128 random bits, base64url).
    public static func new(clientID: String, userID: UserID, sessionID: SessionID, at now: Date) -> LogoutDelivery {
        LogoutDelivery(
            id: .generate(at: now), clientID: clientID, userID: userID, sessionID: sessionID, jti: SecureRandom.token(byteCount: 16),
            nextAttemptAt: now, createdAt: now, updatedAt: now)
    }
}
