import Foundation
import GatehouseCore
import GRDB

/// Removal of a user's sign-in methods: one write transaction (SQLite's single writer) counts the
/// user's methods, deletes, counts again and rolls back when the floor refuses.
extension TenantDatabase: SignInMethodStore {
    public func removeSignInMethod(_ method: SignInMethod, userID: UserID, keeping floor: SignInFloor) async throws -> SignInMethodRemoval {
        let (table, key) = Self.row(of: method)
        let user = userID.rawValue
        do {
            return try await pool.write { db in
                guard let before = try Self.signInMethods(userID, db) else { return .notFound }
                try db.execute(cached: "DELETE FROM \(table) = ? AND user_id = ?", arguments: [key, user])
                guard db.changesCount == 1 else { return .notFound }
                guard let after = try Self.signInMethods(userID, db) else { return .notFound }
                if let refusal = floor.refusal(before: before, after: after) { throw SignInFloorRefusal(refusal: refusal) }
                if after.secondFactors.isEmpty {
                    try db.execute(cached: "DELETE FROM recovery_codes WHERE user_id = ?", arguments: [user])
                }
                return .removed
            }
        } catch let kept as SignInFloorRefusal {
            return kept.refusal
        }
    }

    static func signInMethods(_ userID: UserID, _ db: Database) throws -> SignInMethods? {
        try Row.fetchOne(db, cached: signInMethodsQuery, arguments: [userID.rawValue]).map {
            SignInMethods(password: $0[0], upstreamIdentities: $0[1], passkeys: $0[2], secondFactors: kinds($0[3]))
        }
    }

    /// A user's password, linked identities at enabled providers, passkeys and `mfa_factors`
    /// kinds (space-separated by `concat`: SQLite's `group_concat`, PostgreSQL's `string_agg`);
    /// `prefix` qualifies the tables (`{schema}.` on PostgreSQL).
    static func signInMethodsQuery(prefix schema: String = "", concat: String = "group_concat") -> String {
        """
        SELECT password_hash IS NOT NULL,
            (SELECT COUNT(*) FROM \(schema)upstream_identities i JOIN \(schema)upstream_providers p ON p.id = i.provider_id
                WHERE i.user_id = u.id AND p.enabled),
            (SELECT COUNT(*) FROM \(schema)passkeys WHERE user_id = u.id),
            (SELECT \(concat)(kind, ' ') FROM \(schema)mfa_factors WHERE user_id = u.id)
        FROM \(schema)users u WHERE u.id = 
        """
    }

    static let signInMethodsQuery = signInMethodsQuery() + "?"

    /// The kinds in a space-separated list of `mfa_factors` kinds (NULL: none).
    static func kinds(_ list: String?) -> Set<MFAFactorKind> {
        Set((list ?? "").split(separator: " ").compactMap { MFAFactorKind(rawValue: String($0)) })
    }

    /// The row of `method`: its table with the key column (`passkeys WHERE id`) and the key.
    static func row(of method: SignInMethod) -> (table: String, key: String) {
        switch method {
        case .passkey(let id): ("passkeys WHERE id", id)
        case .upstreamIdentity(let id): ("upstream_identities WHERE id", id.rawValue)
        case .secondFactor(let kind): ("mfa_factors WHERE kind", kind.rawValue)
        }
    }
}

/// Thrown inside a removal's transaction to roll it back when the floor keeps the method.
struct SignInFloorRefusal: Error {
    let refusal: SignInMethodRemoval
}
