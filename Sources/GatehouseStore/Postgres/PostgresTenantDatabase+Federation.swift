import Foundation
import GatehouseCore
import GatehouseCrypto
import PostgresNIO

/// Upstream login providers, linked identities and pending upstream sign-ins of one tenant on
/// PostgreSQL (`FederationStore`), as `TenantDatabase+Federation.swift` does on SQLite (same
/// column lists: `TenantDatabase.providerColumns`, `TenantDatabase.identityColumns`).
extension PostgresTenantDatabase {
    // MARK: Providers

    func provider(row: PostgresRow) throws -> UpstreamProvider {
        let r = row.makeRandomAccess()
        let slug: String = try r.value("slug")
        var secret: String?
        if let sealed = try r.bytes("sealed_client_secret") {
            do { secret = String(decoding: try masterKey.open(sealed), as: UTF8.self) } catch {
                throw StoreError.unavailable("cannot unseal the client secret of provider \(slug): wrong master key?")
            }
        }
        guard let id = UpstreamProviderID(rawValue: try r.value("id")) else {
            throw StoreError.unavailable("provider \(slug) has a malformed id")
        }
        return UpstreamProvider(
            id: id, slug: slug, kind: UpstreamProvider.Kind(rawValue: try r.value("kind")) ?? .oidc, name: try r.value("name"),
            enabled: try r.value("enabled"), clientID: try r.value("client_id"), clientSecret: secret,
            discoveryURL: try r.value("discovery_url"), issuer: try r.value("issuer"), authorizationURL: try r.value("authorization_url"),
            tokenURL: try r.value("token_url"), userinfoURL: try r.value("userinfo_url"),
            scopes: JSONColumn.decode([String].self, try r.value("scopes")) ?? [],
            claimMapping: JSONColumn.decode(UpstreamProvider.ClaimMapping.self, try r.value("claim_mapping")) ?? .init(),
            microsoftTenant: try r.value("microsoft_tenant"), trustUpstreamMFA: try r.value("trust_upstream_mfa"),
            allowSignup: try r.value("allow_signup"), createdAt: try r.value("created_at"), updatedAt: try r.value("updated_at"))
    }

    /// Every upstream provider of the tenant, by slug (bytewise, as SQLite orders text).
    public func upstreamProviders() async throws -> [UpstreamProvider] {
        try await query(
            "SELECT \(unescaped: TenantDatabase.providerColumns) FROM \(unescaped: schema).upstream_providers ORDER BY slug COLLATE \"C\""
        ).map(provider(row:))
    }

    /// The provider whose id (`idp_…`) or slug is `key`; nil for a key holding U+0000.
    public func upstreamProvider(_ key: String) async throws -> UpstreamProvider? {
        guard !Self.hasNUL(key) else { return nil }
        return try await query(
            """
            SELECT \(unescaped: TenantDatabase.providerColumns) FROM \(unescaped: schema).upstream_providers
            WHERE id = \(key) OR slug = \(key)
            """
        ).first.map(provider(row:))
    }

    /// Stores a new provider, sealing its client secret.
    /// - Throws: `StoreError.conflict` when the slug (or the id) is taken.
    public func insertUpstreamProvider(_ p: UpstreamProvider) async throws {
        let sealed = p.clientSecret.map { Data(masterKey.seal(Array($0.utf8))) }
        do {
            try await query(
                """
                INSERT INTO \(unescaped: schema).upstream_providers (\(unescaped: TenantDatabase.providerColumns)) VALUES (\(p.id.rawValue), \
                \(p.slug), \(p.kind.rawValue), \(p.name), \(p.enabled), \(p.clientID), \(sealed), \(p.discoveryURL), \(p.issuer), \
                \(p.authorizationURL), \(p.tokenURL), \(p.userinfoURL), \(JSONColumn.encode(p.scopes)), \
                \(JSONColumn.encode(p.claimMapping)), \(p.microsoftTenant), \(p.trustUpstreamMFA), \(p.allowSignup), \(p.createdAt), \
                \(p.updatedAt))
                """)
        } catch  where Self.isUniqueViolation(error) {
            throw StoreError.conflict("a provider with slug '\(p.slug)' already exists")
        }
    }

    /// Replaces a provider's fields (all but id and created_at).
    /// - Throws: `StoreError.conflict` when the new slug is taken.
    public func updateUpstreamProvider(_ p: UpstreamProvider) async throws {
        let sealed = p.clientSecret.map { Data(masterKey.seal(Array($0.utf8))) }
        do {
            try await query(
                """
                UPDATE \(unescaped: schema).upstream_providers SET slug = \(p.slug), kind = \(p.kind.rawValue), name = \(p.name), \
                enabled = \(p.enabled), client_id = \(p.clientID), sealed_client_secret = \(sealed), discovery_url = \(p.discoveryURL), \
                issuer = \(p.issuer), authorization_url = \(p.authorizationURL), token_url = \(p.tokenURL), \
                userinfo_url = \(p.userinfoURL), scopes = \(JSONColumn.encode(p.scopes)), claim_mapping = \(JSONColumn.encode(p.claimMapping)), \
                microsoft_tenant = \(p.microsoftTenant), trust_upstream_mfa = \(p.trustUpstreamMFA), allow_signup = \(p.allowSignup), \
                updated_at = \(p.updatedAt) WHERE id = \(p.id.rawValue)
                """)
        } catch  where Self.isUniqueViolation(error) {
            throw StoreError.conflict("a provider with slug '\(p.slug)' already exists")
        }
    }

    /// Deletes a provider with its linked identities and pending sign-ins (foreign keys cascade).
    public func deleteUpstreamProvider(id: UpstreamProviderID) async throws {
        try await query("DELETE FROM \(unescaped: schema).upstream_providers WHERE id = \(id.rawValue)")
    }

    // MARK: Pending sign-ins

    /// Stores a pending upstream sign-in and purges expired ones.
    public func insertFederationState(_ s: FederationState, now: Date) async throws {
        try await transaction { connection in
            try await self.run("DELETE FROM \(unescaped: self.schema).federation_states WHERE expires_at < \(now)", on: connection)
            try await self.run(
                """
                INSERT INTO \(unescaped: self.schema).federation_states (state_hash, provider_id, purpose, interaction_id, user_id,
                browser_binding_hash, nonce, code_verifier, redirect_uri, created_at, expires_at)
                VALUES (\(Data(s.stateHash)), \(s.providerID.rawValue), \(s.purpose.rawValue), \(s.interactionID), \(s.userID?.rawValue), \
                \(Data(s.browserBindingHash)), \(s.nonce), \(s.codeVerifier), \(s.redirectURI), \(s.createdAt), \(s.expiresAt))
                """, on: connection)
        }
    }

    /// Takes a pending sign-in out of the store in one `DELETE … RETURNING` (single use: of
    /// concurrent calls one gets the record).
    /// - Returns: the record, even if expired (the caller checks), or nil.
    public func consumeFederationState(hash: [UInt8]) async throws -> FederationState? {
        let rows = try await query(
            """
            DELETE FROM \(unescaped: schema).federation_states WHERE state_hash = \(Data(hash))
            RETURNING state_hash, provider_id, purpose, interaction_id, user_id, browser_binding_hash, nonce, code_verifier,
            redirect_uri, created_at, expires_at
            """)
        guard let row = rows.first?.makeRandomAccess(), let providerID = UpstreamProviderID(rawValue: try row.value("provider_id")),
            let purpose = FederationState.Purpose(rawValue: try row.value("purpose"))
        else { return nil }
        return FederationState(
            stateHash: try row.bytes("state_hash") ?? [], providerID: providerID, purpose: purpose,
            interactionID: try row.value("interaction_id"), userID: (try row.value("user_id", as: String?.self)).flatMap(UserID.init(rawValue:)),
            browserBindingHash: try row.bytes("browser_binding_hash") ?? [], nonce: try row.value("nonce"),
            codeVerifier: try row.value("code_verifier"), redirectURI: try row.value("redirect_uri"), createdAt: try row.value("created_at"),
            expiresAt: try row.value("expires_at"))
    }

    // MARK: Identities

    static func identity(row: PostgresRow) throws -> UpstreamIdentity {
        let r = row.makeRandomAccess()
        guard let id = UpstreamIdentityID(rawValue: try r.value("id")), let user = UserID(rawValue: try r.value("user_id")),
            let provider = UpstreamProviderID(rawValue: try r.value("provider_id"))
        else { throw StoreError.unavailable("an upstream identity row has a malformed id") }
        return UpstreamIdentity(
            id: id, userID: user, providerID: provider, issuer: try r.value("issuer"), subject: try r.value("subject"),
            email: try r.value("email"), createdAt: try r.value("created_at"), lastUsedAt: try r.value("last_used_at"))
    }

    func insertion(of i: UpstreamIdentity) -> PostgresQuery {
        """
        INSERT INTO \(unescaped: schema).upstream_identities (\(unescaped: TenantDatabase.identityColumns)) VALUES (\(i.id.rawValue), \
        \(i.userID.rawValue), \(i.providerID.rawValue), \(i.issuer), \(i.subject), \(i.email), \(i.createdAt), \(i.lastUsedAt))
        """
    }

    /// The identity with this key, if linked; nil for an issuer or subject holding U+0000.
    public func upstreamIdentity(providerID: UpstreamProviderID, issuer: String, subject: String) async throws -> UpstreamIdentity? {
        guard !Self.hasNUL(issuer, subject) else { return nil }
        return try await query(
            """
            SELECT \(unescaped: TenantDatabase.identityColumns) FROM \(unescaped: schema).upstream_identities
            WHERE provider_id = \(providerID.rawValue) AND issuer = \(issuer) AND subject = \(subject)
            """
        ).first.map(Self.identity(row:))
    }

    /// A user's linked identities, oldest first.
    public func upstreamIdentities(userID: UserID) async throws -> [UpstreamIdentity] {
        try await query(
            """
            SELECT \(unescaped: TenantDatabase.identityColumns) FROM \(unescaped: schema).upstream_identities
            WHERE user_id = \(userID.rawValue) ORDER BY created_at, id COLLATE "C"
            """
        ).map(Self.identity(row:))
    }

    /// Records a sign-in with an identity: when, and the email the provider reported.
    public func touchUpstreamIdentity(id: UpstreamIdentityID, email: String?, at now: Date) async throws {
        try await query(
            "UPDATE \(unescaped: schema).upstream_identities SET last_used_at = \(now), email = \(email) WHERE id = \(id.rawValue)")
    }

    /// Links an identity to an existing user.
    /// - Throws: `StoreError.conflict` when the identity is already linked (to anyone).
    public func linkUpstreamIdentity(_ identity: UpstreamIdentity) async throws {
        do {
            try await query(insertion(of: identity))
        } catch  where Self.isUniqueViolation(error) {
            throw StoreError.conflict("this upstream account is already linked")
        }
    }

    /// Creates a user and their first identity in one transaction: both or neither.
    /// - Throws: `StoreError.conflict` when the email is taken or the identity is already linked.
    public func insertUser(_ user: User, identity: UpstreamIdentity) async throws {
        do {
            try await transaction { connection in
                try await self.run(Self.insertion(of: user, schema: self.schema), on: connection)
                try await self.run(self.insertion(of: identity), on: connection)
            }
        } catch  where Self.isUniqueViolation(error) {
            throw StoreError.conflict("a user with this email, or this upstream identity, already exists")
        }
    }
}
