import Foundation
import GatehouseCore
import GRDB

/// Invitations, domains and per-organization SSO of a tenant database
/// (`OrganizationInvitationStore`, docs/contract.md A8). SQLite has one writer, so each check
/// (one pending invitation per address, a link used once) runs in the write transaction it guards.
extension TenantDatabase {
    // MARK: Invitations

    public func insertInvitation(_ invitation: OrganizationInvitation) async throws {
        try await pool.write { db in
            guard try Self.organizationExists(invitation.organizationID, db: db) else {
                throw StoreError.notFound("the organization does not exist")
            }
            guard try Self.roleExists(invitation.role, db: db) else { throw StoreError.notFound("the role '\(invitation.role)' does not exist") }
            if try Self.pendingInvitationID(invitation.organizationID, invitation.email, at: invitation.createdAt, db: db) != nil {
                throw StoreError.conflict("a pending invitation to '\(invitation.email)' exists; resend it instead")
            }
            do {
                try db.execute(
                    cached: "INSERT INTO organization_invitations (\(OrganizationInvitation.columns)) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    arguments: invitation.arguments)
            } catch let error as DatabaseError where Self.isUniqueViolation(error) {
                throw StoreError.conflict("the invitation exists")
            }
        }
    }

    public func invitation(id: InvitationID) async throws -> OrganizationInvitation? {
        try await pool.read { db in try Self.invitation(id, db: db) }
    }

    public func invitations(of organization: OrganizationID, limit: Int, before: InvitationID?) async throws -> [OrganizationInvitation] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                cached: """
                    SELECT \(OrganizationInvitation.columns) FROM organization_invitations
                    WHERE organization_id = ? AND (? IS NULL OR id < ?) ORDER BY id DESC LIMIT ?
                    """,
                arguments: [organization.rawValue, before?.rawValue, before?.rawValue, limit]
            ).map(OrganizationInvitation.init(row:))
        }
    }

    public func pendingInvitations(email: String, at now: Date) async throws -> [OrganizationInvitation] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                cached: """
                    SELECT \(OrganizationInvitation.columns) FROM organization_invitations
                    WHERE email = ? AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ? ORDER BY id
                    """,
                arguments: [email, now]
            ).map(OrganizationInvitation.init(row:)).filter { $0.email == email }
        }
    }

    public func pendingInvitation(tokenHash: [UInt8], at now: Date) async throws -> OrganizationInvitation? {
        try await pool.read { db in try Self.invitation(tokenHash: tokenHash, db: db) }.flatMap { $0.isPending(at: now) ? $0 : nil }
    }

    public func revokeInvitation(_ id: InvitationID, at now: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                cached: """
                    UPDATE organization_invitations SET revoked_at = ?
                    WHERE id = ? AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?
                    """,
                arguments: [now, id.rawValue, now])
            return db.changesCount > 0
        }
    }

    public func renewInvitation(_ id: InvitationID, tokenHash: [UInt8], expiresAt: Date, at now: Date) async throws
        -> OrganizationInvitation?
    {
        try await pool.write { db in
            guard var invitation = try Self.invitation(id, db: db), invitation.acceptedAt == nil, invitation.revokedAt == nil else {
                return nil
            }
            let other = try Self.pendingInvitationID(invitation.organizationID, invitation.email, at: now, db: db)
            guard other == nil || other == id.rawValue else { return nil }
            try db.execute(
                cached: "UPDATE organization_invitations SET token_hash = ?, expires_at = ? WHERE id = ?",
                arguments: [Data(tokenHash), expiresAt, id.rawValue])
            invitation.tokenHash = tokenHash
            invitation.expiresAt = expiresAt
            return invitation
        }
    }

    public func acceptInvitation(tokenHash: [UInt8], user: User, at now: Date) async throws -> InvitationAcceptance {
        try await pool.write { db in
            guard var invitation = try Self.invitation(tokenHash: tokenHash, db: db), invitation.isPending(at: now) else {
                return .unusable
            }
            guard
                let stored = try Row.fetchOne(db, cached: "SELECT \(User.columns) FROM users WHERE id = ?", arguments: [user.id.rawValue])
                    .map(User.init(row:))
            else { throw StoreError.notFound("the user does not exist") }
            guard invitation.isAddressed(to: stored) else { return .wrongAccount }
            try db.execute(
                cached: "UPDATE organization_invitations SET accepted_at = ?, accepted_by = ? WHERE id = ?",
                arguments: [now, user.id.rawValue, invitation.id.rawValue])
            invitation.acceptedAt = now
            invitation.acceptedBy = user.id
            if let member = try Self.membership(invitation.organizationID, user.id, db: db) { return .accepted(invitation, member) }
            let role = invitation.joiningRole(roleExists: try Self.roleExists(invitation.role, db: db))
            let member = Membership(organizationID: invitation.organizationID, userID: user.id, role: role, createdAt: now, updatedAt: now)
            try Self.insertMembership(member, db: db)
            return .accepted(invitation, member)
        }
    }

    // MARK: Domains

    public func insertDomain(_ domain: OrganizationDomain) async throws {
        try await pool.write { db in
            guard try Self.organizationExists(domain.organizationID, db: db) else { throw StoreError.notFound("the organization does not exist") }
            guard try Self.roleExists(domain.defaultRole, db: db) else {
                throw StoreError.notFound("the role '\(domain.defaultRole)' does not exist")
            }
            do {
                try db.execute(
                    cached: "INSERT INTO organization_domains (\(OrganizationDomain.columns)) VALUES (?,?,?,?,?,?)", arguments: domain.arguments)
            } catch let error as DatabaseError where Self.isUniqueViolation(error) {
                throw StoreError.conflict("the domain '\(domain.domain)' is held by an organization")
            }
        }
    }

    public func domains(of organization: OrganizationID) async throws -> [OrganizationDomain] {
        try await pool.read { db in
            try Row.fetchAll(
                db, cached: "SELECT \(OrganizationDomain.columns) FROM organization_domains WHERE organization_id = ? ORDER BY domain",
                arguments: [organization.rawValue]
            ).map(OrganizationDomain.init(row:))
        }
    }

    public func updateDomain(_ domain: OrganizationDomain) async throws -> Bool {
        try await pool.write { db in
            guard try Self.roleExists(domain.defaultRole, db: db) else {
                throw StoreError.notFound("the role '\(domain.defaultRole)' does not exist")
            }
            try db.execute(
                cached: "UPDATE organization_domains SET verified_at = ?, auto_join = ?, default_role = ? WHERE domain = ? AND organization_id = ?",
                arguments: [domain.verifiedAt, domain.autoJoin, domain.defaultRole, domain.domain, domain.organizationID.rawValue])
            return db.changesCount > 0
        }
    }

    public func removeDomain(_ domain: String, of organization: OrganizationID) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                cached: "DELETE FROM organization_domains WHERE domain = ? AND organization_id = ?", arguments: [domain, organization.rawValue])
            return db.changesCount > 0
        }
    }

    public func verifiedDomain(_ domain: String) async throws -> OrganizationDomain? {
        let name = domain.lowercased()
        let found = try await pool.read { db in
            try Row.fetchOne(
                db, cached: "SELECT \(OrganizationDomain.columns) FROM organization_domains WHERE domain = ? AND verified_at IS NOT NULL",
                arguments: [name]
            ).map(OrganizationDomain.init(row:))
        }
        return found?.domain == name ? found : nil
    }

    // MARK: Per-organization SSO

    public func setSSO(_ sso: OrganizationSSO) async throws {
        try await pool.write { db in
            guard try Self.organizationExists(sso.organizationID, db: db) else { throw StoreError.notFound("the organization does not exist") }
            guard try String.fetchOne(db, cached: "SELECT id FROM upstream_providers WHERE id = ?", arguments: [sso.providerID]) == sso.providerID
            else { throw StoreError.notFound("the upstream provider '\(sso.providerID)' does not exist") }
            guard try Self.roleExists(sso.defaultRole, db: db) else { throw StoreError.notFound("the role '\(sso.defaultRole)' does not exist") }
            try db.execute(
                cached: """
                    INSERT INTO organization_sso (organization_id, provider_id, enforced, default_role) VALUES (?,?,?,?)
                    ON CONFLICT (organization_id) DO UPDATE SET provider_id = excluded.provider_id, enforced = excluded.enforced,
                    default_role = excluded.default_role
                    """,
                arguments: [sso.organizationID.rawValue, sso.providerID, sso.enforced, sso.defaultRole])
        }
    }

    public func sso(of organization: OrganizationID) async throws -> OrganizationSSO? {
        try await pool.read { db in
            try Row.fetchOne(
                db, cached: "SELECT \(OrganizationSSO.columns) FROM organization_sso WHERE organization_id = ?", arguments: [organization.rawValue]
            ).map(OrganizationSSO.init(row:))
        }
    }

    public func removeSSO(of organization: OrganizationID) async throws -> Bool {
        try await pool.write { db in
            try db.execute(cached: "DELETE FROM organization_sso WHERE organization_id = ?", arguments: [organization.rawValue])
            return db.changesCount > 0
        }
    }

    public func ssoOrganizations(provider providerID: String) async throws -> [OrganizationSSO] {
        try await pool.read { db in
            try Row.fetchAll(
                db, cached: "SELECT \(OrganizationSSO.columns) FROM organization_sso WHERE provider_id = ? ORDER BY organization_id",
                arguments: [providerID]
            ).map(OrganizationSSO.init(row:)).filter { $0.providerID == providerID }
        }
    }

    // MARK: Helpers

    static func organizationExists(_ id: OrganizationID, db: Database) throws -> Bool {
        try Bool.fetchOne(db, cached: "SELECT 1 FROM organizations WHERE id = ?", arguments: [id.rawValue]) != nil
    }

    /// The id of the organization's pending invitation to `email` at `now`, if any.
    static func pendingInvitationID(_ organization: OrganizationID, _ email: String, at now: Date, db: Database) throws -> String? {
        try String.fetchOne(
            db,
            cached: """
                SELECT id FROM organization_invitations WHERE organization_id = ? AND email = ?
                AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?
                """,
            arguments: [organization.rawValue, email, now])
    }

    static func invitation(_ id: InvitationID, db: Database) throws -> OrganizationInvitation? {
        try Row.fetchOne(
            db, cached: "SELECT \(OrganizationInvitation.columns) FROM organization_invitations WHERE id = ?", arguments: [id.rawValue]
        ).map(OrganizationInvitation.init(row:))
    }

    static func invitation(tokenHash: [UInt8], db: Database) throws -> OrganizationInvitation? {
        try Row.fetchOne(
            db, cached: "SELECT \(OrganizationInvitation.columns) FROM organization_invitations WHERE token_hash = ?",
            arguments: [Data(tokenHash)]
        ).map(OrganizationInvitation.init(row:))
    }
}

// MARK: Row mapping

extension OrganizationInvitation {
    static let columns =
        "id, organization_id, email, role, token_hash, invited_by, created_at, expires_at, accepted_at, accepted_by, revoked_at"

    init(row: Row) {
        self.init(
            id: InvitationID(rawValue: row["id"])!, organizationID: OrganizationID(rawValue: row["organization_id"])!,
            email: row["email"], role: row["role"], tokenHash: Array(row["token_hash"] as Data),
            invitedBy: (row["invited_by"] as String?).flatMap(UserID.init(rawValue:)), createdAt: row.date("created_at"),
            expiresAt: row.date("expires_at"), acceptedAt: row.optionalDate("accepted_at"),
            acceptedBy: (row["accepted_by"] as String?).flatMap(UserID.init(rawValue:)), revokedAt: row.optionalDate("revoked_at"))
    }

    var arguments: SQLArguments {
        [
            id.rawValue, organizationID.rawValue, email, role, Data(tokenHash), invitedBy?.rawValue, createdAt, expiresAt, acceptedAt,
            acceptedBy?.rawValue, revokedAt,
        ]
    }
}

extension OrganizationDomain {
    static let columns = "domain, organization_id, verified_at, auto_join, default_role, created_at"

    init(row: Row) {
        self.init(
            organizationID: OrganizationID(rawValue: row["organization_id"])!, domain: row["domain"], verifiedAt: row.optionalDate("verified_at"),
            autoJoin: row["auto_join"], defaultRole: row["default_role"], createdAt: row.date("created_at"))
    }

    var arguments: SQLArguments { [domain, organizationID.rawValue, verifiedAt, autoJoin, defaultRole, createdAt] }
}

extension OrganizationSSO {
    static let columns = "organization_id, provider_id, enforced, default_role"

    init(row: Row) {
        self.init(
            organizationID: OrganizationID(rawValue: row["organization_id"])!, providerID: row["provider_id"], enforced: row["enforced"],
            defaultRole: row["default_role"])
    }
}
