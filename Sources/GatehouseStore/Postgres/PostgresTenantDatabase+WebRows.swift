import Foundation
import GatehouseCore
import PostgresNIO

/// Row decoding and small helpers of the web layer's stores on PostgreSQL (column lists are those
/// of `RowMapping.swift`, so both backends read the same columns).
extension PostgresRandomAccessRow {
    /// The value of column `name`; `T` is optional for a nullable column.
    /// - Throws: `PostgresDecodingError` when the column's type does not decode as `T`.
    func value<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        try self[name].decode(T.self)
    }

    /// The bytes of a `bytea` column, nil for NULL.
    func bytes(_ name: String) throws -> [UInt8]? {
        try self[name].decode(Data?.self).map { Array($0) }
    }
}

extension PostgresTenantDatabase {
    /// The first row's first column as `T`, nil when there is no row.
    static func scalar<T: PostgresDecodable>(_ rows: [PostgresRow], as type: T.Type = T.self) throws -> T? {
        try rows.first.map { try $0.decode(T.self) }
    }

    /// Takes a row lock on the user, so that checks of the user's rows made after it (the last
    /// factor, the last sign-in method) and the writes that follow are not interleaved with
    /// another transaction's (SQLite serializes every write transaction).
    /// - Returns: whether the user exists.
    @discardableResult
    func lockUser(_ id: UserID, on connection: PostgresConnection) async throws -> Bool {
        !(try await run("SELECT 1 FROM \(unescaped: schema).users WHERE id = \(id.rawValue) FOR NO KEY UPDATE", on: connection)).isEmpty
    }
}

extension User {
    init(postgres row: PostgresRow) throws {
        let r = row.makeRandomAccess()
        guard let id = UserID(rawValue: try r.value("id")) else { throw StoreError.unavailable("a user row has a malformed id") }
        self.init(
            id: id, email: try r.value("email"), emailVerified: try r.value("email_verified"), name: try r.value("name"),
            passwordHash: try r.value("password_hash"), disabled: try r.value("disabled"),
            publicMetadata: JSONColumn.decode([String: JSONValue].self, try r.value("public_metadata")) ?? [:],
            privateMetadata: JSONColumn.decode([String: JSONValue].self, try r.value("private_metadata")) ?? [:],
            createdAt: try r.value("created_at"), updatedAt: try r.value("updated_at"))
        UserProfileColumn.apply(try r.value("profile"), to: &self)
    }
}

extension OneTimeToken {
    static let columns = "id, purpose, user_id, token_hash, code_hash, attempts, context, created_at, expires_at, consumed_at"

    /// Nil for a purpose or user id this version does not know (as `TenantDatabase.oneTimeToken(row:)`).
    init?(postgres row: PostgresRow) throws {
        let r = row.makeRandomAccess()
        guard let purpose = OneTimePurpose(rawValue: try r.value("purpose")), let user = UserID(rawValue: try r.value("user_id")) else {
            return nil
        }
        self.init(
            id: try r.value("id"), purpose: purpose, userID: user, tokenHash: try r.bytes("token_hash"),
            codeHash: try r.bytes("code_hash"), attempts: try r.value("attempts"), context: try r.value("context"),
            createdAt: try r.value("created_at"), expiresAt: try r.value("expires_at"), consumedAt: try r.value("consumed_at"))
    }
}
