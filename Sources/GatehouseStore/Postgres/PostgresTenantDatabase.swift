import Foundation
import GatehouseCore
import GatehouseCrypto
import Logging
import PostgresNIO
import Synchronization

/// One tenant's storage in PostgreSQL: the tables of its own schema (`PostgresSchemas`), reached
/// through the instance's bounded connection pool, and the caches that belong to the tenant.
///
/// As with `TenantDatabase` (SQLite), the only way to obtain one is from the instance store with a
/// `ResolvedTenant`; every statement names this tenant's schema (`schema`), which is derived from
/// the tenant id and never from request input, so no call can reach another tenant's rows.
public final class PostgresTenantDatabase: Sendable {
    public let tenant: ResolvedTenant
    let client: PostgresPool
    /// The tenant's schema as a quoted SQL identifier (`"gatehouse_t_ten_…"`), ready to be
    /// interpolated with `\(unescaped:)`. Made by `PostgresSchemas.tenant(_:)` only.
    let schema: String
    let caches: TenantCaches
    var revocations: RevocationIndex { caches.revocations }
    /// Access tokens of this tenant already verified (shared by the tenant's live handles).
    public var verifiedTokens: VerifiedTokenCache { caches.verifiedTokens }
    /// Entries held by the in-memory revocation index (revoked grants, revoked `jti`s).
    public var revocationCounts: (grants: Int, accessTokens: Int) { revocations.counts }
    let keyPolicy: KeyPolicy
    let masterKey: SecretBox
    let logger: Logger

    init(
        tenant: ResolvedTenant, client: PostgresPool, schema: String, masterKey: SecretBox, keyPolicy: KeyPolicy,
        caches: TenantCaches, logger: Logger
    ) {
        self.tenant = tenant
        self.client = client
        self.schema = schema
        self.masterKey = masterKey
        self.keyPolicy = keyPolicy
        self.caches = caches
        self.logger = logger
        caches.revocations.setHorizon(TimeInterval(tenant.tenant.settings.accessTokenTTL))
    }

    /// Loads what the synchronous requirements and the revocation checks read from memory: the
    /// revocation index and the template overrides. The first handle of a tenant loads them;
    /// later handles share the loaded caches. The instance store calls this before handing the
    /// handle out.
    func prepare(now: Date) async throws {
        guard
            caches.loaded.withLock({ loaded in
                defer { loaded = true }; return !loaded
            })
        else { return }
        do {
            try await loadRevocations(now: now)
            try await loadTemplateOverrides()
        } catch {
            caches.loaded.withLock { $0 = false }
            throw error
        }
    }

    // MARK: Running statements

    /// Runs one statement outside an explicit transaction (autocommit).
    /// - Returns: every row of its result.
    ///
    /// While the task records a change whose audit entries wait (`AuditRecorder.pending`), the
    /// statement runs in a ``transaction(audited:_:)`` instead, so that a write carries them.
    @discardableResult
    func query(audited: Bool = true, _ query: PostgresQuery) async throws -> [PostgresRow] {
        if audited, AuditRecorder.pending?.isWaiting == true {
            return try await transaction { connection in try await self.run(query, on: connection) }
        }
        do {
            return try await Self.collect(client.query(query, logger: logger))
        } catch {
            throw Self.tenantGone(error) ?? error
        }
    }

    /// Runs `body` in one transaction (`BEGIN` … `COMMIT`, rolled back when `body` throws), on
    /// one pooled connection. Statements inside use `PostgresTenantDatabase.run(_:on:)`.
    /// - Throws: what `body` threw (a `StoreError` stays one), or what `BEGIN` or `COMMIT` met,
    ///   as SQLite's write transactions do (`PostgresClient.transaction`).
    ///
    /// While the task records a change (`AuditRecorder.pending`), the first transaction whose
    /// statements changed a row (their command tags count rows, `RowChanges`; a transaction id alone
    /// is no proof: an UPDATE that waited on a concurrent one and then matched nothing has one)
    /// appends the waiting audit entries before it commits; `audited: false` (the audit log's own
    /// transactions) never does.
    func transaction<T: Sendable>(audited: Bool = true, _ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        guard audited, let pending = AuditRecorder.pending, pending.isWaiting else {
            do {
                return try await client.transaction(logger: logger) { connection in try await body(connection) }
            } catch {
                throw Self.tenantGone(error) ?? error
            }
        }
        do {
            let (result, claimed) = try await client.transaction(logger: logger) { connection in
                let changes = RowChanges()
                let result = try await RowChanges.$current.withValue(changes) { try await body(connection) }
                guard changes.count > 0, let drafts = pending.claim() else { return (result, false) }
                do {
                    for draft in drafts { _ = try await self.appendAudit(draft, at: pending.now, on: connection) }
                } catch {
                    pending.release()
                    throw error
                }
                return (result, true)
            }
            if claimed { pending.commit() }
            return result
        } catch {
            // A failed COMMIT rolled the entries back with the change: they wait again.
            if !pending.isCommitted { pending.release() }
            throw Self.tenantGone(error) ?? error
        }
    }

    /// The rows the statements of an audited transaction inserted, updated or deleted, from their
    /// command tags (`run(_:on:)` counts them while one is the task's ``current``).
    final class RowChanges: Sendable {
        @TaskLocal static var current: RowChanges?
        private let total = Mutex(0)
        var count: Int { total.withLock { $0 } }
        func add(_ rows: Int) { total.withLock { $0 += rows } }
    }

    /// `StoreError.tenantGone` when `error` says the tenant's schema or tables are gone (SQLSTATE
    /// 3F000 invalid_schema_name, 42P01 undefined_table): the tenant was deleted, maybe by another
    /// node, while this handle was in use.
    static func tenantGone(_ error: any Error) -> StoreError? {
        guard let state = (PostgresClient.unwrap(error) as? PSQLError)?.serverInfo?[.sqlState], ["3F000", "42P01"].contains(state)
        else { return nil }
        return .tenantGone("the tenant was deleted")
    }

    /// Runs one statement on `connection` (inside `transaction`).
    /// - Returns: every row of its result.
    @discardableResult
    func run(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> [PostgresRow] {
        guard let changes = RowChanges.current else { return try await Self.collect(connection.query(query, logger: logger)) }
        // In an audited transaction: read the command tag too (`UPDATE 0` changed nothing).
        let rows = Mutex<[PostgresRow]>([])
        let metadata = try await connection.query(query, logger: logger) { row in rows.withLock { $0.append(row) } }.get()
        if ["INSERT", "UPDATE", "DELETE", "MERGE"].contains(metadata.command) { changes.add(metadata.rows ?? 0) }
        return rows.withLock { $0 }
    }

    static func collect(_ rows: PostgresRowSequence) async throws -> [PostgresRow] {
        var all: [PostgresRow] = []
        for try await row in rows { all.append(row) }
        return all
    }

    /// Whether `error` is PostgreSQL's unique-violation (SQLSTATE 23505), also inside a failed
    /// transaction.
    static func isUniqueViolation(_ error: any Error) -> Bool {
        (PostgresClient.unwrap(error) as? PSQLError)?.serverInfo?[.sqlState] == "23505"
    }
}

extension PostgresClient {
    /// `withTransaction`, throwing the error that made the transaction fail itself (a
    /// `StoreError` thrown by `body` stays a `StoreError`) instead of postgres-nio's wrapper.
    func transaction<T>(
        logger: Logger, isolation: isolated (any Actor)? = #isolation, _ body: (PostgresConnection) async throws -> sending T
    ) async throws -> sending T {
        do {
            return try await withTransaction(logger: logger, isolation: isolation, body)
        } catch {
            throw Self.unwrap(error)
        }
    }

    /// The error inside a `PostgresTransactionError` (the body's, else BEGIN's, COMMIT's or
    /// ROLLBACK's); any other error as it is.
    static func unwrap(_ error: any Error) -> any Error {
        guard let failed = error as? PostgresTransactionError else { return error }
        return failed.closureError ?? failed.beginError ?? failed.commitError ?? failed.rollbackError ?? error
    }
}

extension PostgresTenantDatabase: TenantHandle {
    /// Placeholder error of a requirement not yet built on PostgreSQL.
    static func notBuilt(_ function: String) -> StoreError { .unavailable("not built on PostgreSQL yet: \(function)") }
}
