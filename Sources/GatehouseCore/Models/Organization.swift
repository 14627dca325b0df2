import Foundation

/// An organization inside a tenant (docs/contract.md A8): the B2B customer company whose users act
/// within it. Tokens issued for it carry `org_id`, `org_role` and `org_permissions`.
public struct Organization: Codable, Sendable, Equatable {
    public var id: OrganizationID
    /// Display name, 1–200 characters.
    public var name: String
    /// Unique within the tenant; `OrganizationSlug.isValid`.
    public var slug: String
    /// JSON object readable by members (at most 8 KiB encoded).
    public var publicMetadata: [String: JSONValue]
    /// JSON object readable by admins only (at most 8 KiB encoded).
    public var privateMetadata: [String: JSONValue]
    /// Members must pass a second factor when acting within the organization, even when the
    /// tenant's MFA policy is `optional`.
    public var mfaRequired: Bool
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: OrganizationID, name: String, slug: String, publicMetadata: [String: JSONValue] = [:],
        privateMetadata: [String: JSONValue] = [:], mfaRequired: Bool = false, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.name = name
        self.slug = slug
        self.publicMetadata = publicMetadata
        self.privateMetadata = privateMetadata
        self.mfaRequired = mfaRequired
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Organization slugs: 1–64 characters of `a-z`, `0-9` and `-`, not starting or ending with `-`,
/// and never of the form of an organization id (so `{org}` in a URL is unambiguous).
public enum OrganizationSlug {
    public static func isValid(_ slug: String) -> Bool {
        guard (1...64).contains(slug.utf8.count), !slug.hasPrefix("-"), !slug.hasSuffix("-"),
            !slug.hasPrefix(OrganizationKind.prefix)
        else { return false }
        return slug.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }
    }
}

/// A role members hold in an organization: one of the built-in roles (`owner`, `admin`, `member`)
/// or a custom role of the tenant, with the permission strings tokens carry as `org_permissions`.
public struct OrganizationRole: Codable, Sendable, Equatable {
    /// `OrganizationRole.isValidName`; unique within the tenant.
    public var name: String
    /// Permission strings (`OrganizationRole.isValidPermission`), e.g. `invoices:read`, sorted, unique.
    public var permissions: [String]
    public var description: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(name: String, permissions: [String], description: String? = nil, createdAt: Date, updatedAt: Date) {
        self.name = name
        self.permissions = Array(Set(permissions)).sorted()
        self.description = description
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The built-in roles every tenant has. They cannot be renamed or deleted; their permission
    /// lists may be edited. Only an `owner` changes owners; an `owner` or `admin` manages members
    /// and invitations; an organization always keeps at least one `owner`.
    public static let owner = "owner"
    public static let admin = "admin"
    public static let member = "member"
    public static let builtIn: [String] = [owner, admin, member]

    public var isBuiltIn: Bool { Self.builtIn.contains(name) }

    /// 1–64 characters of `a-z`, `0-9`, `_` and `-`, starting with a letter.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, (0x61...0x7A).contains(first), (1...64).contains(name.utf8.count) else {
            return false
        }
        return name.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F || $0 == 0x2D }
    }

    /// 1–128 printable ASCII characters without spaces, quotes or backslashes (`invoices:read`,
    /// `org:billing:*`).
    public static func isValidPermission(_ permission: String) -> Bool {
        (1...128).contains(permission.utf8.count)
            && permission.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x27 && $0 != 0x5C }
    }
}

/// A user's membership in an organization, with one role.
public struct Membership: Codable, Sendable, Equatable {
    public var organizationID: OrganizationID
    public var userID: UserID
    /// The name of an `OrganizationRole` of the tenant.
    public var role: String
    public var createdAt: Date
    public var updatedAt: Date

    public init(organizationID: OrganizationID, userID: UserID, role: String, createdAt: Date, updatedAt: Date) {
        self.organizationID = organizationID
        self.userID = userID
        self.role = role
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// The organization a token acts within: what `org_id`, `org_role` and `org_permissions` say
/// (docs/contract.md A8), read afresh from the store at every issuance so that a refresh reflects
/// role changes.
public struct OrganizationContext: Sendable, Equatable {
    public var organization: Organization
    public var membership: Membership
    /// The permissions of the membership's role, sorted.
    public var permissions: [String]

    public init(organization: Organization, membership: Membership, permissions: [String]) {
        self.organization = organization
        self.membership = membership
        self.permissions = permissions
    }
}
