import Foundation
import GatehouseCore
import GatehouseCrypto
import NIOCore
import PostgresNIO
import Synchronization

/// Clients of a tenant schema (`ClientStore`, `ClientAdminStore`), as `TenantDatabase.swift`
/// does them on SQLite.
extension PostgresTenantDatabase: ClientAdminStore, SessionStore, InteractionStore, GrantStore, KeyStore {
    public func client(clientID: String) async throws -> Client? {
        if let cached = caches.clients.withLock({ $0[clientID] }) { return cached }
        // Keys match exactly: a NUL byte cannot be in any stored client id (docs/architecture.md, Storage).
        guard !Self.hasNUL(clientID) else { return nil }
        let rows = try await query("SELECT \(unescaped: Client.columns) FROM \(unescaped: schema).clients WHERE client_id = \(clientID)")
        guard let found = try rows.first.map(Client.init(postgres:)), found.clientID == clientID else { return nil }
        caches.clients.withLock { $0[clientID] = found }
        return found
    }

    /// Stores a new client. The caller has registered its key in the instance index.
    /// - Throws: `StoreError.conflict` when its id, key or built-in name is taken.
    public func insertClient(_ client: Client, builtin: String? = nil) async throws {
        var values = client.postgresValues
        values.append(builtin)
        let statement = insert(into: "clients", columns: Client.columns + ", builtin", values: values)
        try await Self.mapConflict("a client with this id already exists") { try await query(statement) }
    }

    /// Replaces a client's mutable fields.
    public func updateClient(_ client: Client) async throws {
        try await query(
            """
            UPDATE \(unescaped: schema).clients SET name = \(client.name), secret_hash = \(client.secretHash.map { ByteBuffer(bytes: $0) }),
            redirect_uris = \(JSONColumn.encode(client.redirectURIs)),
            post_logout_redirect_uris = \(JSONColumn.encode(client.postLogoutRedirectURIs)),
            grant_types = \(JSONColumn.encode(client.grantTypes.map(\.rawValue).sorted())), first_party = \(client.firstParty),
            allowed_scopes = \(client.allowedScopes?.description), id_token_signed_response_alg = \(client.idTokenSigningAlgorithm.rawValue),
            access_token_signing_alg = \(client.accessTokenSigningAlgorithm.rawValue),
            previous_secret_hash = \(client.previousSecretHash.map { ByteBuffer(bytes: $0) }),
            previous_secret_expires_at = \(client.previousSecretExpiresAt.map(PostgresTimestamp.init)),
            organization_required = \(client.organizationRequired), custom_claims = \(JSONColumn.encode(client.customClaims)),
            token_endpoint_auth_method = \(client.tokenEndpointAuthMethod?.rawValue), jwks = \(client.jwks.map { JSONColumn.encode($0) }),
            jwks_uri = \(client.jwksURI), sealed_secret = \(client.sealedSecret.map { ByteBuffer(bytes: $0) }),
            sealed_previous_secret = \(client.sealedPreviousSecret.map { ByteBuffer(bytes: $0) }),
            require_pushed_authorization_requests = \(client.requirePushedAuthorizationRequests),
            backchannel_logout_uri = \(client.backchannelLogoutURI),
            backchannel_logout_session_required = \(client.backchannelLogoutSessionRequired),
            dpop_bound_access_tokens = \(client.dpopBoundAccessTokens)
            WHERE id = \(client.id.rawValue)
            """)
        caches.clients.withLock { $0[client.clientID] = nil }
    }

    /// Deletes a client and revokes its grants, in one transaction.
    public func deleteClient(clientID: String, at now: Date) async throws {
        guard !Self.hasNUL(clientID) else { return }
        let revoked = try await transaction { connection in
            let ids = try await self.revokeLiveGrants(.clientID, clientID, at: now, on: connection)
            try await self.run("DELETE FROM \(unescaped: self.schema).clients WHERE client_id = \(clientID)", on: connection)
            return ids
        }
        revocations.revokeGrants(revoked, at: now)
        caches.clients.withLock { $0[clientID] = nil }
    }

    public func listClients() async throws -> [Client] {
        try await query("SELECT \(unescaped: Client.columns) FROM \(unescaped: schema).clients WHERE builtin IS NULL ORDER BY id")
            .map(Client.init(postgres:))
    }

    /// The built-in client named `builtin` (e.g. `account-console`), if it exists.
    public func builtinClient(_ builtin: String) async throws -> Client? {
        guard !Self.hasNUL(builtin) else { return nil }
        return try await query("SELECT \(unescaped: Client.columns) FROM \(unescaped: schema).clients WHERE builtin = \(builtin)")
            .first.map(Client.init(postgres:))
    }

    /// Whether any client of the tenant signs ID tokens or access tokens with `algorithm`.
    func clientsUse(_ algorithm: JWSAlgorithm) async throws -> Bool {
        try await query(
            """
            SELECT EXISTS(SELECT 1 FROM \(unescaped: schema).clients
            WHERE id_token_signed_response_alg = \(algorithm.rawValue) OR access_token_signing_alg = \(algorithm.rawValue))
            """
        ).first?.decode(Bool.self) ?? false
    }
}
