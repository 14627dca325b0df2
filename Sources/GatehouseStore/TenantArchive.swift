import Foundation
import GatehouseCore
import GatehouseCrypto
import GRDB

/// A tenant as one file (`gatehouse tenant export`/`import`), and the database rewrites that
/// export, import and clone share. docs/operations.md "A tenant as one file" is the user's view.
///
/// File format (version 1):
///
///     gatehouse-tenant-archive v1\n
///     {"format":1,"kdf":{…},"stream_header":"…"}\n      (the header: JSON on one line)
///     ciphertext                                       (SecretStream, the header line as additional data)
///
/// The KDF is Argon2id over the passphrase with the salt, memory (KiB) and iterations in the
/// header; it yields 64 bytes: the stream key (first 32) and the column key (last 32). The
/// plaintext is a 4-byte big-endian length, the `Contents` JSON, then the tenant's SQLite database
/// (journal mode DELETE). Inside that database the sealed columns (`sealedColumns`) are sealed
/// under the column key instead of the instance's master key, so no temporary file on either
/// side ever holds a private key or secret in the clear.
///
/// An archive carries users (with password hashes and second factors), clients, upstream
/// providers, templates, consents, organizations (members, invitations with their links replaced,
/// domains, SSO) and the signing keys; not sessions, codes, refresh tokens,
/// pending sign-ins or mail: every grant is marked revoked at export, so no token of the source
/// works at the copy.
public enum TenantArchive {
    /// The archive's first line.
    static let magic = Array("gatehouse-tenant-archive v1\n".utf8)
    /// Argon2id cost of new archives: 64 MiB, 3 iterations (about 0.2 s on the target machine).
    public static let memoryKiB = 64 * 1024
    public static let iterations = 3
    /// Costs above these are refused when reading, so a crafted header cannot exhaust memory.
    static let maximumMemoryKiB = 1024 * 1024
    static let maximumIterations = 16
    /// Largest archive accepted, in bytes: 1 GiB.
    public static let maximumBytes = 1 << 30
    /// Passphrase length bounds, in characters.
    public static let passphraseLengths = 12...1024

    /// Why an archive could not be made or read; the description is for the operator.
    public struct Failure: Error, CustomStringConvertible, Sendable, Equatable {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// What an archive says about its tenant, stored encrypted beside the database.
    public struct Contents: Codable, Sendable, Equatable {
        /// Contents format; 1.
        public var format: Int
        /// When the archive was made, ISO 8601 UTC.
        public var createdAt: String
        public var slug: String
        public var name: String
        public var environment: TenantEnvironment
        public var settings: TenantSettings

        enum CodingKeys: String, CodingKey {
            case format, slug, name, environment, settings
            case createdAt = "created_at"
        }
    }

    struct Header: Codable {
        struct KDF: Codable {
            var algorithm: String
            var memoryKiB: Int
            var iterations: Int
            var salt: String
            enum CodingKeys: String, CodingKey {
                case algorithm, iterations, salt
                case memoryKiB = "memory_kib"
            }
        }
        var format: Int
        var kdf: KDF
        var streamHeader: String
        enum CodingKeys: String, CodingKey {
            case format, kdf
            case streamHeader = "stream_header"
        }
    }

    /// The two keys derived from a passphrase, with the KDF parameters that made them.
    struct Keys {
        let stream: [UInt8]
        let columns: SecretBox
        let salt: [UInt8]
        let memoryKiB: Int
        let iterations: Int

        init(passphrase: String, salt: [UInt8], memoryKiB: Int, iterations: Int) throws {
            let derived = try PasswordHasher(memoryKiB: memoryKiB, iterations: iterations)
                .deriveKey(from: passphrase, salt: salt, byteCount: 64)
            stream = Array(derived[0..<32])
            columns = try SecretBox(key: Array(derived[32..<64]))
            self.salt = salt
            self.memoryKiB = memoryKiB
            self.iterations = iterations
        }
    }

    /// Checks a passphrase's length (`passphraseLengths`).
    /// - Throws: `Failure` naming the rule.
    public static func checkPassphrase(_ passphrase: String) throws {
        guard passphraseLengths.contains(passphrase.count) else {
            throw Failure("the passphrase must be \(passphraseLengths.lowerBound)–\(passphraseLengths.upperBound) characters")
        }
    }

    /// Seals `contents` and the database bytes into an archive under `keys` (from `derivedKeys`).
    /// `database` must already have its sealed columns under `keys.columns`.
    static func seal(contents: Contents, database: [UInt8], keys: Keys) throws -> [UInt8] {
        let contentsJSON = Array(try JSONEncoder().encode(contents))
        var plaintext = [UInt8]()
        plaintext.reserveCapacity(4 + contentsJSON.count + database.count)
        let length = UInt32(contentsJSON.count)
        plaintext += [UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff)]
        plaintext += contentsJSON
        plaintext += database
        // The additional data is the header without the stream header (which sealing makes):
        // the KDF parameters, re-encoded canonically, so that `open` rebuilds the same bytes.
        var header = Header(
            format: 1,
            kdf: .init(
                algorithm: "argon2id", memoryKiB: keys.memoryKiB, iterations: keys.iterations,
                salt: Base64URL.encode(keys.salt)), streamHeader: "")
        let sealed = try SecretStream.seal(plaintext, key: keys.stream, additionalData: try canonical(header))
        header.streamHeader = Base64URL.encode(sealed.header)
        let headerLine = try canonical(header)
        return magic + headerLine + [0x0A] + sealed.ciphertext
    }

    /// Opens an archive: checks the format, derives the keys from `passphrase`, decrypts.
    /// - Returns: the contents, the database bytes (sealed columns still under `keys.columns`)
    ///   and the keys.
    /// - Throws: `Failure` for a file that is not an archive, unsupported costs, or a wrong
    ///   passphrase or altered file (indistinguishable by design).
    static func open(_ archive: [UInt8], passphrase: String) throws -> (Contents, [UInt8], Keys) {
        guard archive.count <= maximumBytes else { throw Failure("the archive is larger than \(maximumBytes) bytes") }
        guard archive.starts(with: magic) else { throw Failure("not a Gatehouse tenant archive (it must start with 'gatehouse-tenant-archive v1')") }
        let rest = archive[magic.count...]
        guard let newline = rest.firstIndex(of: 0x0A), newline - rest.startIndex <= 4096 else {
            throw Failure("the archive header is malformed")
        }
        let headerLine = Array(rest[rest.startIndex..<newline])
        guard var header = try? JSONDecoder().decode(Header.self, from: Data(headerLine)), header.format == 1,
            header.kdf.algorithm == "argon2id", let salt = Base64URL.decode(header.kdf.salt), salt.count == PasswordHasher.saltByteCount,
            let streamHeader = Base64URL.decode(header.streamHeader)
        else {
            throw Failure("the archive header is malformed or of an unsupported format")
        }
        guard (PasswordHasher.minimumMemoryKiB...maximumMemoryKiB).contains(header.kdf.memoryKiB),
            (1...maximumIterations).contains(header.kdf.iterations)
        else {
            throw Failure("the archive's key derivation costs are outside the accepted range")
        }
        let keys = try Keys(passphrase: passphrase, salt: salt, memoryKiB: header.kdf.memoryKiB, iterations: header.kdf.iterations)
        header.streamHeader = ""
        let kdfLine = try canonical(header)
        let plaintext: [UInt8]
        do {
            plaintext = try SecretStream.open(
                header: streamHeader, ciphertext: Array(archive[(newline + 1)...]), key: keys.stream,
                additionalData: kdfLine)
        } catch {
            throw Failure("the passphrase is wrong or the archive was altered")
        }
        guard plaintext.count >= 4 else { throw Failure("the archive is empty") }
        let length = Int(plaintext[0]) << 24 | Int(plaintext[1]) << 16 | Int(plaintext[2]) << 8 | Int(plaintext[3])
        guard length <= plaintext.count - 4,
            let contents = try? JSONDecoder().decode(Contents.self, from: Data(plaintext[4..<(4 + length)])), contents.format == 1
        else {
            throw Failure("the archive's contents are malformed")
        }
        return (contents, Array(plaintext[(4 + length)...]), keys)
    }

    /// The header as one line of JSON with sorted keys.
    static func canonical(_ header: Header) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(header))
    }

    /// New keys under a fresh salt for an archive under `passphrase`; the costs default to
    /// `memoryKiB` and `iterations`.
    /// - Throws: `Failure` for a passphrase outside `passphraseLengths`.
    static func derivedKeys(passphrase: String, memoryKiB: Int = memoryKiB, iterations: Int = iterations) throws -> Keys {
        try checkPassphrase(passphrase)
        return try Keys(passphrase: passphrase, salt: SecureRandom.bytes(PasswordHasher.saltByteCount), memoryKiB: memoryKiB, iterations: iterations)
    }

    // MARK: Database rewrites

    /// Every sealed column of the tenant schema that an archive carries: (table, column).
    /// Sealed columns of tables in `clearedTables` are not listed; they leave with their rows.
    static let sealedColumns: [(table: String, column: String)] = [
        ("signing_keys", "sealed_private_key"),
        ("upstream_providers", "sealed_client_secret"),
        ("mfa_factors", "sealed_secret"),
        ("clients", "sealed_secret"),
        ("clients", "sealed_previous_secret"),
    ]

    /// Tables of live credentials and passing state, emptied in every copy: no session, code,
    /// refresh token, sign-in in progress, link, queued mail or webhook endpoint of the source works
    /// at the copy (a staging copy must not send events to the source's receivers).
    static let clearedTables = [
        "sessions", "interactions", "authorization_codes", "refresh_tokens", "revoked_access_tokens",
        "one_time_tokens", "pending_sign_ins", "federation_states", "mail_outbox", "console_enrolments",
        "sign_in_failures", "webhook_endpoints", "webhook_deliveries", "client_assertions",
        "pushed_authorizations", "device_authorizations", "logout_deliveries", "client_registrations", "registration_tokens",
        "dpop_proofs", "webauthn_challenges",
    ]

    /// Tables a copy keeps (clone with scrubbing empties some of them; see `scrub`).
    static let keptTables = [
        "signing_keys", "clients", "users", "consents", "grants", "mfa_factors", "recovery_codes",
        "upstream_providers", "upstream_identities", "template_overrides", "organizations", "organization_roles",
        "memberships", "organization_invitations", "organization_domains", "organization_sso", "grdb_migrations",
        "audit_events", "audit_chain", "webhook_cursor", "template_versions", "console_roles", "dpop_grant_keys", "passkeys",
    ]

    /// Empties `clearedTables` and marks every grant revoked at `now` (the grants stay so that a
    /// copy's revocation index knows them: a source token presented at a copy with the same issuer
    /// is refused). The account console's built-in client is removed; the copy makes its own.
    /// Organization invitations stay with their state, but their links are replaced by random
    /// values: no invitation link of the source works at the copy (resend one to get a new link).
    static func detachLiveCredentials(_ db: Database, now: Date) throws {
        for table in clearedTables { try db.execute(sql: "DELETE FROM \(table)") }
        try db.execute(sql: "UPDATE organization_invitations SET token_hash = randomblob(32)")
        try db.execute(cached: "UPDATE grants SET revoked_at = ? WHERE revoked_at IS NULL", arguments: [now])
        try db.execute(sql: "UPDATE webhook_cursor SET after_seq = (SELECT head_seq FROM audit_chain WHERE id = 1)")
        try db.execute(sql: "DELETE FROM consents WHERE client_id IN (SELECT client_id FROM clients WHERE builtin IS NOT NULL)")
        try db.execute(sql: "DELETE FROM clients WHERE builtin IS NOT NULL")
    }

    /// Opens every sealed column with `from` and seals it with `to`.
    /// - Throws: `Failure` when a value does not open (wrong key).
    static func reseal(_ db: Database, from: SecretBox, to: SecretBox) throws {
        for (table, column) in sealedColumns {
            let rows = try Row.fetchAll(db, sql: "SELECT rowid AS r, \(column) AS v FROM \(table) WHERE \(column) IS NOT NULL")
            for row in rows {
                guard let plain = try? from.open(Array(row["v"] as Data)) else {
                    throw Failure("a sealed value in \(table).\(column) does not open: wrong key or altered data")
                }
                try db.execute(cached: "UPDATE \(table) SET \(column) = ? WHERE rowid = ?", arguments: [Data(to.seal(plain)), row["r"] as Int64])
            }
        }
    }

    /// Replaces personal data for a staging copy: every email becomes `<user id>@example.invalid`
    /// (RFC 2606), every name `User <last 6 characters of the id>`, metadata `{}`; passwords, second factors,
    /// recovery codes and upstream identities are dropped, and so are all grants (organizations,
    /// roles, memberships, domains and SSO stay; an invitation's address becomes
    /// `<invitation id>@example.invalid`); the audit log is emptied and its chain restarts. Run
    /// `compact` afterwards so that no old value survives in a free page.
    static func scrub(_ db: Database) throws {
        try db.execute(
            sql: """
                UPDATE users SET email = lower(id) || '@example.invalid', email_verified = 1,
                                 name = CASE WHEN name IS NULL THEN NULL ELSE 'User ' || substr(id, -6) END,
                                 password_hash = NULL, public_metadata = '{}', private_metadata = '{}', profile = '{}'
                """)
        try db.execute(sql: "UPDATE organization_invitations SET email = lower(id) || '@example.invalid'")
        for table in ["mfa_factors", "recovery_codes", "upstream_identities", "grants", "audit_events"] {
            try db.execute(sql: "DELETE FROM \(table)")
        }
        // The audit log names people and addresses: a scrubbed copy starts a chain of its own.
        try db.execute(
            cached: "UPDATE audit_chain SET head_seq = 0, head_hash = ?, anchor_seq = 0, anchor_hash = ?",
            arguments: [AuditChain.genesis, AuditChain.genesis])
        try db.execute(sql: "UPDATE webhook_cursor SET after_seq = 0")
    }

    /// A client whose keys a copy replaced.
    public struct ClientKeyChange: Sendable, Equatable, Encodable {
        public let name: String
        /// The publishable key in the source.
        public let previousClientID: String
        public let clientID: String
        /// The new secret key of a confidential client, shown once; `null` for public clients, never absent.
        @NullWhenAbsent public var clientSecret: String?

        enum CodingKeys: String, CodingKey {
            case name
            case previousClientID = "previous_client_id"
            case clientID = "client_id"
            case clientSecret = "client_secret"
        }

    }

    /// A client as the key index sees it: its publishable key and secret hashes.
    struct StoredClientKeys {
        let clientID: String
        let secretHashes: [Data]
    }

    /// Gives new keys to every client for which `replace` is true: a new publishable key in the
    /// copy's environment and, for confidential clients, a new secret key (the old one stops
    /// working there). Consents and grants follow the new client id.
    static func replaceClientKeys(
        _ db: Database, environment: TenantEnvironment,
        where replace: (StoredClientKeys) throws -> Bool
    ) throws -> [ClientKeyChange] {
        var changes: [ClientKeyChange] = []
        let rows = try Row.fetchAll(db, sql: "SELECT client_id, name, type, secret_hash, previous_secret_hash FROM clients ORDER BY created_at")
        for row in rows {
            let clientID: String = row["client_id"]
            let hashes = [row["secret_hash"] as Data?, row["previous_secret_hash"] as Data?].compactMap { $0 }
            guard try replace(StoredClientKeys(clientID: clientID, secretHashes: hashes)) else { continue }
            let newID = ClientKeys.publishableKey(environment: environment)
            let secret = (row["type"] as String) == "confidential" ? ClientKeys.secretKey(environment: environment) : nil
            try db.execute(
                cached: """
                    UPDATE clients SET client_id = ?, secret_hash = ?, previous_secret_hash = NULL, previous_secret_expires_at = NULL,
                    sealed_secret = NULL, sealed_previous_secret = NULL WHERE client_id = ?
                    """, arguments: [newID, secret.map { Data(SecretHash.of($0)) }, clientID])
            for table in ["consents", "grants"] {
                try db.execute(cached: "UPDATE \(table) SET client_id = ? WHERE client_id = ?", arguments: [newID, clientID])
            }
            changes.append(ClientKeyChange(name: row["name"], previousClientID: clientID, clientID: newID, clientSecret: secret))
        }
        return changes
    }

    /// The client keys of a copy, for the instance key index.
    static func clientKeys(_ db: Database) throws -> [StoredClientKeys] {
        try Row.fetchAll(db, sql: "SELECT client_id, secret_hash, previous_secret_hash FROM clients").map { row in
            StoredClientKeys(clientID: row["client_id"], secretHashes: [row["secret_hash"] as Data?, row["previous_secret_hash"] as Data?].compactMap { $0 })
        }
    }

    /// The schema of a database: every table, index, view and trigger with its SQL.
    static func schema(_ db: Database) throws -> [String] {
        try Row.fetchAll(db, sql: "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
            .map { "\($0["type"] as String) \($0["name"] as String) \($0["tbl_name"] as String) \(($0["sql"] as String?) ?? "")" }
    }

    /// Refuses a migrated archive database whose schema is not exactly the one this version's
    /// migrations make: a crafted file with its own triggers, views or changed tables never
    /// reaches the rewrites or the server.
    /// - Throws: `Failure`.
    static func checkSchema(_ db: Database) throws {
        let reference = try DatabaseQueue()
        try Migrations.tenant.migrate(reference)
        let expected = try reference.read { try schema($0) }
        guard try schema(db) == expected else {
            throw Failure("the archive's database is not a Gatehouse tenant database of a known schema")
        }
    }

    /// Rewrites the database file without free pages (VACUUM) in journal mode DELETE, so that
    /// deleted and replaced values are gone from its bytes.
    static func compact(_ queue: DatabaseQueue) throws {
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = DELETE")
            try db.execute(sql: "VACUUM")
        }
    }
}
