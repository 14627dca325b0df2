import Foundation

/// What dynamic registration (RFC 7591 §3) added to a client: the SHA-256 of its registration
/// access token (RFC 7592 §3) and the informational metadata Gatehouse keeps for it.
public struct ClientRegistration: Sendable, Equatable {
    public var clientID: String
    /// SHA-256 of the registration access token.
    public var accessTokenHash: [UInt8]
    /// RFC 7591 §2 members without a place in the client model (`client_uri`, `logo_uri`,
    /// `contacts`, `tos_uri`, `policy_uri`, `software_id`, `software_version`), as registered.
    public var metadata: [String: JSONValue]
    public var createdAt: Date

    public init(clientID: String, accessTokenHash: [UInt8], metadata: [String: JSONValue], createdAt: Date) {
        self.clientID = clientID
        self.accessTokenHash = accessTokenHash
        self.metadata = metadata
        self.createdAt = createdAt
    }
}

/// An initial access token (RFC 7591 §3): made by an administrator of the tenant, presented as a
/// bearer token to the registration endpoint; kept only as SHA-256.
public struct RegistrationToken: Sendable, Equatable {
    /// `rat_…`, the token's public name (for listing and revoking).
    public var id: String
    public var tokenHash: [UInt8]
    public var description: String?
    public var createdAt: Date
    /// Nil: no expiry.
    public var expiresAt: Date?
    /// Nil: any number of registrations.
    public var maxUses: Int?
    public var uses: Int

    public init(
        id: String, tokenHash: [UInt8], description: String?, createdAt: Date, expiresAt: Date?, maxUses: Int?, uses: Int = 0
    ) {
        self.id = id
        self.tokenHash = tokenHash
        self.description = description
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.maxUses = maxUses
        self.uses = uses
    }
}

/// Dynamic client registration state of one tenant (RFC 7591, RFC 7592).
public protocol ClientRegistrationStore: Sendable {
    /// Stores the registration of a client just registered. A client's registration goes with
    /// the client (deleted with it).
    func saveClientRegistration(_ registration: ClientRegistration) async throws
    /// The registration of `clientID`; nil for a client an administrator made.
    func clientRegistration(clientID: String) async throws -> ClientRegistration?
    func insertRegistrationToken(_ token: RegistrationToken) async throws
    /// Every initial access token, newest first.
    func registrationTokens() async throws -> [RegistrationToken]
    /// - Returns: whether there was one.
    func deleteRegistrationToken(id: String) async throws -> Bool
    /// Spends one use of the initial access token whose SHA-256 is `hash`, if it is live at `now`
    /// (not expired, uses below `maxUses`). Two concurrent uses of a token with one use left:
    /// one succeeds.
    /// - Returns: whether it was live (and is now used once more).
    func useRegistrationToken(hash: [UInt8], at now: Date) async throws -> Bool
}
