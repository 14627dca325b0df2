import Foundation
import GatehouseCore
import GRDB
import PostgresNIO
import Synchronization

/// `gatehouse storage copy`: a SQLite data folder's instance into an empty PostgreSQL instance.
///
/// Every tenant keeps its id, slug, settings and rows: users (with their password hashes and
/// second factors), clients with their keys, signing keys (sealed under the same master key),
/// sessions, grants and refresh tokens, so relying parties and signed-in users notice nothing but
/// the switch. The copy is generic: the PostgreSQL tenant schema has the SQLite tables' names and
/// columns, and each value is converted by the target column's type (`timestamptz` from SQLite's
/// date text, `boolean` from 0/1, `bytea`, `bigint`, `text`). Tables are copied in creation order,
/// so foreign keys always find their rows. Each tenant is one transaction.
extension PostgresInstanceStore {
    /// What a copy moved.
    public struct CopyReport: Sendable {
        /// Tenant slug → rows copied, over all of its tables.
        public var tenants: [(slug: String, rows: Int)] = []
    }

    /// Copies every tenant of `source` (the SQLite instance of a data folder, opened with the
    /// same master key) into this instance.
    /// - Throws: `StoreError.conflict` when this instance already has tenants (a copy goes into a
    ///   new database); `StoreError.unavailable` when a SQLite table or column has no PostgreSQL
    ///   counterpart (the two versions differ).
    public func copy(from source: InstanceStore) async throws -> CopyReport {
        guard tenants().isEmpty else {
            throw StoreError.conflict("the PostgreSQL instance already has tenants; copy into an empty database")
        }
        var report = CopyReport()
        let instanceRows = try source.instance.read { db in
            (
                clientKeys: try Row.fetchAll(db, sql: "SELECT client_id, tenant_id FROM client_keys"),
                secretKeys: try Row.fetchAll(db, sql: "SELECT secret_hash, client_id, tenant_id FROM secret_keys")
            )
        }
        for tenant in source.tenants() {
            let file = source.tenantFile(tenant.id)
            var configuration = Configuration()
            configuration.readonly = true
            let queue = try DatabaseQueue(path: file.path, configuration: configuration)
            defer { try? queue.close() }
            let schema = schemas.tenant(tenant.id)
            let rows = try await client.transaction(logger: logger) { connection -> Int in
                try await self.insertTenantRow(tenant, on: connection)
                try await PostgresSchemas.migrate(
                    schema, PostgresSchemas.tenantMigrations, label: "the schema of tenant '\(tenant.slug)'", instance: self.instance,
                    on: connection, logger: self.logger)
                var copied = 0
                for (table, columns) in try await self.tables(of: schema, on: connection) {
                    copied += try await self.copyTable(table, columns: columns, from: queue, into: schema, on: connection)
                }
                for row in instanceRows.clientKeys where row["tenant_id"] == tenant.id.rawValue {
                    let clientID: String = row["client_id"]
                    try await connection.query(
                        "INSERT INTO \(unescaped: self.instance).client_keys (client_id, tenant_id) VALUES (\(clientID), \(tenant.id.rawValue))",
                        logger: self.logger)
                }
                for row in instanceRows.secretKeys where row["tenant_id"] == tenant.id.rawValue {
                    let hash: Data = row["secret_hash"]
                    let clientID: String = row["client_id"]
                    try await connection.query(
                        """
                        INSERT INTO \(unescaped: self.instance).secret_keys (secret_hash, client_id, tenant_id)
                        VALUES (\(hash), \(clientID), \(tenant.id.rawValue))
                        """, logger: self.logger)
                }
                // A tenant with webhook endpoints joins the worker's index.
                try await connection.query(
                    """
                    INSERT INTO \(unescaped: self.instance).webhook_tenants (tenant_id, version)
                    SELECT \(tenant.id.rawValue), 1 WHERE EXISTS (SELECT 1 FROM \(unescaped: schema).webhook_endpoints)
                    """, logger: self.logger)
                // So does one with back-channel logout clients (the logout worker's index).
                try await connection.query(
                    """
                    INSERT INTO \(unescaped: self.instance).logout_tenants (tenant_id, version)
                    SELECT \(tenant.id.rawValue), 1 WHERE EXISTS (
                        SELECT 1 FROM \(unescaped: schema).clients WHERE backchannel_logout_uri IS NOT NULL)
                    """, logger: self.logger)
                return copied
            }
            registerCopied(tenant)
            report.tenants.append((tenant.slug, rows))
        }
        return report
    }

    /// The tables of `schema` in creation order with their columns and types, without the
    /// migrations table.
    private func tables(of schema: String, on connection: PostgresConnection) async throws -> [(String, [(String, String)])] {
        let name = String(schema.dropFirst().dropLast())
        let rows = try await connection.query(
            """
            SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE n.nspname = \(name) AND c.relkind = 'r' AND c.relname <> 'schema_migrations'
            ORDER BY c.oid, a.attnum
            """, logger: logger)
        var tables: [(String, [(String, String)])] = []
        for try await (table, column, type) in rows.decode((String, String, String).self) {
            if tables.last?.0 == table { tables[tables.count - 1].1.append((column, type)) } else { tables.append((table, [(column, type)])) }
        }
        return tables
    }

    private func copyTable(
        _ table: String, columns: [(String, String)], from queue: DatabaseQueue, into schema: String, on connection: PostgresConnection
    ) async throws -> Int {
        let names = columns.map(\.0)
        let sourceRows: [Row]
        do {
            sourceRows = try await queue.read { db in
                try Row.fetchAll(db, sql: "SELECT \(names.map { "\"\($0)\"" }.joined(separator: ", ")) FROM \"\(table)\"")
            }
        } catch {
            throw StoreError.unavailable("the SQLite database has no table \(table) with columns \(names.joined(separator: ", ")): \(error)")
        }
        // The source's rows replace what the migrations seeded (the built-in organization roles).
        try await connection.query(PostgresQuery(unsafeSQL: "DELETE FROM \(schema).\"\(table)\""), logger: logger)
        let placeholders = (1...columns.count).map { "$\($0)" }.joined(separator: ", ")
        let sql = "INSERT INTO \(schema).\"\(table)\" (\(names.map { "\"\($0)\"" }.joined(separator: ", "))) VALUES (\(placeholders))"
        for row in sourceRows {
            var binds = PostgresBindings(capacity: columns.count)
            for (index, (column, type)) in columns.enumerated() {
                try Self.bind(row[index] as DatabaseValue, as: type, column: "\(table).\(column)", into: &binds)
            }
            try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        }
        return sourceRows.count
    }

    /// Appends a SQLite value as the PostgreSQL column type `type` expects.
    static func bind(_ value: DatabaseValue, as type: String, column: String, into binds: inout PostgresBindings) throws {
        if value.isNull {
            binds.appendNull()
            return
        }
        switch type {
        case "timestamp with time zone":
            guard let date = Date.fromDatabaseValue(value) else { throw StoreError.unavailable("\(column): not a date: \(value)") }
            binds.append(date)
        case "boolean":
            guard let flag = Bool.fromDatabaseValue(value) else { throw StoreError.unavailable("\(column): not a boolean: \(value)") }
            binds.append(flag)
        case "bigint", "integer":
            guard let number = Int64.fromDatabaseValue(value) else { throw StoreError.unavailable("\(column): not an integer: \(value)") }
            binds.append(number)
        case "bytea":
            guard let data = Data.fromDatabaseValue(value) else { throw StoreError.unavailable("\(column): not bytes: \(value)") }
            try binds.append(data)
        case "double precision":
            guard let number = Double.fromDatabaseValue(value) else { throw StoreError.unavailable("\(column): not a number: \(value)") }
            binds.append(number)
        default:
            guard let text = String.fromDatabaseValue(value) else { throw StoreError.unavailable("\(column): not text: \(value)") }
            binds.append(text)
        }
    }

    /// Adds a copied tenant to this node's registry (other nodes learn it from the change feed).
    func registerCopied(_ tenant: Tenant) {
        directory.insert(tenant)
    }
}
