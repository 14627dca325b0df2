import Foundation
import GatehouseCore
import PostgresNIO

/// One-time tokens, pending sign-ins, sign-in completion and sign-in failure counters of one
/// tenant on PostgreSQL (`AccountStore`), as `TenantDatabase+Accounts.swift` does on SQLite.
///
/// SQLite runs one write transaction at a time; here concurrent transactions interleave, so every
/// consume-once step is one conditional `UPDATE`/`DELETE … RETURNING`, or reads its row
/// `FOR UPDATE` before deciding.
extension PostgresTenantDatabase {
    // MARK: One-time tokens

    public func insertOneTimeToken(_ token: OneTimeToken) async throws {
        try await query(
            """
            INSERT INTO \(unescaped: schema).one_time_tokens (id, purpose, user_id, token_hash, code_hash, attempts, context, created_at, expires_at)
            VALUES (\(token.id), \(token.purpose.rawValue), \(token.userID.rawValue), \(token.tokenHash.map { Data($0) }), \
            \(token.codeHash.map { Data($0) }), \(token.attempts), \(token.context), \(token.createdAt), \(token.expiresAt))
            """)
    }

    /// Consumes the link token with this hash for `purpose` in one conditional update: of
    /// concurrent calls at most one gets the token; nil when unknown, used, expired or for another
    /// purpose.
    /// - Returns: the token as it was before this consumption (`consumedAt` nil).
    public func consumeOneTimeLink(hash: [UInt8], purpose: OneTimePurpose, at now: Date) async throws -> OneTimeToken? {
        let rows = try await query(
            """
            UPDATE \(unescaped: schema).one_time_tokens SET consumed_at = \(now)
            WHERE token_hash = \(Data(hash)) AND purpose = \(purpose.rawValue) AND consumed_at IS NULL AND expires_at > \(now)
            RETURNING \(unescaped: OneTimeToken.columns)
            """)
        guard var token = try rows.first.flatMap(OneTimeToken.init(postgres:)) else { return nil }
        token.consumedAt = nil
        return token
    }

    /// A live, unconsumed link token of `purpose`, without consuming it (to render its form).
    public func peekOneTimeLink(hash: [UInt8], purpose: OneTimePurpose, at now: Date) async throws -> OneTimeToken? {
        let rows = try await query(
            """
            SELECT \(unescaped: OneTimeToken.columns) FROM \(unescaped: schema).one_time_tokens
            WHERE token_hash = \(Data(hash)) AND purpose = \(purpose.rawValue) AND consumed_at IS NULL AND expires_at > \(now)
            """)
        return try rows.first.flatMap(OneTimeToken.init(postgres:))
    }

    /// Checks a code against the user's newest live token for `purpose`: a match consumes it; a
    /// miss counts an attempt, and after `maxAttempts` the token is spent. Checks of one user's
    /// codes take turns on the user's row lock (so each sees the previous one's outcome and, as
    /// on SQLite, the newest token still live), and the token's row stays locked (`FOR UPDATE`)
    /// from the read to the write against any other writer.
    public func consumeOneTimeCode(
        userID: UserID, purpose: OneTimePurpose, at now: Date, maxAttempts: Int,
        matches: @Sendable (OneTimeToken) -> Bool
    ) async throws -> OneTimeToken? {
        try await transaction { connection in
            try await self.lockUser(userID, on: connection)
            let rows = try await self.run(
                """
                SELECT \(unescaped: OneTimeToken.columns) FROM \(unescaped: self.schema).one_time_tokens
                WHERE user_id = \(userID.rawValue) AND purpose = \(purpose.rawValue) AND consumed_at IS NULL AND expires_at > \(now)
                AND attempts < \(maxAttempts) ORDER BY created_at DESC LIMIT 1 FOR UPDATE
                """, on: connection)
            guard let token = try rows.first.flatMap(OneTimeToken.init(postgres:)) else { return nil }
            if matches(token) {
                try await self.run(
                    "UPDATE \(unescaped: self.schema).one_time_tokens SET consumed_at = \(now) WHERE id = \(token.id)", on: connection)
                return token
            }
            try await self.run(
                "UPDATE \(unescaped: self.schema).one_time_tokens SET attempts = attempts + 1 WHERE id = \(token.id)", on: connection)
            return nil
        }
    }

    // MARK: Pending sign-ins

    public func savePendingSignIn(_ pending: PendingSignIn) async throws {
        try await query(
            """
            INSERT INTO \(unescaped: schema).pending_sign_ins (id_hash, user_id, client_id, amr, scope, stage, sealed_enrol_secret,
            email_code_hash, email_code_expires_at, attempts, created_at, expires_at, organization)
            VALUES (\(Data(pending.idHash)), \(pending.userID.rawValue), \(pending.clientID), \(JSONColumn.encode(pending.amr)), \
            \(pending.scope), \(pending.stage.rawValue), \(pending.sealedEnrolSecret.map { Data($0) }), \
            \(pending.emailCodeHash.map { Data($0) }), \(pending.emailCodeExpiresAt), \(pending.attempts), \(pending.createdAt), \
            \(pending.expiresAt), \(pending.organization?.stored))
            ON CONFLICT (id_hash) DO UPDATE SET user_id = excluded.user_id, client_id = excluded.client_id, amr = excluded.amr,
            scope = excluded.scope, stage = excluded.stage, sealed_enrol_secret = excluded.sealed_enrol_secret,
            email_code_hash = excluded.email_code_hash, email_code_expires_at = excluded.email_code_expires_at,
            attempts = excluded.attempts, created_at = excluded.created_at, expires_at = excluded.expires_at,
            organization = excluded.organization
            """)
    }

    /// The live pending sign-in with this id hash.
    public func pendingSignIn(idHash: [UInt8], at now: Date) async throws -> PendingSignIn? {
        let rows = try await query(
            """
            SELECT user_id, client_id, amr, scope, stage, sealed_enrol_secret, email_code_hash, email_code_expires_at, attempts,
            created_at, expires_at, organization FROM \(unescaped: schema).pending_sign_ins WHERE id_hash = \(Data(idHash)) AND expires_at > \(now)
            """)
        guard let row = rows.first?.makeRandomAccess(), let user = UserID(rawValue: try row.value("user_id")),
            let stage = PendingSignIn.Stage(rawValue: try row.value("stage"))
        else { return nil }
        return PendingSignIn(
            idHash: idHash, userID: user, clientID: try row.value("client_id"),
            amr: JSONColumn.decode([String].self, try row.value("amr")) ?? [], scope: try row.value("scope"), stage: stage,
            sealedEnrolSecret: try row.bytes("sealed_enrol_secret"), emailCodeHash: try row.bytes("email_code_hash"),
            emailCodeExpiresAt: try row.value("email_code_expires_at"), attempts: try row.value("attempts"),
            organization: try row.value("organization", as: String?.self).flatMap(OrganizationChoice.init(stored:)),
            createdAt: try row.value("created_at"), expiresAt: try row.value("expires_at"))
    }

    /// Counts a failed attempt in one update; returns the new count (`Int.max` when the pending
    /// sign-in is gone).
    public func recordPendingAttempt(idHash: [UInt8]) async throws -> Int {
        try await countAttempt(in: .pendingSignIns, idHash: idHash)
    }

    /// The tables whose rows count failed attempts, by `id_hash`.
    enum AttemptTable: String {
        case pendingSignIns = "pending_sign_ins"
        case consoleEnrolments = "console_enrolments"
    }

    /// Adds one to `attempts` of the row of `table` whose `id_hash` is `idHash`, in one update.
    /// - Returns: the new count; `Int.max` when the row is gone (no attempts left).
    func countAttempt(in table: AttemptTable, idHash: [UInt8]) async throws -> Int {
        let rows = try await query(
            """
            UPDATE \(unescaped: schema).\(unescaped: table.rawValue) SET attempts = attempts + 1 WHERE id_hash = \(Data(idHash))
            RETURNING attempts
            """)
        return try Self.scalar(rows, as: Int.self) ?? Int.max
    }

    public func deletePendingSignIn(idHash: [UInt8]) async throws {
        try await query("DELETE FROM \(unescaped: schema).pending_sign_ins WHERE id_hash = \(Data(idHash))")
    }

    // MARK: Sign-in failure counters

    /// The persisted failure counters of these keys (absent keys have none; a key holding U+0000
    /// has none either, see `saveSignInFailures`).
    public func signInFailures(keys: [String]) async throws -> [SignInFailureRecord] {
        var records: [SignInFailureRecord] = []
        for key in keys where !Self.hasNUL(key) {
            let rows = try await query("SELECT failures, last_failure FROM \(unescaped: schema).sign_in_failures WHERE key = \(key)")
            if let row = rows.first {
                let (failures, last) = try row.decode((Int, Date).self)
                records.append(SignInFailureRecord(key: key, failures: failures, lastFailure: last))
            }
        }
        return records
    }

    /// Stores counters after a failure (never lowering a count a parallel failure already raised)
    /// and deletes `cleared` keys after a success. Keys are written in sorted order, so two
    /// transactions never wait on each other's rows in opposite orders. A key holding U+0000
    /// (which `text` cannot hold) is not persisted: its counter lives in memory only.
    public func saveSignInFailures(_ records: [SignInFailureRecord], cleared: [String]) async throws {
        let records = records.filter { !Self.hasNUL($0.key) }.sorted { $0.key < $1.key }
        let cleared = cleared.filter { !Self.hasNUL($0) }.sorted()
        guard !records.isEmpty || !cleared.isEmpty else { return }
        try await transaction { connection in
            for record in records {
                try await self.run(
                    """
                    INSERT INTO \(unescaped: self.schema).sign_in_failures AS f (key, failures, last_failure)
                    VALUES (\(record.key), \(record.failures), \(record.lastFailure))
                    ON CONFLICT (key) DO UPDATE SET failures = GREATEST(f.failures, excluded.failures),
                    last_failure = GREATEST(f.last_failure, excluded.last_failure)
                    """, on: connection)
            }
            for key in cleared {
                try await self.run("DELETE FROM \(unescaped: self.schema).sign_in_failures WHERE key = \(key)", on: connection)
            }
        }
    }
}
