import Foundation
import GatehouseCore
import GatehouseCrypto
import GRDB

/// Upstream login providers, linked identities and pending upstream sign-ins of one tenant.
extension TenantDatabase {
    // MARK: Providers

    static let providerColumns = """
        id, slug, kind, name, enabled, client_id, sealed_client_secret, discovery_url, issuer, authorization_url, token_url, \
        userinfo_url, scopes, claim_mapping, microsoft_tenant, trust_upstream_mfa, allow_signup, created_at, updated_at
        """

    func provider(row: Row) throws -> UpstreamProvider {
        var secret: String?
        if let sealed = row.bytes("sealed_client_secret") {
            do { secret = String(decoding: try masterKey.open(sealed), as: UTF8.self) } catch {
                throw StoreError.unavailable("cannot unseal the client secret of provider \(row["slug"] as String): wrong master key?")
            }
        }
        return UpstreamProvider(
            id: UpstreamProviderID(rawValue: row["id"])!, slug: row["slug"],
            kind: UpstreamProvider.Kind(rawValue: row["kind"]) ?? .oidc, name: row["name"], enabled: row["enabled"],
            clientID: row["client_id"], clientSecret: secret, discoveryURL: row["discovery_url"], issuer: row["issuer"],
            authorizationURL: row["authorization_url"], tokenURL: row["token_url"], userinfoURL: row["userinfo_url"],
            scopes: JSONColumn.decode([String].self, row["scopes"]) ?? [],
            claimMapping: JSONColumn.decode(UpstreamProvider.ClaimMapping.self, row["claim_mapping"]) ?? .init(),
            microsoftTenant: row["microsoft_tenant"], trustUpstreamMFA: row["trust_upstream_mfa"], allowSignup: row["allow_signup"],
            createdAt: row.date("created_at"), updatedAt: row.date("updated_at"))
    }

    func providerArguments(_ p: UpstreamProvider) -> SQLArguments {
        [
            p.id.rawValue, p.slug, p.kind.rawValue, p.name, p.enabled, p.clientID,
            p.clientSecret.map { Data(masterKey.seal(Array($0.utf8))) }, p.discoveryURL, p.issuer, p.authorizationURL, p.tokenURL,
            p.userinfoURL, JSONColumn.encode(p.scopes), JSONColumn.encode(p.claimMapping), p.microsoftTenant, p.trustUpstreamMFA,
            p.allowSignup, p.createdAt, p.updatedAt,
        ]
    }

    /// Every upstream provider of the tenant, by slug.
    public func upstreamProviders() async throws -> [UpstreamProvider] {
        try await pool.read { db in
            try Row.fetchAll(db, cached: "SELECT \(Self.providerColumns) FROM upstream_providers ORDER BY slug").map(self.provider(row:))
        }
    }

    /// The provider whose id (`idp_…`) or slug is `key`.
    public func upstreamProvider(_ key: String) async throws -> UpstreamProvider? {
        try await pool.read { db in
            try Row.fetchOne(
                db, cached: "SELECT \(Self.providerColumns) FROM upstream_providers WHERE id = ? OR slug = ?",
                arguments: [key, key]
            ).map(self.provider(row:))
        }
    }

    /// Stores a new provider, sealing its client secret.
    /// - Throws: `StoreError.conflict` when the slug is taken.
    public func insertUpstreamProvider(_ provider: UpstreamProvider) async throws {
        let arguments = providerArguments(provider)
        do {
            try await pool.write { db in
                try db.execute(
                    cached: "INSERT INTO upstream_providers (\(Self.providerColumns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    arguments: arguments)
            }
        } catch let error as DatabaseError
            where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE
            || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY
        {
            throw StoreError.conflict("a provider with slug '\(provider.slug)' already exists")
        }
    }

    /// Replaces a provider's fields (all but id and created_at).
    /// - Throws: `StoreError.conflict` when the new slug is taken.
    public func updateUpstreamProvider(_ p: UpstreamProvider) async throws {
        let sealed = p.clientSecret.map { Data(masterKey.seal(Array($0.utf8))) }
        do {
            try await pool.write { db in
                try db.execute(
                    cached: """
                        UPDATE upstream_providers SET slug = ?, kind = ?, name = ?, enabled = ?, client_id = ?, sealed_client_secret = ?,
                        discovery_url = ?, issuer = ?, authorization_url = ?, token_url = ?, userinfo_url = ?, scopes = ?, claim_mapping = ?,
                        microsoft_tenant = ?, trust_upstream_mfa = ?, allow_signup = ?, updated_at = ? WHERE id = ?
                        """,
                    arguments: [
                        p.slug, p.kind.rawValue, p.name, p.enabled, p.clientID, sealed, p.discoveryURL, p.issuer,
                        p.authorizationURL, p.tokenURL, p.userinfoURL, JSONColumn.encode(p.scopes),
                        JSONColumn.encode(p.claimMapping), p.microsoftTenant, p.trustUpstreamMFA, p.allowSignup,
                        p.updatedAt, p.id.rawValue,
                    ])
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw StoreError.conflict("a provider with slug '\(p.slug)' already exists")
        }
    }

    /// Deletes a provider with its linked identities and pending sign-ins.
    public func deleteUpstreamProvider(id: UpstreamProviderID) async throws {
        try await pool.write { db in
            try db.execute(cached: "DELETE FROM upstream_providers WHERE id = ?", arguments: [id.rawValue])
        }
    }

    // MARK: Pending sign-ins

    /// Stores a pending upstream sign-in and purges expired ones.
    public func insertFederationState(_ s: FederationState, now: Date) async throws {
        try await pool.write { db in
            try db.execute(cached: "DELETE FROM federation_states WHERE expires_at < ?", arguments: [now])
            try db.execute(
                cached: """
                    INSERT INTO federation_states (state_hash, provider_id, purpose, interaction_id, user_id, browser_binding_hash, nonce,
                    code_verifier, redirect_uri, created_at, expires_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)
                    """,
                arguments: [
                    Data(s.stateHash), s.providerID.rawValue, s.purpose.rawValue, s.interactionID, s.userID?.rawValue,
                    Data(s.browserBindingHash), s.nonce, s.codeVerifier, s.redirectURI, s.createdAt, s.expiresAt,
                ])
        }
    }

    /// Takes a pending sign-in out of the store (single use: a second call finds nothing).
    /// - Returns: the record, even if expired (the caller checks), or nil.
    public func consumeFederationState(hash: [UInt8]) async throws -> FederationState? {
        try await pool.write { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    cached: """
                        SELECT state_hash, provider_id, purpose, interaction_id, user_id, browser_binding_hash, nonce, code_verifier,
                        redirect_uri, created_at, expires_at FROM federation_states WHERE state_hash = ?
                        """, arguments: [Data(hash)])
            else { return nil }
            try db.execute(cached: "DELETE FROM federation_states WHERE state_hash = ?", arguments: [Data(hash)])
            guard let providerID = UpstreamProviderID(rawValue: row["provider_id"]),
                let purpose = FederationState.Purpose(rawValue: row["purpose"])
            else { return nil }
            return FederationState(
                stateHash: row.bytes("state_hash") ?? [], providerID: providerID, purpose: purpose,
                interactionID: row["interaction_id"], userID: (row["user_id"] as String?).flatMap(UserID.init(rawValue:)),
                browserBindingHash: row.bytes("browser_binding_hash") ?? [], nonce: row["nonce"], codeVerifier: row["code_verifier"],
                redirectURI: row["redirect_uri"], createdAt: row.date("created_at"), expiresAt: row.date("expires_at"))
        }
    }

    // MARK: Identities

    static let identityColumns = "id, user_id, provider_id, issuer, subject, email, created_at, last_used_at"

    static func identity(row: Row) -> UpstreamIdentity {
        UpstreamIdentity(
            id: UpstreamIdentityID(rawValue: row["id"])!, userID: UserID(rawValue: row["user_id"])!,
            providerID: UpstreamProviderID(rawValue: row["provider_id"])!, issuer: row["issuer"], subject: row["subject"],
            email: row["email"], createdAt: row.date("created_at"), lastUsedAt: row.optionalDate("last_used_at"))
    }

    static func insert(_ i: UpstreamIdentity, db: Database) throws {
        try db.execute(
            cached: "INSERT INTO upstream_identities (\(identityColumns)) VALUES (?,?,?,?,?,?,?,?)",
            arguments: [
                i.id.rawValue, i.userID.rawValue, i.providerID.rawValue, i.issuer, i.subject, i.email, i.createdAt,
                i.lastUsedAt,
            ])
    }

    /// The identity with this key, if linked.
    public func upstreamIdentity(providerID: UpstreamProviderID, issuer: String, subject: String) async throws -> UpstreamIdentity? {
        try await pool.read { db in
            try Row.fetchOne(
                db, cached: "SELECT \(Self.identityColumns) FROM upstream_identities WHERE provider_id = ? AND issuer = ? AND subject = ?",
                arguments: [providerID.rawValue, issuer, subject]
            ).map(Self.identity(row:))
        }
    }

    /// A user's linked identities, oldest first.
    public func upstreamIdentities(userID: UserID) async throws -> [UpstreamIdentity] {
        try await pool.read { db in
            try Row.fetchAll(
                db, cached: "SELECT \(Self.identityColumns) FROM upstream_identities WHERE user_id = ? ORDER BY created_at, id",
                arguments: [userID.rawValue]
            ).map(Self.identity(row:))
        }
    }

    /// Records a sign-in with an identity: when, and the email the provider reported.
    public func touchUpstreamIdentity(id: UpstreamIdentityID, email: String?, at now: Date) async throws {
        try await pool.write { db in
            try db.execute(
                cached: "UPDATE upstream_identities SET last_used_at = ?, email = ? WHERE id = ?",
                arguments: [now, email, id.rawValue])
        }
    }

    /// Links an identity to an existing user.
    /// - Throws: `StoreError.conflict` when the identity is already linked (to anyone).
    public func linkUpstreamIdentity(_ identity: UpstreamIdentity) async throws {
        do {
            try await pool.write { db in try Self.insert(identity, db: db) }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw StoreError.conflict("this upstream account is already linked")
        }
    }

    /// Creates a user and their first identity in one transaction: both or neither.
    /// - Throws: `StoreError.conflict` when the email is taken or the identity is already linked.
    public func insertUser(_ user: User, identity: UpstreamIdentity) async throws {
        do {
            try await pool.write { db in
                try db.execute(cached: "INSERT INTO users (\(User.columns)) VALUES (\(User.placeholders))", arguments: user.arguments)
                try Self.insert(identity, db: db)
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw StoreError.conflict("a user with this email, or this upstream identity, already exists")
        }
    }
}
