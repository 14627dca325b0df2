import Foundation
import GatehouseCore
import Logging
import PostgresNIO

/// The schemas of one Gatehouse instance in a PostgreSQL database and their migrations.
///
/// - `<prefix>_instance`: the tenant registry and the instance-wide indexes (the SQLite backend's
///   `instance.sqlite`).
/// - `<prefix>_t_<tenant id, lowercased>`: one schema per tenant (the SQLite backend's
///   `tenants/<tenant id>.sqlite`), created with the tenant and dropped with it.
///
/// The prefix (default `gatehouse`) lets several instances, or test runs, share one database.
/// Migrations run per schema inside one transaction that first takes a transaction-scoped
/// advisory lock on the schema's name, so nodes starting together apply each migration once; a
/// schema that has applied a migration this version does not know is refused (written by a newer
/// version). Migrations are registered by name and never edited after they ship.
public struct PostgresSchemas: Sendable {
    /// Lowercase letters, digits and `_`, starting with a letter, at most 20 characters.
    public let prefix: String

    /// - Throws: `StoreError.unavailable` for a prefix outside `[a-z][a-z0-9_]{0,19}`.
    public init(prefix: String = "gatehouse") throws {
        guard let first = prefix.unicodeScalars.first, ("a"..."z").contains(first), prefix.utf8.count <= 20,
            prefix.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" })
        else { throw StoreError.unavailable("the PostgreSQL schema prefix must match [a-z][a-z0-9_]{0,19}: '\(prefix)'") }
        self.prefix = prefix
    }

    /// The instance schema, quoted.
    public var instance: String { "\"\(prefix)_instance\"" }

    /// The schema of `tenant`, quoted. Tenant ids are `ten_` + a ULID (Crockford base32), so the
    /// name is made of `[a-z0-9_]` only and stays under PostgreSQL's 63-byte identifier limit.
    public func tenant(_ id: TenantID) -> String { "\"\(prefix)_t_\(id.rawValue.lowercased())\"" }

    /// A migration: its name and the statements it runs, in order, with `{schema}` standing for
    /// the quoted schema name and `{instance}` for the instance schema's.
    public struct Migration: Sendable {
        public let name: String
        public let statements: [String]
    }

    /// The migrations of every tenant schema, oldest first.
    public static let tenantMigrations: [Migration] = [
        Migration(name: "2026-12-04-tenant-core-v1", statements: tenantCoreV1),
        Migration(name: "2026-12-04-tenant-web-v1", statements: tenantWebV1),
        Migration(name: "2026-12-04-tenant-changes-v1", statements: tenantChangesV1),
        Migration(name: "2026-12-04-tenant-organizations-v1", statements: tenantOrganizationsV1),
        Migration(name: "2026-12-04-tenant-organization-choice-v1", statements: tenantOrganizationChoiceV1),
        Migration(name: "2026-12-05-organization-invitations-v1", statements: tenantOrganizationInvitationsV1),
        Migration(name: "2026-12-05-tenant-custom-claims-v1", statements: tenantCustomClaimsV1),
        Migration(name: "2026-12-06-audit-v1", statements: tenantAuditV1),
        Migration(name: "2026-12-06-webhooks-v1", statements: tenantWebhooksV1),
        Migration(name: "2026-12-06-users-profile-v1", statements: tenantUsersProfileV1),
        Migration(name: "2026-12-06-grants-claims-v1", statements: tenantGrantsClaimsV1),
        Migration(name: "2026-12-07-client-jwt-auth-v1", statements: tenantClientJWTAuthV1),
        Migration(name: "2026-12-12-template-versions-v1", statements: tenantTemplateVersionsV1),
        Migration(name: "2026-12-13-console-roles-v1", statements: tenantConsoleRolesV1),
        Migration(name: "2026-12-08-pushed-authorization-v1", statements: tenantPushedAuthorizationV1),
        Migration(name: "2026-12-10-device-authorization-v1", statements: tenantDeviceAuthorizationV1),
        Migration(name: "2026-12-11-backchannel-logout-v1", statements: tenantBackchannelLogoutV1),
        Migration(name: "2026-12-14-client-registration-v1", statements: tenantClientRegistrationV1),
        Migration(name: "2026-12-15-grant-resources-v1", statements: tenantGrantResourcesV1),
        Migration(name: "2026-12-16-dpop-v1", statements: tenantDPoPV1),
        Migration(name: "2026-12-17-passkeys-v1", statements: tenantPasskeysV1),
        Migration(name: "2026-12-18-passkey-attestation-v1", statements: tenantPasskeyAttestationV1),
    ]

    /// Creates `schema` if needed and applies `migrations` it lacks, under an advisory lock.
    /// - Parameters:
    ///   - label: names the schema in errors ("the schema of tenant 'acme'").
    ///   - existing: the schema must exist already (a tenant's, after its creation).
    /// - Returns: the names of the migrations applied now.
    /// - Throws: `StoreError.unavailable` when the schema was written by a newer version;
    ///   `StoreError.tenantGone` when an `existing` schema is not there.
    @discardableResult
    static func migrate(
        _ schema: String, _ migrations: [Migration], label: String, instance: String, existing: Bool = false,
        client: PostgresPool, logger: Logger
    ) async throws -> [String] {
        try await client.transaction(logger: logger) { connection in
            try await migrate(schema, migrations, label: label, instance: instance, existing: existing, on: connection, logger: logger)
        }
    }

    /// `migrate(_:_:label:instance:client:logger:)` inside the caller's transaction on `connection` (a new
    /// tenant's registry row and schema commit together).
    @discardableResult
    public static func migrate(
        _ schema: String, _ migrations: [Migration], label: String, instance: String, existing: Bool = false,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> [String] {
        try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(schema)))", logger: logger)
        if existing {
            // A tenant's schema is created with the tenant only: one gone means the tenant was
            // deleted (the registry of this node had not heard yet), and must not come back.
            let name = String(schema.dropFirst().dropLast())
            var found = false
            for try await _ in try await connection.query("SELECT 1 FROM pg_namespace WHERE nspname = \(name)", logger: logger) {
                found = true
            }
            guard found else { throw StoreError.tenantGone("\(label) no longer exists") }
        }
        try await connection.query("CREATE SCHEMA IF NOT EXISTS \(unescaped: schema)", logger: logger)
        try await connection.query(
            "CREATE TABLE IF NOT EXISTS \(unescaped: schema).schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
            logger: logger)
        var applied = Set<String>()
        for try await name in try await connection.query("SELECT name FROM \(unescaped: schema).schema_migrations", logger: logger)
            .decode(String.self)
        {
            applied.insert(name)
        }
        let unknown = applied.subtracting(migrations.map(\.name))
        guard unknown.isEmpty else {
            throw StoreError.unavailable(
                "\(label) was written by a newer version of Gatehouse (unknown migrations: \(unknown.sorted().joined(separator: ", "))); "
                    + "run that version")
        }
        var now: [String] = []
        for migration in migrations where !applied.contains(migration.name) {
            for statement in migration.statements {
                try await connection.query(
                    PostgresQuery(
                        unsafeSQL: statement.replacingOccurrences(of: "{schema}", with: schema)
                            .replacingOccurrences(of: "{instance}", with: instance)), logger: logger)
            }
            try await connection.query(
                "INSERT INTO \(unescaped: schema).schema_migrations (name) VALUES (\(migration.name))", logger: logger)
            now.append(migration.name)
        }
        return now
    }
}
