import Foundation

public enum InvitationKind: IdentifierKind { public static let prefix = "inv_" }
public typealias InvitationID = Identifier<InvitationKind>

/// An invitation of an email address into an organization with a role (docs/contract.md A8):
/// single use, expiring (7 days by default), revocable, and bound to the invited address — only
/// an account whose verified email is that address accepts it. The link's token is stored as its
/// SHA-256 only.
public struct OrganizationInvitation: Codable, Sendable, Equatable {
    public var id: InvitationID
    public var organizationID: OrganizationID
    /// Normalized (`EmailAddress.normalize`).
    public var email: String
    /// The role the invitee gets (an `OrganizationRole` name).
    public var role: String
    /// SHA-256 of the current link token; a resend replaces it.
    public var tokenHash: [UInt8]
    /// The member (or nil: an admin API caller) who invited.
    public var invitedBy: UserID?
    public var createdAt: Date
    public var expiresAt: Date
    public var acceptedAt: Date?
    public var acceptedBy: UserID?
    public var revokedAt: Date?

    public init(
        id: InvitationID, organizationID: OrganizationID, email: String, role: String, tokenHash: [UInt8],
        invitedBy: UserID?, createdAt: Date, expiresAt: Date, acceptedAt: Date? = nil, acceptedBy: UserID? = nil,
        revokedAt: Date? = nil
    ) {
        self.id = id
        self.organizationID = organizationID
        self.email = email
        self.role = role
        self.tokenHash = tokenHash
        self.invitedBy = invitedBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.acceptedAt = acceptedAt
        self.acceptedBy = acceptedBy
        self.revokedAt = revokedAt
    }

    /// The default lifetime of an invitation, in seconds (7 days).
    public static let defaultLifetime: TimeInterval = 7 * 24 * 3600

    /// `pending`, `accepted`, `revoked` or `expired` at `now`.
    public func status(at now: Date) -> String {
        if acceptedAt != nil { return "accepted" }
        if revokedAt != nil { return "revoked" }
        return expiresAt <= now ? "expired" : "pending"
    }

    /// Neither accepted nor revoked, and not expired at `now`.
    public func isPending(at now: Date) -> Bool { status(at: now) == "pending" }

    /// Whether `user` may accept it: the account's email is verified and is the invited address.
    public func isAddressed(to user: User) -> Bool {
        user.emailVerified && EmailAddress.normalize(user.email) == email
    }

    /// The role the invitee gets: the invitation's, or `member` when that role no longer exists
    /// in the tenant (it was deleted after the invitation was sent).
    public func joiningRole(roleExists: Bool) -> String { roleExists ? role : OrganizationRole.member }
}

/// The outcome of accepting an invitation, decided atomically (a link works once).
public enum InvitationAcceptance: Sendable, Equatable {
    /// The user is now a member (or already was: the membership is kept as it was).
    case accepted(OrganizationInvitation, Membership)
    /// Unknown token, or the invitation was accepted, revoked or has expired.
    case unusable
    /// The accepting account's verified email is not the invited address.
    case wrongAccount
}

/// A domain an organization holds (docs/contract.md A8). Verified domains route sign-ins
/// (home-realm discovery to the organization's own provider) and, with `autoJoin`, make users
/// whose verified email is in the domain members with the organization's default role.
public struct OrganizationDomain: Codable, Sendable, Equatable {
    public var organizationID: OrganizationID
    /// Lowercased DNS name (`OrganizationDomain.isValidName`), unique in the tenant.
    public var domain: String
    /// Set by the admin API's verify action in this version.
    public var verifiedAt: Date?
    public var autoJoin: Bool
    /// The role auto-joined users get.
    public var defaultRole: String
    public var createdAt: Date

    public init(
        organizationID: OrganizationID, domain: String, verifiedAt: Date? = nil, autoJoin: Bool = false,
        defaultRole: String = OrganizationRole.member, createdAt: Date
    ) {
        self.organizationID = organizationID
        self.domain = domain
        self.verifiedAt = verifiedAt
        self.autoJoin = autoJoin
        self.defaultRole = defaultRole
        self.createdAt = createdAt
    }

    /// A lowercase DNS name of at least two labels, each 1–63 characters of `a-z`, `0-9` and `-`
    /// (not at either end), at most 253 characters (RFC 1035 §2.3.1, RFC 1123 §2.1).
    public static func isValidName(_ domain: String) -> Bool {
        guard domain.utf8.count <= 253 else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        return labels.allSatisfy { label in
            (1...63).contains(label.utf8.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }
        }
    }
}

/// An organization's own upstream sign-in (per-organization SSO): addresses in its verified
/// domains are sent to `providerID` from the login page; with `enforced` their password
/// sign-in is refused. Users arriving through it become members with `defaultRole`.
public struct OrganizationSSO: Codable, Sendable, Equatable {
    public var organizationID: OrganizationID
    /// An upstream provider of the tenant (`idp_…`).
    public var providerID: String
    public var enforced: Bool
    public var defaultRole: String

    public init(organizationID: OrganizationID, providerID: String, enforced: Bool, defaultRole: String = OrganizationRole.member) {
        self.organizationID = organizationID
        self.providerID = providerID
        self.enforced = enforced
        self.defaultRole = defaultRole
    }
}
