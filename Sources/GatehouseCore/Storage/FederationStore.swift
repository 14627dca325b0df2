import Foundation

/// Upstream login providers (OpenID Connect / OAuth 2.0 federation), their pending sign-ins and
/// the identities linked to users.
public protocol FederationStore: Sendable {
    /// Every upstream provider of the tenant, by slug.
    func upstreamProviders() async throws -> [UpstreamProvider]
    /// The provider whose id (`idp_…`) or slug is `key`.
    func upstreamProvider(_ key: String) async throws -> UpstreamProvider?
    /// Stores a new provider, sealing its client secret.
    /// - Throws: a conflict (`StoreError.conflict`) when the slug is taken.
    func insertUpstreamProvider(_ provider: UpstreamProvider) async throws
    /// Replaces a provider's fields (all but id and created_at).
    /// - Throws: a conflict (`StoreError.conflict`) when the new slug is taken.
    func updateUpstreamProvider(_ p: UpstreamProvider) async throws
    /// Deletes a provider with its linked identities and pending sign-ins.
    func deleteUpstreamProvider(id: UpstreamProviderID) async throws
    /// Stores a pending upstream sign-in and purges expired ones.
    func insertFederationState(_ s: FederationState, now: Date) async throws
    /// Takes a pending sign-in out of the store, atomically (single use: of concurrent calls one
    /// gets the record, and a second call finds nothing).
    /// - Returns: the record, even if expired (the caller checks), or nil.
    func consumeFederationState(hash: [UInt8]) async throws -> FederationState?
    /// The identity with this key, if linked.
    func upstreamIdentity(providerID: UpstreamProviderID, issuer: String, subject: String) async throws -> UpstreamIdentity?
    /// A user's linked identities, oldest first.
    func upstreamIdentities(userID: UserID) async throws -> [UpstreamIdentity]
    /// Records a sign-in with an identity: when, and the email the provider reported.
    func touchUpstreamIdentity(id: UpstreamIdentityID, email: String?, at now: Date) async throws
    /// Links an identity to an existing user.
    /// - Throws: a conflict (`StoreError.conflict`) when the identity is already linked (to anyone).
    func linkUpstreamIdentity(_ identity: UpstreamIdentity) async throws
    /// Creates a user and their first identity in one transaction: both or neither.
    /// - Throws: a conflict (`StoreError.conflict`) when the email is taken or the identity is linked.
    func insertUser(_ user: User, identity: UpstreamIdentity) async throws
}
