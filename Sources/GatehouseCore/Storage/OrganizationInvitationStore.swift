import Foundation

/// Invitations, verified domains and per-organization SSO of one tenant's organizations
/// (docs/contract.md A8). Deleting an organization removes all three with it.
public protocol OrganizationInvitationStore: Sendable {
    // MARK: Invitations

    /// - Throws: `StoreError.conflict` when a pending invitation of the organization to that
    ///   address exists (resend it instead; an expired one does not count); `StoreError.notFound`
    ///   for an unknown organization or role.
    func insertInvitation(_ invitation: OrganizationInvitation) async throws
    func invitation(id: InvitationID) async throws -> OrganizationInvitation?
    /// The organization's invitations, newest first by id (keyset pagination before `before`).
    func invitations(of organization: OrganizationID, limit: Int, before: InvitationID?) async throws
        -> [OrganizationInvitation]
    /// Pending (not accepted, revoked or expired) invitations to an address, across organizations.
    func pendingInvitations(email: String, at now: Date) async throws -> [OrganizationInvitation]
    /// A pending invitation by its link token's SHA-256, without consuming it (to render the page).
    func pendingInvitation(tokenHash: [UInt8], at now: Date) async throws -> OrganizationInvitation?
    /// Marks a pending invitation revoked. - Returns: false when not pending.
    func revokeInvitation(_ id: InvitationID, at now: Date) async throws -> Bool
    /// Gives a pending (or expired, not accepted or revoked) invitation a new link and expiry.
    /// - Returns: the renewed invitation, nil when it is unknown, accepted or revoked, or when
    ///   another pending invitation of the organization to that address exists.
    func renewInvitation(_ id: InvitationID, tokenHash: [UInt8], expiresAt: Date, at now: Date) async throws
        -> OrganizationInvitation?
    /// Accepts the pending invitation with this token for `user`, atomically: of concurrent calls
    /// at most one accepts; the user's verified email must be the invited address; the membership
    /// is created with the invitation's role (an existing membership is kept unchanged; a role
    /// deleted since the invitation was sent gives `member`).
    /// - Throws: `StoreError.notFound` when `user` is not a user of the tenant.
    func acceptInvitation(tokenHash: [UInt8], user: User, at now: Date) async throws -> InvitationAcceptance

    // MARK: Domains

    /// - Throws: `StoreError.conflict` when any organization of the tenant holds the domain;
    ///   `StoreError.notFound` for an unknown organization or default role.
    func insertDomain(_ domain: OrganizationDomain) async throws
    /// The organization's domains, by name.
    func domains(of organization: OrganizationID) async throws -> [OrganizationDomain]
    /// Replaces `verifiedAt`, `autoJoin` and `defaultRole` of the organization's domain.
    /// - Returns: false when the organization does not hold it. - Throws: `StoreError.notFound`
    ///   for an unknown default role.
    func updateDomain(_ domain: OrganizationDomain) async throws -> Bool
    func removeDomain(_ domain: String, of organization: OrganizationID) async throws -> Bool
    /// The verified domain (lowercased) with its organization, or nil.
    func verifiedDomain(_ domain: String) async throws -> OrganizationDomain?

    // MARK: Per-organization SSO

    /// Creates or replaces the organization's SSO. - Throws: `StoreError.notFound` for an
    /// unknown organization, provider or default role.
    func setSSO(_ sso: OrganizationSSO) async throws
    func sso(of organization: OrganizationID) async throws -> OrganizationSSO?
    func removeSSO(of organization: OrganizationID) async throws -> Bool
    /// The organizations whose SSO uses this provider (users arriving through it become members),
    /// by organization id. Deleting the provider removes their SSO.
    func ssoOrganizations(provider providerID: String) async throws -> [OrganizationSSO]
}
