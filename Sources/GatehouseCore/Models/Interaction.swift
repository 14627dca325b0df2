import Foundation

/// A login interaction: an accepted authorization request waiting for the user to sign in and,
/// when needed, consent. Kept server-side in the tenant database for `interactionTTL`.
public struct Interaction: Codable, Sendable, Equatable {
    /// Random, unguessable (256 bits, base64url); appears in the login page URL and form.
    public var id: String
    /// The anti-CSRF token every form of this interaction must echo (compared in constant time).
    public var csrfToken: String
    /// SHA-256 of the browser-binding cookie that started the interaction; a form post from
    /// another browser is refused (login CSRF, RFC 6749 §10.12).
    public var browserBindingHash: [UInt8]
    public var request: AuthorizationRequest
    /// The user who signed in during this interaction.
    public var userID: UserID?
    public var loginDone: Bool
    public var consentDone: Bool
    /// The organization context chosen during this interaction (docs/contract.md A8); nil until
    /// chosen, and for requests that ask for none.
    public var organization: OrganizationChoice?
    public var createdAt: Date
    public var expiresAt: Date

    public init(
        id: String, csrfToken: String, browserBindingHash: [UInt8], request: AuthorizationRequest,
        userID: UserID? = nil, loginDone: Bool = false, consentDone: Bool = false,
        organization: OrganizationChoice? = nil, createdAt: Date, expiresAt: Date
    ) {
        self.id = id
        self.csrfToken = csrfToken
        self.browserBindingHash = browserBindingHash
        self.request = request
        self.userID = userID
        self.loginDone = loginDone
        self.consentDone = consentDone
        self.organization = organization
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    /// Interactions expire after 10 minutes.
    public static let lifetime: TimeInterval = 600
}

/// A tenant signing key as stored, with its schedule. The private key is sealed under the
/// instance master key.
///
/// The schedule makes rotation safe for relying parties that cache the JWKS (docs/contract.md A7):
/// a key is published from `createdAt`, signs from `activatesAt` (later than `createdAt` by the
/// pre-publication window when it replaces a key), stops signing at `retiresAt`, and leaves the
/// JWKS at `expiresAt`, once every token it signed has expired.
public struct SigningKeyRecord: Codable, Sendable, Equatable {
    /// The `kid`: the RFC 7638 thumbprint of the public key.
    public var kid: String
    public var algorithm: String
    /// The private key sealed with the master key (SecretBox).
    public var sealedPrivateKey: [UInt8]
    public var createdAt: Date
    public var activatesAt: Date
    public var retiresAt: Date?
    public var expiresAt: Date?

    public init(
        kid: String, algorithm: String, sealedPrivateKey: [UInt8], createdAt: Date, activatesAt: Date,
        retiresAt: Date? = nil, expiresAt: Date? = nil
    ) {
        self.kid = kid
        self.algorithm = algorithm
        self.sealedPrivateKey = sealedPrivateKey
        self.createdAt = createdAt
        self.activatesAt = activatesAt
        self.retiresAt = retiresAt
        self.expiresAt = expiresAt
    }

    /// Where a key stands at an instant.
    public enum Status: String, Codable, Sendable {
        /// Published, not yet signing (pre-publication).
        case next
        /// Published and signing.
        case active
        /// Published until every token it signed has expired; no longer signing.
        case retired
        /// No longer published.
        case expired
    }

    public func status(at now: Date) -> Status {
        if let expiresAt, now >= expiresAt { return .expired }
        if let retiresAt, now >= retiresAt { return .retired }
        return now >= activatesAt ? .active : .next
    }

    /// The next instant after `now` at which this key's status changes, if any.
    public func nextTransition(after now: Date) -> Date? {
        [activatesAt, retiresAt, expiresAt].compactMap { $0 }.filter { $0 > now }.min()
    }
}
