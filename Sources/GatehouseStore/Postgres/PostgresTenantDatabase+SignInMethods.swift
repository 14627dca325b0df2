import Foundation
import GatehouseCore
import PostgresNIO

/// Removal of a user's sign-in methods, as `TenantDatabase+SignInMethods.swift` on SQLite: the
/// user's row is locked first (`FOR NO KEY UPDATE`), so a concurrent removal on any node waits and
/// then counts without what this one removed (under READ COMMITTED, set here whatever the
/// database's default: each statement sees what committed before it); a refused removal rolls back.
extension PostgresTenantDatabase: SignInMethodStore {
    public func removeSignInMethod(_ method: SignInMethod, userID: UserID, keeping floor: SignInFloor) async throws -> SignInMethodRemoval {
        let (table, key) = TenantDatabase.row(of: method)
        guard !Self.hasNUL(key) else { return .notFound }
        let s = schema
        let user = userID.rawValue
        do {
            return try await transaction { connection in
                // Each count after the lock must see the rows committed while it waited.
                try await self.run("SET TRANSACTION ISOLATION LEVEL READ COMMITTED", on: connection)
                guard try await self.lockUser(userID, on: connection), let before = try await self.signInMethods(userID, on: connection) else {
                    return .notFound
                }
                let deleted = try await self.run(
                    "DELETE FROM \(unescaped: s).\(unescaped: table) = \(key) AND user_id = \(user) RETURNING user_id", on: connection)
                guard !deleted.isEmpty, let after = try await self.signInMethods(userID, on: connection) else { return .notFound }
                if let refusal = floor.refusal(before: before, after: after) { throw SignInFloorRefusal(refusal: refusal) }
                if after.secondFactors.isEmpty {
                    try await self.run("DELETE FROM \(unescaped: s).recovery_codes WHERE user_id = \(user)", on: connection)
                }
                return .removed
            }
        } catch let kept as SignInFloorRefusal {
            return kept.refusal
        }
    }

    func signInMethods(_ userID: UserID, on connection: PostgresConnection) async throws -> SignInMethods? {
        let query = TenantDatabase.signInMethodsQuery(prefix: schema + ".", concat: "string_agg")
        let rows = try await run("\(unescaped: query)\(userID.rawValue)", on: connection)
        guard let row = rows.first else { return nil }
        let (password, identities, passkeys, kinds) = try row.decode((Bool, Int64, Int64, String?).self)
        return SignInMethods(
            password: password, upstreamIdentities: Int(identities), passkeys: Int(passkeys), secondFactors: TenantDatabase.kinds(kinds))
    }
}
