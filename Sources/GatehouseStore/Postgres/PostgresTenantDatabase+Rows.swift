import Foundation
import GatehouseCore
import GatehouseCrypto
import NIOCore
import PostgresNIO

/// A `Date` as PostgreSQL `timestamptz` (microseconds since 2000-01-01 UTC), rounded to the
/// nearest microsecond both ways, so that a date of millisecond (or microsecond) precision reads
/// back equal. PostgresNIO's own `Date` codec truncates on the way in (`12.123` can come back as
/// `12.122999`).
struct PostgresTimestamp: PostgresNonThrowingEncodable, PostgresDecodable, Sendable {
    let date: Date

    init(_ date: Date) { self.date = date }

    /// Microseconds from 2000-01-01 (PostgreSQL's epoch) to 2001-01-01 (Foundation's).
    static let epochOffset: Int64 = 366 * 86400 * 1_000_000

    static var psqlType: PostgresDataType { .timestamptz }
    static var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        let microseconds = Int64((date.timeIntervalSinceReferenceDate * 1_000_000).rounded()) + Self.epochOffset
        byteBuffer.writeInteger(microseconds)
    }

    init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat, context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        guard type == .timestamptz || type == .timestamp, format == .binary, buffer.readableBytes == 8,
            let microseconds = buffer.readInteger(as: Int64.self)
        else { throw PostgresDecodingError.Code.typeMismatch }
        date = Date(timeIntervalSinceReferenceDate: Double(microseconds - Self.epochOffset) / 1_000_000)
    }
}

/// One result row, read by column name.
struct PostgresRowReader {
    private let row: PostgresRandomAccessRow

    init(_ row: PostgresRow) { self.row = row.makeRandomAccess() }

    /// The value of `column` as `T` (an optional `T` for a nullable column).
    func callAsFunction<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try row[column].decode(T.self)
    }

    func date(_ column: String) throws -> Date { try row[column].decode(PostgresTimestamp.self).date }

    func optionalDate(_ column: String) throws -> Date? { try row[column].decode(PostgresTimestamp?.self)?.date }

    func bytes(_ column: String) throws -> [UInt8]? { try row[column].decode(Data?.self).map { Array($0) } }
}

extension PostgresTenantDatabase {
    /// Whether one of `keys` holds a NUL byte, which no PostgreSQL text value can: a lookup by
    /// such a key finds nothing (as on SQLite, where keys match exactly), without asking the server.
    static func hasNUL(_ keys: String?...) -> Bool { keys.contains { $0?.utf8.contains(0) ?? false } }

    /// `INSERT INTO {schema}.table (columns) VALUES ($1, …)` with `values`, in the order of `columns`.
    func insert(into table: String, columns: String, values: PostgresBindings) -> PostgresQuery {
        let placeholders = (1...values.count).map { "$\($0)" }.joined(separator: ",")
        return PostgresQuery(unsafeSQL: "INSERT INTO \(schema).\(table) (\(columns)) VALUES (\(placeholders))", binds: values)
    }

    /// Runs `body`, turning PostgreSQL's unique violation into `StoreError.conflict(message)`.
    static func mapConflict<T>(_ message: String, _ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch  where isUniqueViolation(error) { throw StoreError.conflict(message) }
    }
}

extension PostgresBindings {
    /// `values` in order, nil as SQL NULL.
    init(_ values: [(any PostgresDynamicTypeEncodable)?]) {
        self.init(capacity: values.count)
        for value in values {
            if let value { append(value) } else { appendNull() }
        }
    }
}

// MARK: Models

extension Client {
    init(postgres row: PostgresRow) throws {
        let r = PostgresRowReader(row)
        self.init(
            id: ClientRecordID(rawValue: try r("id"))!, clientID: try r("client_id"), name: try r("name"),
            type: ClientType(rawValue: try r("type")) ?? .confidential, secretHash: try r.bytes("secret_hash"),
            redirectURIs: JSONColumn.decode([String].self, try r("redirect_uris")) ?? [],
            postLogoutRedirectURIs: JSONColumn.decode([String].self, try r("post_logout_redirect_uris")) ?? [],
            grantTypes: Set((JSONColumn.decode([String].self, try r("grant_types")) ?? []).compactMap(GrantType.init(rawValue:))),
            firstParty: try r("first_party"), allowedScopes: try r("allowed_scopes", as: String?.self).flatMap { try? ScopeSet(parsing: $0) },
            idTokenSigningAlgorithm: JWSAlgorithm(rawValue: try r("id_token_signed_response_alg")) ?? .eddsa,
            accessTokenSigningAlgorithm: JWSAlgorithm(rawValue: try r("access_token_signing_alg")) ?? .eddsa,
            previousSecretHash: try r.bytes("previous_secret_hash"),
            previousSecretExpiresAt: try r.optionalDate("previous_secret_expires_at"),
            organizationRequired: try r("organization_required"),
            customClaims: JSONColumn.decode([String: CustomClaim].self, try r("custom_claims")) ?? [:], createdAt: try r.date("created_at"))
        tokenEndpointAuthMethod = try r("token_endpoint_auth_method", as: String?.self).flatMap(ClientAuthenticationMethod.init(rawValue:))
        jwks = JSONColumn.decode([JWK].self, try r("jwks", as: String?.self))
        jwksURI = try r("jwks_uri", as: String?.self)
        sealedSecret = try r.bytes("sealed_secret")
        sealedPreviousSecret = try r.bytes("sealed_previous_secret")
        requirePushedAuthorizationRequests = try r("require_pushed_authorization_requests")
        backchannelLogoutURI = try r("backchannel_logout_uri", as: String?.self)
        backchannelLogoutSessionRequired = try r("backchannel_logout_session_required")
        dpopBoundAccessTokens = try r("dpop_bound_access_tokens")
    }

    /// The values of `columns`, in order.
    var postgresValues: PostgresBindings {
        PostgresBindings([
            id.rawValue, clientID, name, type.rawValue, secretHash.map { ByteBuffer(bytes: $0) },
            JSONColumn.encode(redirectURIs), JSONColumn.encode(postLogoutRedirectURIs),
            JSONColumn.encode(grantTypes.map(\.rawValue).sorted()), firstParty, allowedScopes?.description,
            idTokenSigningAlgorithm.rawValue, accessTokenSigningAlgorithm.rawValue,
            previousSecretHash.map { ByteBuffer(bytes: $0) }, previousSecretExpiresAt.map(PostgresTimestamp.init),
            PostgresTimestamp(createdAt), organizationRequired, JSONColumn.encode(customClaims),
            tokenEndpointAuthMethod?.rawValue, jwks.map { JSONColumn.encode($0) }, jwksURI, sealedSecret.map { ByteBuffer(bytes: $0) },
            sealedPreviousSecret.map { ByteBuffer(bytes: $0) }, requirePushedAuthorizationRequests, backchannelLogoutURI,
            backchannelLogoutSessionRequired, dpopBoundAccessTokens,
        ])
    }
}

extension Session {
    init(postgres row: PostgresRow) throws {
        let r = PostgresRowReader(row)
        self.init(
            id: SessionID(rawValue: try r("id"))!, tokenHash: try r.bytes("token_hash") ?? [],
            userID: UserID(rawValue: try r("user_id"))!, authTime: try r.date("auth_time"),
            amr: JSONColumn.decode([String].self, try r("amr")) ?? [], createdAt: try r.date("created_at"),
            expiresAt: try r.date("expires_at"), revokedAt: try r.optionalDate("revoked_at"), userAgent: try r("user_agent"),
            ipAddress: try r("ip_address"))
    }

    var postgresValues: PostgresBindings {
        PostgresBindings([
            id.rawValue, ByteBuffer(bytes: tokenHash), userID.rawValue, PostgresTimestamp(authTime), JSONColumn.encode(amr),
            PostgresTimestamp(createdAt), PostgresTimestamp(expiresAt), revokedAt.map(PostgresTimestamp.init), userAgent,
            ipAddress,
        ])
    }
}

extension Interaction {
    init?(postgres row: PostgresRow) throws {
        let r = PostgresRowReader(row)
        guard let request = JSONColumn.decode(AuthorizationRequest.self, try r("request")) else { return nil }
        self.init(
            id: try r("id"), csrfToken: try r("csrf_token"), browserBindingHash: try r.bytes("browser_binding_hash") ?? [],
            request: request, userID: try r("user_id", as: String?.self).flatMap(UserID.init(rawValue:)),
            loginDone: try r("login_done"), consentDone: try r("consent_done"),
            organization: try r("organization", as: String?.self).flatMap(OrganizationChoice.init(stored:)),
            createdAt: try r.date("created_at"), expiresAt: try r.date("expires_at"))
    }

    var postgresValues: PostgresBindings {
        PostgresBindings([
            id, csrfToken, ByteBuffer(bytes: browserBindingHash), JSONColumn.encode(request), userID?.rawValue, loginDone,
            consentDone, PostgresTimestamp(createdAt), PostgresTimestamp(expiresAt), organization?.stored,
        ])
    }
}

extension Grant {
    init(postgres row: PostgresRow) throws {
        let r = PostgresRowReader(row)
        self.init(
            id: GrantID(rawValue: try r("id"))!, clientID: try r("client_id"), userID: UserID(rawValue: try r("user_id"))!,
            sessionID: try r("session_id", as: String?.self).flatMap(SessionID.init(rawValue:)),
            scope: (try? ScopeSet(parsing: try r("scope"))) ?? [], authTime: try r.date("auth_time"),
            amr: JSONColumn.decode([String].self, try r("amr")) ?? [], nonce: try r("nonce"),
            organizationID: try r("organization_id", as: String?.self).flatMap(OrganizationID.init(rawValue:)),
            claimsRequest: JSONColumn.decode(ClaimsRequest.self, try r("claims", as: String?.self)), createdAt: try r.date("created_at"),
            revokedAt: try r.optionalDate("revoked_at"))
        resources = JSONColumn.decode([String].self, try r("resources", as: String?.self))
    }

    var postgresValues: PostgresBindings {
        PostgresBindings([
            id.rawValue, clientID, userID.rawValue, sessionID?.rawValue, scope.description, PostgresTimestamp(authTime),
            JSONColumn.encode(amr), nonce, PostgresTimestamp(createdAt), revokedAt.map(PostgresTimestamp.init),
            organizationID?.rawValue, claimsRequest.map(JSONColumn.encode), resources.map(JSONColumn.encode),
        ])
    }
}

extension AuthorizationCode {
    static let columns = "code_hash, grant_id, client_id, redirect_uri, redirect_uri_sent, code_challenge, expires_at, consumed_at"

    init(postgres row: PostgresRow) throws {
        let r = PostgresRowReader(row)
        self.init(
            codeHash: try r.bytes("code_hash") ?? [], grantID: GrantID(rawValue: try r("grant_id"))!,
            clientID: try r("client_id"), redirectURI: try r("redirect_uri"), redirectURIWasSent: try r("redirect_uri_sent"),
            codeChallenge: try r("code_challenge"), expiresAt: try r.date("expires_at"), consumedAt: try r.optionalDate("consumed_at"))
    }

    var postgresValues: PostgresBindings {
        PostgresBindings([
            ByteBuffer(bytes: codeHash), grantID.rawValue, clientID, redirectURI, redirectURIWasSent, codeChallenge,
            PostgresTimestamp(expiresAt), consumedAt.map(PostgresTimestamp.init),
        ])
    }
}

extension RefreshToken {
    static let columns = "token_hash, grant_id, issued_at, expires_at, rotated_at"

    init(postgres row: PostgresRow) throws {
        let r = PostgresRowReader(row)
        self.init(
            tokenHash: try r.bytes("token_hash") ?? [], grantID: GrantID(rawValue: try r("grant_id"))!,
            issuedAt: try r.date("issued_at"), expiresAt: try r.date("expires_at"), rotatedAt: try r.optionalDate("rotated_at"))
    }
}

extension SigningKeyRecord {
    init(postgres row: PostgresRow) throws {
        let r = PostgresRowReader(row)
        self.init(
            kid: try r("kid"), algorithm: try r("algorithm"), sealedPrivateKey: try r.bytes("sealed_private_key") ?? [],
            createdAt: try r.date("created_at"), activatesAt: try r.date("activates_at"), retiresAt: try r.optionalDate("retires_at"),
            expiresAt: try r.optionalDate("expires_at"))
    }

    var postgresValues: PostgresBindings {
        PostgresBindings([
            kid, algorithm, ByteBuffer(bytes: sealedPrivateKey), PostgresTimestamp(createdAt), PostgresTimestamp(activatesAt),
            retiresAt.map(PostgresTimestamp.init), expiresAt.map(PostgresTimestamp.init),
        ])
    }
}
