import Foundation
import GatehouseCore
import NIOCore
import PostgresNIO

/// Invitations, domains and per-organization SSO of a tenant schema
/// (`OrganizationInvitationStore`, docs/contract.md A8), as `TenantDatabase+OrganizationInvitations.swift`
/// does them on SQLite.
///
/// Transactions interleave here: inserting or renewing an invitation first locks its
/// organization's row (`FOR NO KEY UPDATE`), so two invitations to one address cannot both pass
/// the "one pending" check; accepting locks the invitation's row (`FOR UPDATE`), so of concurrent
/// acceptances the second re-reads it accepted. Rows that name a role hold it (`FOR KEY SHARE`).
extension PostgresTenantDatabase {
    // MARK: Invitations

    public func insertInvitation(_ invitation: OrganizationInvitation) async throws {
        try await transaction { connection in
            guard try await self.lockOrganization(invitation.organizationID, on: connection) else {
                throw StoreError.notFound("the organization does not exist")
            }
            guard try await self.holdRole(invitation.role, on: connection) else {
                throw StoreError.notFound("the role '\(invitation.role)' does not exist")
            }
            if try await self.pendingInvitationID(invitation.organizationID, invitation.email, at: invitation.createdAt, on: connection) != nil {
                throw StoreError.conflict("a pending invitation to '\(invitation.email)' exists; resend it instead")
            }
            let statement = self.insert(into: "organization_invitations", columns: OrganizationInvitation.columns, values: invitation.postgresValues)
            try await Self.mapConflict("the invitation exists") { try await self.run(statement, on: connection) }
        }
    }

    public func invitation(id: InvitationID) async throws -> OrganizationInvitation? {
        try await query(
            "SELECT \(unescaped: OrganizationInvitation.columns) FROM \(unescaped: schema).organization_invitations WHERE id = \(id.rawValue)"
        ).first.map(OrganizationInvitation.init(postgres:))
    }

    public func invitations(of organization: OrganizationID, limit: Int, before: InvitationID?) async throws -> [OrganizationInvitation] {
        try await query(
            """
            SELECT \(unescaped: OrganizationInvitation.columns) FROM \(unescaped: schema).organization_invitations
            WHERE organization_id = \(organization.rawValue) AND (\(before?.rawValue)::text IS NULL OR id < \(before?.rawValue))
            ORDER BY id DESC LIMIT \(limit)
            """
        ).map(OrganizationInvitation.init(postgres:))
    }

    public func pendingInvitations(email: String, at now: Date) async throws -> [OrganizationInvitation] {
        guard !Self.hasNUL(email) else { return [] }
        return try await query(
            """
            SELECT \(unescaped: OrganizationInvitation.columns) FROM \(unescaped: schema).organization_invitations
            WHERE email = \(email) AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > \(PostgresTimestamp(now)) ORDER BY id
            """
        ).map(OrganizationInvitation.init(postgres:))
    }

    public func pendingInvitation(tokenHash: [UInt8], at now: Date) async throws -> OrganizationInvitation? {
        try await query(
            """
            SELECT \(unescaped: OrganizationInvitation.columns) FROM \(unescaped: schema).organization_invitations
            WHERE token_hash = \(Data(tokenHash))
            """
        ).first.map(OrganizationInvitation.init(postgres:)).flatMap { $0.isPending(at: now) ? $0 : nil }
    }

    public func revokeInvitation(_ id: InvitationID, at now: Date) async throws -> Bool {
        let timestamp = PostgresTimestamp(now)
        return try await !query(
            """
            UPDATE \(unescaped: schema).organization_invitations SET revoked_at = \(timestamp)
            WHERE id = \(id.rawValue) AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > \(timestamp) RETURNING id
            """
        ).isEmpty
    }

    public func renewInvitation(_ id: InvitationID, tokenHash: [UInt8], expiresAt: Date, at now: Date) async throws
        -> OrganizationInvitation?
    {
        guard let found = try await invitation(id: id) else { return nil }
        return try await transaction { connection -> OrganizationInvitation? in
            _ = try await self.lockOrganization(found.organizationID, on: connection)
            guard
                var invitation = try await self.run(
                    """
                    SELECT \(unescaped: OrganizationInvitation.columns) FROM \(unescaped: self.schema).organization_invitations
                    WHERE id = \(id.rawValue) FOR UPDATE
                    """, on: connection
                ).first.map(OrganizationInvitation.init(postgres:)),
                invitation.acceptedAt == nil, invitation.revokedAt == nil
            else { return nil }
            let other = try await self.pendingInvitationID(invitation.organizationID, invitation.email, at: now, on: connection)
            guard other == nil || other == id.rawValue else { return nil }
            try await self.run(
                """
                UPDATE \(unescaped: self.schema).organization_invitations SET token_hash = \(Data(tokenHash)),
                expires_at = \(PostgresTimestamp(expiresAt)) WHERE id = \(id.rawValue)
                """, on: connection)
            invitation.tokenHash = tokenHash
            invitation.expiresAt = expiresAt
            return invitation
        }
    }

    public func acceptInvitation(tokenHash: [UInt8], user: User, at now: Date) async throws -> InvitationAcceptance {
        try await transaction { connection in
            guard
                var invitation = try await self.run(
                    """
                    SELECT \(unescaped: OrganizationInvitation.columns) FROM \(unescaped: self.schema).organization_invitations
                    WHERE token_hash = \(Data(tokenHash)) FOR UPDATE
                    """, on: connection
                ).first.map(OrganizationInvitation.init(postgres:)),
                invitation.isPending(at: now)
            else { return .unusable }
            guard
                let stored = try await self.run(
                    "SELECT \(unescaped: User.columns) FROM \(unescaped: self.schema).users WHERE id = \(user.id.rawValue) FOR KEY SHARE",
                    on: connection
                ).first.map(User.init(postgres:))
            else { throw StoreError.notFound("the user does not exist") }
            guard invitation.isAddressed(to: stored) else { return .wrongAccount }
            try await self.run(
                """
                UPDATE \(unescaped: self.schema).organization_invitations SET accepted_at = \(PostgresTimestamp(now)),
                accepted_by = \(user.id.rawValue) WHERE id = \(invitation.id.rawValue)
                """, on: connection)
            invitation.acceptedAt = now
            invitation.acceptedBy = user.id
            if let member = try await self.membership(organization: invitation.organizationID, user: user.id, on: connection) {
                return .accepted(invitation, member)
            }
            let role = invitation.joiningRole(roleExists: try await self.holdRole(invitation.role, on: connection))
            let member = Membership(organizationID: invitation.organizationID, userID: user.id, role: role, createdAt: now, updatedAt: now)
            try await self.insertMembership(member, on: connection)
            return .accepted(invitation, member)
        }
    }

    // MARK: Helpers

    /// Locks the organization's row against concurrent invitation writes (not against memberships,
    /// which take `FOR KEY SHARE`). - Returns: false when it does not exist.
    func lockOrganization(_ id: OrganizationID, on connection: PostgresConnection) async throws -> Bool {
        try await !run(
            "SELECT 1 FROM \(unescaped: schema).organizations WHERE id = \(id.rawValue) FOR NO KEY UPDATE", on: connection
        ).isEmpty
    }

    private func pendingInvitationID(_ organization: OrganizationID, _ email: String, at now: Date, on connection: PostgresConnection)
        async throws -> String?
    {
        let timestamp = PostgresTimestamp(now)
        return try await run(
            """
            SELECT id FROM \(unescaped: schema).organization_invitations WHERE organization_id = \(organization.rawValue)
            AND email = \(email) AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > \(timestamp)
            """, on: connection
        ).first?.decode(String.self)
    }

    private func membership(organization: OrganizationID, user: UserID, on connection: PostgresConnection) async throws -> Membership? {
        try await run(
            """
            SELECT \(unescaped: Membership.columns) FROM \(unescaped: schema).memberships
            WHERE organization_id = \(organization.rawValue) AND user_id = \(user.rawValue)
            """, on: connection
        ).first.map(Membership.init(postgres:))
    }
}

// MARK: Row mapping

extension OrganizationInvitation {
    init(postgres row: PostgresRow) throws {
        let r = PostgresRowReader(row)
        self.init(
            id: InvitationID(rawValue: try r("id"))!, organizationID: OrganizationID(rawValue: try r("organization_id"))!,
            email: try r("email"), role: try r("role"), tokenHash: try r.bytes("token_hash") ?? [],
            invitedBy: try r("invited_by", as: String?.self).flatMap(UserID.init(rawValue:)), createdAt: try r.date("created_at"),
            expiresAt: try r.date("expires_at"), acceptedAt: try r.optionalDate("accepted_at"),
            acceptedBy: try r("accepted_by", as: String?.self).flatMap(UserID.init(rawValue:)), revokedAt: try r.optionalDate("revoked_at"))
    }

    var postgresValues: PostgresBindings {
        let accepted: PostgresTimestamp? = acceptedAt.map { PostgresTimestamp($0) }
        let revoked: PostgresTimestamp? = revokedAt.map { PostgresTimestamp($0) }
        let values: [(any PostgresDynamicTypeEncodable)?] = [
            id.rawValue, organizationID.rawValue, email, role, ByteBuffer(bytes: tokenHash), invitedBy?.rawValue, PostgresTimestamp(createdAt),
            PostgresTimestamp(expiresAt), accepted, acceptedBy?.rawValue, revoked,
        ]
        return PostgresBindings(values)
    }
}

extension OrganizationDomain {
    init(postgres row: PostgresRow) throws {
        let r = PostgresRowReader(row)
        self.init(
            organizationID: OrganizationID(rawValue: try r("organization_id"))!, domain: try r("domain"),
            verifiedAt: try r.optionalDate("verified_at"), autoJoin: try r("auto_join"), defaultRole: try r("default_role"),
            createdAt: try r.date("created_at"))
    }

    var postgresValues: PostgresBindings {
        let verified: PostgresTimestamp? = verifiedAt.map { PostgresTimestamp($0) }
        let values: [(any PostgresDynamicTypeEncodable)?] = [domain, organizationID.rawValue, verified, autoJoin, defaultRole, PostgresTimestamp(createdAt)]
        return PostgresBindings(values)
    }
}

extension OrganizationSSO {
    init(postgres row: PostgresRow) throws {
        let r = PostgresRowReader(row)
        self.init(
            organizationID: OrganizationID(rawValue: try r("organization_id"))!, providerID: try r("provider_id"),
            enforced: try r("enforced"), defaultRole: try r("default_role"))
    }
}
