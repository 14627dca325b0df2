import Foundation
import GatehouseCore
import GatehouseCrypto
import GRDB
import Synchronization

/// One tenant's SQLite database (WAL) and the caches that belong to it.
///
/// The only way to obtain one is `InstanceStore.database(for:)` with a `ResolvedTenant`, so every
/// query here is scoped to that tenant by construction: there is no tenant id parameter to get wrong.
public final class TenantDatabase: TenantHandle, Sendable {
    public let tenant: ResolvedTenant
    /// The file's pool; its writes carry the current task's pending audit entries (`AuditedPool`).
    let pool: AuditedPool
    let caches: TenantCaches
    var revocations: RevocationIndex { caches.revocations }
    /// Access tokens of this tenant already verified (shared by the tenant's live handles).
    public var verifiedTokens: VerifiedTokenCache { caches.verifiedTokens }
    /// Entries held by the in-memory revocation index (revoked grants, revoked `jti`s).
    public var revocationCounts: (grants: Int, accessTokens: Int) { revocations.counts }
    let keyPolicy: KeyPolicy
    let masterKey: SecretBox

    init(tenant: ResolvedTenant, pool: DatabasePool, masterKey: SecretBox, keyPolicy: KeyPolicy, caches: TenantCaches, now: Date) throws {
        self.tenant = tenant
        self.keyPolicy = keyPolicy
        self.pool = AuditedPool(base: pool)
        self.masterKey = masterKey
        self.caches = caches
        // A tenant update makes a new handle, so the horizon follows the access-token lifetime.
        caches.revocations.setHorizon(TimeInterval(tenant.tenant.settings.accessTokenTTL))
        // Shared caches are loaded once, by the first handle.
        guard
            caches.loaded.withLock({ loaded in
                defer { loaded = true }; return !loaded
            })
        else { return }
        let since = caches.revocations.loadFrom(now: now)
        let (grants, tokens) = try pool.read { db in
            let g = try Row.fetchAll(db, cached: "SELECT id, revoked_at FROM grants WHERE revoked_at >= ?", arguments: [since])
                .map { ($0["id"] as String, $0.date("revoked_at")) }
            let t = try Row.fetchAll(db, cached: "SELECT jti, expires_at FROM revoked_access_tokens WHERE expires_at > ?", arguments: [now])
                .map { ($0["jti"] as String, $0.date("expires_at")) }
            return (g, t)
        }
        revocations.load(grants: grants, accessTokens: tokens, since: since)
    }

    // MARK: Clients

    public func client(clientID: String) async throws -> Client? {
        if let cached = caches.clients.withLock({ $0[clientID] }) { return cached }
        let found = try await pool.read { db in
            try Row.fetchOne(db, cached: "SELECT \(Client.columns) FROM clients WHERE client_id = ?", arguments: [clientID])
                .map(Client.init(row:))
        }
        // Exact matches only: SQLite binds text up to a NUL byte, so `id\0…` would find `id` and be
        // cached under a key that no later update or deletion of the client clears.
        guard let found, found.clientID == clientID else { return nil }
        caches.clients.withLock { $0[clientID] = found }
        return found
    }

    /// Stores a new client. The caller has registered its key in the instance index.
    public func insertClient(_ client: Client, builtin: String? = nil) async throws {
        try await pool.write { db in
            try db.execute(
                cached: "INSERT INTO clients (\(Client.columns), builtin) VALUES (\(Client.placeholders),?)",
                arguments: client.arguments + [builtin])
        }
    }

    /// Replaces a client's mutable fields.
    public func updateClient(_ client: Client) async throws {
        try await pool.write { db in
            try db.execute(
                cached: """
                    UPDATE clients SET name = ?, secret_hash = ?, redirect_uris = ?, post_logout_redirect_uris = ?,
                    grant_types = ?, first_party = ?, allowed_scopes = ?, id_token_signed_response_alg = ?,
                    access_token_signing_alg = ?, previous_secret_hash = ?, previous_secret_expires_at = ?,
                    organization_required = ?, custom_claims = ?, token_endpoint_auth_method = ?, jwks = ?, jwks_uri = ?,
                    sealed_secret = ?, sealed_previous_secret = ?, require_pushed_authorization_requests = ?,
                    backchannel_logout_uri = ?, backchannel_logout_session_required = ?, dpop_bound_access_tokens = ? WHERE id = ?
                    """,
                arguments: [
                    client.name, client.secretHash.map { Data($0) }, JSONColumn.encode(client.redirectURIs),
                    JSONColumn.encode(client.postLogoutRedirectURIs),
                    JSONColumn.encode(client.grantTypes.map(\.rawValue).sorted()), client.firstParty,
                    client.allowedScopes?.description, client.idTokenSigningAlgorithm.rawValue,
                    client.accessTokenSigningAlgorithm.rawValue, client.previousSecretHash.map { Data($0) },
                    client.previousSecretExpiresAt, client.organizationRequired, JSONColumn.encode(client.customClaims),
                    client.tokenEndpointAuthMethod?.rawValue, client.jwks.map { JSONColumn.encode($0) }, client.jwksURI,
                    client.sealedSecret.map { Data($0) }, client.sealedPreviousSecret.map { Data($0) },
                    client.requirePushedAuthorizationRequests, client.backchannelLogoutURI, client.backchannelLogoutSessionRequired,
                    client.dpopBoundAccessTokens, client.id.rawValue,
                ])
        }
        caches.clients.withLock { $0[client.clientID] = nil }
    }

    /// Deletes a client and revokes its grants.
    public func deleteClient(clientID: String, at now: Date) async throws {
        let revoked = try await pool.write { db in
            let ids = try Self.revokeLiveGrants(.clientID, clientID, at: now, db: db)
            try db.execute(cached: "DELETE FROM clients WHERE client_id = ?", arguments: [clientID])
            return ids
        }
        revocations.revokeGrants(revoked, at: now)
        caches.clients.withLock { $0[clientID] = nil }
    }

    public func listClients() async throws -> [Client] {
        try await pool.read { db in
            try Row.fetchAll(db, cached: "SELECT \(Client.columns) FROM clients WHERE builtin IS NULL ORDER BY id").map(Client.init(row:))
        }
    }

    /// The built-in client named `builtin` (e.g. `account-console`), if it exists.
    public func builtinClient(_ builtin: String) async throws -> Client? {
        try await pool.read { db in
            try Row.fetchOne(db, cached: "SELECT \(Client.columns) FROM clients WHERE builtin = ?", arguments: [builtin]).map(Client.init(row:))
        }
    }

    // MARK: Users

    public func user(id: UserID) async throws -> User? {
        try await pool.read { db in
            try Row.fetchOne(db, cached: "SELECT \(User.columns) FROM users WHERE id = ?", arguments: [id.rawValue]).map(User.init(row:))
        }
    }

    public func user(email: String) async throws -> User? {
        try await pool.read { db in
            try Row.fetchOne(db, cached: "SELECT \(User.columns) FROM users WHERE email = ?", arguments: [email]).map(User.init(row:))
        }
    }

    /// Stores a new user.
    /// - Throws: `StoreError.conflict` when the email is taken.
    public func insertUser(_ user: User) async throws {
        do {
            try await pool.write { db in
                try db.execute(cached: "INSERT INTO users (\(User.columns)) VALUES (\(User.placeholders))", arguments: user.arguments)
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw StoreError.conflict("a user with this email already exists")
        }
    }

    /// Users in id order (oldest first), after the user `after` (keyset pagination).
    /// - Parameters:
    ///   - email: only the user with this normalized email.
    ///   - query: only users whose email or name contains this text (case-insensitive for ASCII).
    public func listUsers(limit: Int, after: UserID?, email: String?, query: String?) async throws -> [User] {
        try await pool.read { db in
            var sql = "SELECT \(User.columns) FROM users WHERE id > ?"
            var arguments: SQLArguments = [after?.rawValue ?? ""]
            if let email {
                sql += " AND email = ?"
                arguments += [email]
            }
            if let query {
                let pattern = Self.likePattern(query)
                sql += " AND (email LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\')"
                arguments += [pattern, pattern]
            }
            sql += " ORDER BY id LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, cached: sql, arguments: arguments).map(User.init(row:))
        }
    }

    public func updatePasswordHash(userID: UserID, hash: String, at: Date) async throws {
        try await pool.write { db in
            try db.execute(cached: "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?", arguments: [hash, at, userID.rawValue])
        }
    }
}
