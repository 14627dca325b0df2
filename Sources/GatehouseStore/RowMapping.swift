import Foundation
import GatehouseCrypto
import GatehouseCore
import GRDB

/// Row ↔ model mapping for the tenant database. Columns are listed once per table.
enum JSONColumn {
    static let encoder = JSONEncoder()
    /// Shared, as `encoder` is: neither is configured after creation, and decoding keeps its state per call.
    static let decoder = JSONDecoder()
    static func encode<T: Encodable>(_ value: T) -> String {
        (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "null"
    }
    static func decode<T: Decodable>(_ type: T.Type, _ text: String?) -> T? {
        guard let text else { return nil }
        if text.utf8.count == 2, let empty = empty(T.self, text) { return empty }
        return try? decoder.decode(T.self, from: Data(text.utf8))
    }

    /// The value of `{}` or `[]` for the types whose columns are mostly empty (metadata, custom
    /// claims, profiles, lists), without a `JSONDecoder` run: the token paths read several per
    /// request. Nil for other types and text (`JSONColumnTests` checks these against the decoder).
    static func empty<T>(_: T.Type, _ text: String) -> T? {
        switch text {
        case "{}":
            if T.self == [String: JSONValue].self { return [String: JSONValue]() as? T }
            if T.self == [String: CustomClaim].self { return [String: CustomClaim]() as? T }
            if T.self == UserProfileColumn.Stored.self { return UserProfileColumn.Stored() as? T }
        case "[]":
            if T.self == [String].self { return [String]() as? T }
        default: break
        }
        return nil
    }
}

extension Row {
    func bytes(_ column: String) -> [UInt8]? {
        (self[column] as Data?).map { Array($0) }
    }
}

extension Client {
    static let columns = """
        id, client_id, name, type, secret_hash, redirect_uris, post_logout_redirect_uris, grant_types, first_party, allowed_scopes, \
        id_token_signed_response_alg, access_token_signing_alg, previous_secret_hash, previous_secret_expires_at, created_at, \
        organization_required, custom_claims, token_endpoint_auth_method, jwks, jwks_uri, sealed_secret, sealed_previous_secret, \
        require_pushed_authorization_requests, backchannel_logout_uri, backchannel_logout_session_required, dpop_bound_access_tokens
        """
    static let placeholders = "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?"

    init(row: Row) {
        self.init(
            id: ClientRecordID(rawValue: row["id"])!,
            clientID: row["client_id"],
            name: row["name"],
            type: ClientType(rawValue: row["type"]) ?? .confidential,
            secretHash: row.bytes("secret_hash"),
            redirectURIs: JSONColumn.decode([String].self, row["redirect_uris"]) ?? [],
            postLogoutRedirectURIs: JSONColumn.decode([String].self, row["post_logout_redirect_uris"]) ?? [],
            grantTypes: Set((JSONColumn.decode([String].self, row["grant_types"]) ?? []).compactMap(GrantType.init(rawValue:))),
            firstParty: row["first_party"],
            allowedScopes: (row["allowed_scopes"] as String?).flatMap { try? ScopeSet(parsing: $0) },
            idTokenSigningAlgorithm: JWSAlgorithm(rawValue: row["id_token_signed_response_alg"]) ?? .eddsa,
            accessTokenSigningAlgorithm: JWSAlgorithm(rawValue: row["access_token_signing_alg"]) ?? .eddsa,
            previousSecretHash: row.bytes("previous_secret_hash"),
            previousSecretExpiresAt: row.optionalDate("previous_secret_expires_at"),
            organizationRequired: row["organization_required"],
            customClaims: JSONColumn.decode([String: CustomClaim].self, row["custom_claims"]) ?? [:], createdAt: row.date("created_at"))
        tokenEndpointAuthMethod = (row["token_endpoint_auth_method"] as String?).flatMap(ClientAuthenticationMethod.init(rawValue:))
        jwks = JSONColumn.decode([JWK].self, row["jwks"])
        jwksURI = row["jwks_uri"]
        sealedSecret = row.bytes("sealed_secret")
        sealedPreviousSecret = row.bytes("sealed_previous_secret")
        requirePushedAuthorizationRequests = row["require_pushed_authorization_requests"]
        backchannelLogoutURI = row["backchannel_logout_uri"]
        backchannelLogoutSessionRequired = row["backchannel_logout_session_required"]
        dpopBoundAccessTokens = row["dpop_bound_access_tokens"]
    }

    var arguments: SQLArguments {
        [
            id.rawValue, clientID, name, type.rawValue, secretHash.map { Data($0) }, JSONColumn.encode(redirectURIs),
            JSONColumn.encode(postLogoutRedirectURIs), JSONColumn.encode(grantTypes.map(\.rawValue).sorted()), firstParty,
            allowedScopes?.description, idTokenSigningAlgorithm.rawValue, accessTokenSigningAlgorithm.rawValue,
            previousSecretHash.map { Data($0) }, previousSecretExpiresAt, createdAt, organizationRequired,
            JSONColumn.encode(customClaims), tokenEndpointAuthMethod?.rawValue, jwks.map { JSONColumn.encode($0) }, jwksURI,
            sealedSecret.map { Data($0) }, sealedPreviousSecret.map { Data($0) }, requirePushedAuthorizationRequests,
            backchannelLogoutURI, backchannelLogoutSessionRequired, dpopBoundAccessTokens,
        ]
    }
}

extension User {
    static let columns =
        "id, email, email_verified, name, password_hash, disabled, created_at, updated_at, public_metadata, private_metadata, profile"
    static let placeholders = "?,?,?,?,?,?,?,?,?,?,?"

    init(row: Row) {
        self.init(
            id: UserID(rawValue: row["id"])!, email: row["email"], emailVerified: row["email_verified"],
            name: row["name"], passwordHash: row["password_hash"], disabled: row["disabled"],
            publicMetadata: JSONColumn.decode([String: JSONValue].self, row["public_metadata"]) ?? [:],
            privateMetadata: JSONColumn.decode([String: JSONValue].self, row["private_metadata"]) ?? [:],
            createdAt: row.date("created_at"), updatedAt: row.date("updated_at"))
        UserProfileColumn.apply(row["profile"], to: &self)
    }

    var arguments: SQLArguments {
        [
            id.rawValue, email, emailVerified, name, passwordHash, disabled, createdAt, updatedAt, JSONColumn.encode(publicMetadata),
            JSONColumn.encode(privateMetadata), UserProfileColumn.encode(self),
        ]
    }
}

extension Session {
    static let columns = "id, token_hash, user_id, auth_time, amr, created_at, expires_at, revoked_at, user_agent, ip_address"

    init(row: Row) {
        self.init(
            id: SessionID(rawValue: row["id"])!, tokenHash: row.bytes("token_hash") ?? [],
            userID: UserID(rawValue: row["user_id"])!, authTime: row.date("auth_time"),
            amr: JSONColumn.decode([String].self, row["amr"]) ?? [], createdAt: row.date("created_at"),
            expiresAt: row.date("expires_at"), revokedAt: row.optionalDate("revoked_at"), userAgent: row["user_agent"],
            ipAddress: row["ip_address"])
    }

    var arguments: SQLArguments {
        [
            id.rawValue, Data(tokenHash), userID.rawValue, authTime, JSONColumn.encode(amr), createdAt, expiresAt, revokedAt,
            userAgent, ipAddress,
        ]
    }
}

extension Interaction {
    static let columns =
        "id, csrf_token, browser_binding_hash, request, user_id, login_done, consent_done, created_at, expires_at, organization"

    init?(row: Row) {
        guard let request = JSONColumn.decode(AuthorizationRequest.self, row["request"]) else { return nil }
        self.init(
            id: row["id"], csrfToken: row["csrf_token"], browserBindingHash: row.bytes("browser_binding_hash") ?? [],
            request: request, userID: (row["user_id"] as String?).flatMap(UserID.init(rawValue:)),
            loginDone: row["login_done"], consentDone: row["consent_done"],
            organization: (row["organization"] as String?).flatMap(OrganizationChoice.init(stored:)),
            createdAt: row.date("created_at"), expiresAt: row.date("expires_at"))
    }

    var arguments: SQLArguments {
        [
            id, csrfToken, Data(browserBindingHash), JSONColumn.encode(request), userID?.rawValue, loginDone, consentDone,
            createdAt, expiresAt, organization?.stored,
        ]
    }
}

extension Grant {
    static let columns =
        "id, client_id, user_id, session_id, scope, auth_time, amr, nonce, created_at, revoked_at, organization_id, claims, resources"
    static let placeholders = "?,?,?,?,?,?,?,?,?,?,?,?,?"

    init(row: Row) {
        self.init(
            id: GrantID(rawValue: row["id"])!, clientID: row["client_id"], userID: UserID(rawValue: row["user_id"])!,
            sessionID: (row["session_id"] as String?).flatMap(SessionID.init(rawValue:)),
            scope: (try? ScopeSet(parsing: row["scope"])) ?? [], authTime: row.date("auth_time"),
            amr: JSONColumn.decode([String].self, row["amr"]) ?? [], nonce: row["nonce"],
            organizationID: (row["organization_id"] as String?).flatMap(OrganizationID.init(rawValue:)),
            claimsRequest: JSONColumn.decode(ClaimsRequest.self, row["claims"]), createdAt: row.date("created_at"),
            revokedAt: row.optionalDate("revoked_at"))
        resources = JSONColumn.decode([String].self, row["resources"])
    }

    var arguments: SQLArguments {
        [
            id.rawValue, clientID, userID.rawValue, sessionID?.rawValue, scope.description, authTime, JSONColumn.encode(amr),
            nonce, createdAt, revokedAt, organizationID?.rawValue, claimsRequest.map(JSONColumn.encode), resources.map(JSONColumn.encode),
        ]
    }
}

extension AuthorizationCode {
    init(row: Row) {
        self.init(
            codeHash: row.bytes("code_hash") ?? [], grantID: GrantID(rawValue: row["grant_id"])!,
            clientID: row["client_id"], redirectURI: row["redirect_uri"], redirectURIWasSent: row["redirect_uri_sent"],
            codeChallenge: row["code_challenge"], expiresAt: row.date("expires_at"), consumedAt: row.optionalDate("consumed_at"))
    }
}

extension RefreshToken {
    init(row: Row) {
        self.init(
            tokenHash: row.bytes("token_hash") ?? [], grantID: GrantID(rawValue: row["grant_id"])!,
            issuedAt: row.date("issued_at"), expiresAt: row.date("expires_at"), rotatedAt: row.optionalDate("rotated_at"))
    }
}

extension SigningKeyRecord {
    static let columns = "kid, algorithm, sealed_private_key, created_at, activates_at, retires_at, expires_at"

    init(row: Row) {
        self.init(
            kid: row["kid"], algorithm: row["algorithm"], sealedPrivateKey: row.bytes("sealed_private_key") ?? [],
            createdAt: row.date("created_at"), activatesAt: row.date("activates_at"), retiresAt: row.optionalDate("retires_at"),
            expiresAt: row.optionalDate("expires_at"))
    }
}
