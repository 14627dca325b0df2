import Foundation
import GatehouseCore
import GatehouseOutbound
import TOMLKit

/// The instance configuration: `config/gatehouse.toml` (selected with `--config`), then the
/// `GATEHOUSE_*` environment variables on top (docs/contract.md A2).
///
/// Every key, its default and its meaning are documented here, where the default is defined, and
/// in `config/gatehouse.toml`. `load` reports every problem at once (docs/architecture.md H20).
public struct GatehouseConfiguration: Sendable {
    // [server]
    /// `host:port` to bind. Default `127.0.0.1:8080`. Env `GATEHOUSE_LISTEN`.
    public var listen = "127.0.0.1:8080"
    /// External base URL for issuers and links, without a trailing slash. Default `http://` + listen.
    /// Env `GATEHOUSE_PUBLIC_URL`.
    public var publicURL: String?
    /// Largest accepted request body in bytes. Default 65536.
    public var maxBodyBytes = 65536
    /// Seconds a connection may stay idle (or take to send its request) before it is closed. Default 30.
    public var idleTimeoutSeconds = 30
    /// Seconds a request body may take to arrive once its headers did; a slower one is answered 408
    /// and its connection closed. Default 10 (below the idle timeout).
    public var requestBodyTimeoutSeconds = 10
    /// Folder of the default page and email templates. Default `./templates`. Env `GATEHOUSE_TEMPLATES_DIR`.
    public var templatesDirectory = "./templates"
    /// Folder served under `/static/`. Default `./static`. Env `GATEHOUSE_STATIC_DIR`.
    public var staticDirectory = "./static"
    /// CIDRs (IPv4 or IPv6; a bare address is a /32 or /128) of reverse proxies whose `Forwarded` /
    /// `X-Forwarded-For` headers name the client. Default empty: the TCP peer is the client.
    /// Env `GATEHOUSE_TRUSTED_PROXIES` (comma-separated).
    public var trustedProxies: [String] = []
    /// ``trustedProxies`` parsed; entries that do not parse are reported by `validate()`.
    public var trustedProxyNetworks: [IPNetwork] { trustedProxies.compactMap { IPNetwork($0) } }
    /// A DNS domain under which every tenant without its own `hostname` is served on
    /// `{slug}.{tenant_base_domain}` (issuer `{scheme}://{slug}.{domain}[:{port}]`, scheme and port
    /// from the public URL), so that each tenant is an origin of its own. Default nil: tenants are
    /// served under `/t/{slug}` of the public URL. Env `GATEHOUSE_TENANT_BASE_DOMAIN`.
    public var tenantBaseDomain: String?

    // [storage]
    /// The data folder. Default `./data`. Env `GATEHOUSE_DATA_DIR`.
    public var dataDirectory = "./data"
    /// SQLite `synchronous` in WAL mode: `normal` (survives `kill -9`) or `full` (also power loss).
    /// Default `normal`. SQLite only: refused in the file with `backend = "postgres"`.
    public var synchronous = "normal"
    /// Tenants kept open at once, least recently used dropped beyond it: SQLite tenant databases
    /// (open files and page caches; default 128) or PostgreSQL tenant handles (prepared, with their
    /// caches; default 1024).
    public var maxOpenTenants: Int {
        get { maxOpenTenantsSetting ?? (usesPostgres ? 1024 : 128) }
        set { maxOpenTenantsSetting = newValue }
    }
    /// `max_open_tenants` as set; nil: the backend's default.
    var maxOpenTenantsSetting: Int?
    /// `sqlite` (default: a file per tenant in the data folder) or `postgres` (a schema per tenant
    /// in the database of `databaseURL`; several nodes may share it). Env `GATEHOUSE_STORAGE_BACKEND`.
    public var storageBackend = "sqlite"
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=…]` for the postgres backend.
    /// Env `GATEHOUSE_DATABASE_URL` only (it may carry a password; never in the file).
    public var databaseURL: String?
    /// Connections of this node's PostgreSQL pool, at most. Default 20. PostgreSQL only: refused
    /// in the file with `backend = "sqlite"`.
    public var databaseMaxConnections = 20
    /// Seconds one PostgreSQL pool serves before the node replaces it with a fresh one (backends
    /// that have touched many tenant schemas get slow and large); 0: never. Default 60.
    /// PostgreSQL only, as `max_connections`.
    public var databaseConnectionLifetime = 60
    /// Prefix of the instance's PostgreSQL schemas. Default `gatehouse`. PostgreSQL only, as
    /// `max_connections`.
    public var databaseSchemaPrefix = "gatehouse"
    /// The `section.key`s the configuration file sets, so that a key the backend would ignore is
    /// refused (`validateStorageBackend`).
    var fileKeys: Set<String> = []

    // [security]
    /// Instance admin bearer token. Default: generated into `<data>/admin-token`. Env
    /// `GATEHOUSE_ADMIN_TOKEN`, or `GATEHOUSE_ADMIN_TOKEN_FILE` naming a file that holds it.
    public var adminToken: String?
    /// File holding the 32-byte master key. Default: generated as `<data>/master.key`. Env `GATEHOUSE_MASTER_KEY_FILE`.
    public var masterKeyFile: String?

    // [passwords]
    /// Argon2id memory in KiB. Default 19456 (19 MiB, OWASP).
    public var argon2MemoryKiB = 19 * 1024
    /// Argon2id iterations. Default 2.
    public var argon2Iterations = 2
    /// Threads that hash passwords. Default 0 = one per core.
    public var hashingThreads = 0
    /// Hash jobs allowed to wait before the server answers 503. Default 64.
    public var hashingQueue = 64
    /// File of common passwords (one per line, `#` comments) refused at sign-up and password change,
    /// replacing the built-in list. Default none: the list built into the binary (11,611 entries,
    /// `config/common-passwords.txt` at build time).
    public var commonPasswordsFile: String?

    // [oauth]
    /// Seconds after a refresh token rotation during which its reuse is refused without revoking
    /// the grant (two tabs refreshing at once). Default 2.
    public var refreshReuseGrace = 2
    /// Seconds since the session's last authentication (`auth_time`) within which the account
    /// console allows sensitive changes (second factors, recovery codes, linked providers); older
    /// sessions sign in again with `prompt=login` and `max_age` (OIDC Core §3.1.2.1). Default 300.
    public var stepUpMaxAge = 300

    // [keys]
    /// Seconds a new signing key is published in the JWKS before it signs. Default 3600.
    public var keyPrePublication = 3600
    /// Days after which signing keys rotate automatically; 0 disables. Default 90.
    public var keyRotationDays = 90

    // [mail]
    /// `smtp://` or `smtps://` URL; unset → `.eml` files in `<data>/outbox/`. Env `GATEHOUSE_SMTP_URL`.
    public var smtpURL: String?
    /// The `From` of every email: `"Name <address>"` or `address` (the tenant's name is then the
    /// display name). Default: `no-reply@<public_url host>` when that host is a domain name, else
    /// `no-reply@localhost`; set it for real delivery.
    public var mailFrom: String?
    /// For `smtp://`: require STARTTLS. Default: true, except for loopback hosts (127.0.0.0/8, ::1, localhost).
    public var smtpRequireTLS: Bool?
    /// SMTP AUTH user name (or `smtp://user:password@host` in the URL). Default none.
    public var smtpUsername: String?
    /// SMTP AUTH password. Default none.
    public var smtpPassword: String?
    /// PEM file of CA certificates trusted for the SMTP server. Default: the system store.
    public var smtpCABundle: String?
    /// Seconds before the first retry of a failed delivery; doubled for each further one. Default 30.
    public var mailRetryBaseSeconds = 30
    /// Longest wait between delivery attempts, in seconds. Default 3600.
    public var mailRetryMaxSeconds = 3600
    /// Delivery attempts before a message is marked failed. Default 10.
    public var mailMaxAttempts = 10

    // [federation]
    /// Upstream login providers: timeouts, SSRF guard, caches (GatehouseConfiguration+Federation.swift).
    public var federation = FederationConfiguration()

    // [backup]
    /// Scheduled online backups (GatehouseConfiguration+Backup.swift).
    public var backup = BackupConfiguration()
    /// Webhook delivery: retries and timeout (GatehouseConfiguration+Webhooks.swift).
    public var webhooks = WebhookConfiguration()

    // [log]
    /// `trace`, `debug`, `info`, `notice`, `warning`, `error`, `critical`. Default `info`. Env `GATEHOUSE_LOG_LEVEL`.
    public var logLevel = "info"
    /// `text` (one human-readable line per event) or `json` (one JSON object per line, for log
    /// collectors). Default `text`. Env `GATEHOUSE_LOG_FORMAT`.
    public var logFormat = "text"

    public init() {}

    /// A configuration problem: where and what.
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let key: String
        public let message: String
        public var description: String { "\(key): \(message)" }
    }

    /// All problems found while loading.
    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public let problems: [Problem]
        public init(problems: [Problem]) { self.problems = problems }
        public var description: String {
            "invalid configuration:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
        }
    }

    static let known: [String: Set<String>] = [
        "server": [
            "listen", "public_url", "max_body_bytes", "idle_timeout_seconds", "request_body_timeout_seconds", "templates_dir",
            "static_dir", "trusted_proxies", "tenant_base_domain",
        ],
        "storage": ["data_dir", "synchronous", "max_open_tenants", "backend", "max_connections", "schema_prefix", "connection_lifetime_seconds"],
        "security": ["admin_token", "master_key_file"],
        "passwords": ["argon2_memory_kib", "argon2_iterations", "hashing_threads", "hashing_queue", "common_passwords_file"],
        "oauth": ["refresh_reuse_grace_seconds", "step_up_max_age_seconds"],
        "keys": ["pre_publication_seconds", "rotation_interval_days"],
        "mail": [
            "smtp_url", "from", "require_tls", "username", "password", "ca_bundle", "retry_base_seconds",
            "retry_max_seconds", "max_attempts",
        ],
        "log": ["level", "format"],
        "federation": FederationConfiguration.keys,
        "backup": BackupConfiguration.keys,
        "webhooks": WebhookConfiguration.keys,
    ]

    /// Loads the file at `path` (if any), then applies `environment`.
    /// - Throws: `Invalid` listing every problem (unknown keys, wrong types, bad values).
    public static func load(path: String?, environment: [String: String]) throws -> GatehouseConfiguration {
        var config = GatehouseConfiguration()
        var problems: [Problem] = []
        if let path {
            do {
                let text = try String(contentsOfFile: path, encoding: .utf8)
                let table = try TOMLTable(string: text)
                config.apply(table, problems: &problems)
            } catch let error as TOMLParseError {
                problems.append(Problem(key: path, message: "TOML syntax error at \(error.source.begin.debugDescription): \(error.description)"))
            } catch {
                problems.append(Problem(key: path, message: "cannot read: \(error)"))
            }
        }
        if let v = environment["GATEHOUSE_LISTEN"] { config.listen = v }
        if let v = environment["GATEHOUSE_PUBLIC_URL"] { config.publicURL = v }
        if let v = environment["GATEHOUSE_DATA_DIR"] { config.dataDirectory = v }
        if let v = environment["GATEHOUSE_STORAGE_BACKEND"], !v.isEmpty { config.storageBackend = v }
        if let v = environment["GATEHOUSE_DATABASE_URL"], !v.isEmpty { config.databaseURL = v }
        if let v = environment["GATEHOUSE_ADMIN_TOKEN"], !v.isEmpty { config.adminToken = v }
        // A file holding the admin token (systemd's LoadCredential=, container secrets).
        if config.adminToken == nil, let path = environment["GATEHOUSE_ADMIN_TOKEN_FILE"], !path.isEmpty {
            if let data = FileManager.default.contents(atPath: path),
                let token = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty
            {
                config.adminToken = token
            } else {
                problems.append(Problem(key: "GATEHOUSE_ADMIN_TOKEN_FILE", message: "\(path) cannot be read or is empty"))
            }
        }
        if let v = environment["GATEHOUSE_MASTER_KEY_FILE"], !v.isEmpty { config.masterKeyFile = v }
        if let v = environment["GATEHOUSE_SMTP_URL"], !v.isEmpty { config.smtpURL = v }
        if let v = environment["GATEHOUSE_LOG_LEVEL"] { config.logLevel = v }
        if let v = environment["GATEHOUSE_LOG_FORMAT"], !v.isEmpty { config.logFormat = v }
        if let v = environment["GATEHOUSE_TEMPLATES_DIR"], !v.isEmpty { config.templatesDirectory = v }
        if let v = environment["GATEHOUSE_STATIC_DIR"], !v.isEmpty { config.staticDirectory = v }
        if let v = environment["GATEHOUSE_TENANT_BASE_DOMAIN"], !v.isEmpty { config.tenantBaseDomain = v }
        if let v = environment["GATEHOUSE_TRUSTED_PROXIES"] {
            config.trustedProxies = v.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        problems += config.validate()
        if !problems.isEmpty { throw Invalid(problems: problems) }
        return config
    }

    mutating func apply(_ root: TOMLTable, problems: inout [Problem]) {
        for section in root.keys {
            guard let keys = Self.known[section] else {
                problems.append(Problem(key: section, message: "unknown section"))
                continue
            }
            guard let table = root[section]?.table else {
                problems.append(Problem(key: section, message: "must be a table"))
                continue
            }
            for key in table.keys where !keys.contains(key) {
                problems.append(Problem(key: "\(section).\(key)", message: "unknown key"))
            }
            fileKeys.formUnion(table.keys.map { "\(section).\($0)" })
        }
        func string(_ s: String, _ k: String) -> String? {
            guard let v = root[s]?.table?[k] else { return nil }
            guard let str = v.string else { problems.append(Problem(key: "\(s).\(k)", message: "must be a string")); return nil }
            return str
        }
        func int(_ s: String, _ k: String) -> Int? {
            guard let v = root[s]?.table?[k] else { return nil }
            guard let i = v.int else { problems.append(Problem(key: "\(s).\(k)", message: "must be an integer")); return nil }
            return i
        }
        if let v = string("server", "listen") { listen = v }
        if let v = string("server", "public_url"), !v.isEmpty { publicURL = v }
        if let v = int("server", "max_body_bytes") { maxBodyBytes = v }
        if let v = int("server", "idle_timeout_seconds") { idleTimeoutSeconds = v }
        if let v = int("server", "request_body_timeout_seconds") { requestBodyTimeoutSeconds = v }
        if let v = string("server", "templates_dir") { templatesDirectory = v }
        if let v = string("server", "static_dir") { staticDirectory = v }
        if let v = string("server", "tenant_base_domain"), !v.isEmpty { tenantBaseDomain = v }
        if let raw = root["server"]?.table?["trusted_proxies"] {
            if let array = raw.array, let list = Optional(array.compactMap({ $0.string })), list.count == array.count {
                trustedProxies = list
            } else {
                problems.append(Problem(key: "server.trusted_proxies", message: "must be an array of strings"))
            }
        }
        if let v = string("storage", "data_dir") { dataDirectory = v }
        if let v = string("storage", "synchronous") { synchronous = v }
        if let v = int("storage", "max_open_tenants") { maxOpenTenants = v }
        if let v = string("storage", "backend") { storageBackend = v }
        if let v = int("storage", "max_connections") { databaseMaxConnections = v }
        if let v = int("storage", "connection_lifetime_seconds") { databaseConnectionLifetime = v }
        if let v = string("storage", "schema_prefix") { databaseSchemaPrefix = v }
        if let v = string("security", "admin_token"), !v.isEmpty { adminToken = v }
        if let v = string("security", "master_key_file"), !v.isEmpty { masterKeyFile = v }
        if let v = int("passwords", "argon2_memory_kib") { argon2MemoryKiB = v }
        if let v = int("passwords", "argon2_iterations") { argon2Iterations = v }
        if let v = int("passwords", "hashing_threads") { hashingThreads = v }
        if let v = int("passwords", "hashing_queue") { hashingQueue = v }
        if let v = string("passwords", "common_passwords_file"), !v.isEmpty { commonPasswordsFile = v }
        if let v = int("oauth", "refresh_reuse_grace_seconds") { refreshReuseGrace = v }
        if let v = int("oauth", "step_up_max_age_seconds") { stepUpMaxAge = v }
        if let v = int("keys", "pre_publication_seconds") { keyPrePublication = v }
        if let v = int("keys", "rotation_interval_days") { keyRotationDays = v }
        if let v = string("mail", "smtp_url"), !v.isEmpty { smtpURL = v }
        if let v = string("mail", "from"), !v.isEmpty { mailFrom = v }
        if let raw = root["mail"]?.table?["require_tls"] {
            if let v = raw.bool { smtpRequireTLS = v } else { problems.append(Problem(key: "mail.require_tls", message: "must be a boolean")) }
        }
        if let v = string("mail", "username"), !v.isEmpty { smtpUsername = v }
        if let v = string("mail", "password"), !v.isEmpty { smtpPassword = v }
        if let v = string("mail", "ca_bundle"), !v.isEmpty { smtpCABundle = v }
        if let v = int("mail", "retry_base_seconds") { mailRetryBaseSeconds = v }
        if let v = int("mail", "retry_max_seconds") { mailRetryMaxSeconds = v }
        if let v = int("mail", "max_attempts") { mailMaxAttempts = v }
        if let v = string("log", "level") { logLevel = v }
        if let v = string("log", "format") { logFormat = v }
        applyFederation(root, problems: &problems)
        if let table = root["backup"]?.table { backup.apply(table, problems: &problems) }
        if let table = root["webhooks"]?.table { webhooks.apply(table, problems: &problems) }
    }

    /// Every problem with the values, as `(key, message)`.
    public func validate() -> [Problem] {
        var problems: [Problem] = []
        if listenAddress == nil { problems.append(Problem(key: "server.listen", message: "'\(listen)' is not host:port")) }
        if let tenantBaseDomain, !TenantSettings.isValidHostname(tenantBaseDomain) && tenantBaseDomain != "localhost" {
            problems.append(Problem(key: "server.tenant_base_domain", message: "'\(tenantBaseDomain)' is not a lowercase DNS name without port"))
        }
        for entry in trustedProxies where IPNetwork(entry) == nil {
            problems.append(Problem(key: "server.trusted_proxies", message: "'\(entry)' is not an IPv4 or IPv6 CIDR"))
        }
        if let publicURL {
            if let c = URLComponents(string: publicURL), ["http", "https"].contains(c.scheme ?? ""), c.encodedHost != nil,
                c.query == nil, c.fragment == nil, !publicURL.hasSuffix("/")
            {
            } else {
                problems.append(Problem(key: "server.public_url", message: "'\(publicURL)' must be an http(s) URL without query, fragment or trailing slash"))
            }
        }
        if !(1...3600).contains(idleTimeoutSeconds) { problems.append(Problem(key: "server.idle_timeout_seconds", message: "must be 1…3600")) }
        if !(1...3600).contains(requestBodyTimeoutSeconds) {
            problems.append(Problem(key: "server.request_body_timeout_seconds", message: "must be 1…3600"))
        }
        if !(1024...(16 << 20)).contains(maxBodyBytes) { problems.append(Problem(key: "server.max_body_bytes", message: "must be 1024…16777216")) }
        if !["normal", "full"].contains(synchronous.lowercased()) {
            problems.append(Problem(key: "storage.synchronous", message: "must be 'normal' or 'full'"))
        }
        if !(1...100_000).contains(maxOpenTenants) { problems.append(Problem(key: "storage.max_open_tenants", message: "must be 1…100000")) }
        problems += validateStorageBackend()
        if let adminToken, adminToken.count < 16 {
            problems.append(Problem(key: "security.admin_token", message: "must be at least 16 characters"))
        }
        if !(8...(1 << 21)).contains(argon2MemoryKiB) { problems.append(Problem(key: "passwords.argon2_memory_kib", message: "must be 8…2097152")) }
        if !(1...10).contains(argon2Iterations) { problems.append(Problem(key: "passwords.argon2_iterations", message: "must be 1…10")) }
        if !(0...256).contains(hashingThreads) { problems.append(Problem(key: "passwords.hashing_threads", message: "must be 0…256")) }
        if !(0...100_000).contains(hashingQueue) { problems.append(Problem(key: "passwords.hashing_queue", message: "must be 0…100000")) }
        if let commonPasswordsFile, !FileManager.default.isReadableFile(atPath: commonPasswordsFile) {
            problems.append(Problem(key: "passwords.common_passwords_file", message: "\(commonPasswordsFile) cannot be read"))
        }
        if !(0...60).contains(refreshReuseGrace) { problems.append(Problem(key: "oauth.refresh_reuse_grace_seconds", message: "must be 0…60")) }
        if !(1...3600).contains(stepUpMaxAge) { problems.append(Problem(key: "oauth.step_up_max_age_seconds", message: "must be 1…3600")) }
        if !(0...(7 * 86400)).contains(keyPrePublication) { problems.append(Problem(key: "keys.pre_publication_seconds", message: "must be 0…604800")) }
        if !(0...3650).contains(keyRotationDays) { problems.append(Problem(key: "keys.rotation_interval_days", message: "must be 0…3650")) }
        if let smtpURL, !(smtpURL.hasPrefix("smtp://") || smtpURL.hasPrefix("smtps://")) {
            problems.append(Problem(key: "mail.smtp_url", message: "must start with smtp:// or smtps://"))
        }
        if MailSettings.parseMailbox(effectiveMailFrom) == nil {
            problems.append(Problem(key: "mail.from", message: "'\(effectiveMailFrom)' is not 'Name <local@domain>' or 'local@domain'"))
        }
        if let smtpCABundle, !FileManager.default.fileExists(atPath: smtpCABundle) {
            problems.append(Problem(key: "mail.ca_bundle", message: "\(smtpCABundle) does not exist"))
        }
        if !(1...86400).contains(mailRetryBaseSeconds) { problems.append(Problem(key: "mail.retry_base_seconds", message: "must be 1…86400")) }
        if !(1...604_800).contains(mailRetryMaxSeconds) { problems.append(Problem(key: "mail.retry_max_seconds", message: "must be 1…604800")) }
        if !(1...100).contains(mailMaxAttempts) { problems.append(Problem(key: "mail.max_attempts", message: "must be 1…100")) }
        problems += federation.validate()
        problems += backup.validate()
        problems += webhooks.validate()
        if !["text", "json"].contains(logFormat) {
            problems.append(Problem(key: "log.format", message: "'\(logFormat)' is not 'text' or 'json'"))
        }
        if !["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) {
            problems.append(Problem(key: "log.level", message: "'\(logLevel)' is not a log level"))
        }
        return problems
    }

    /// `listen` split into host and port.
    public var listenAddress: (host: String, port: Int)? {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = String(listen[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        return (host, port)
    }

    /// `mailFrom`, or its default: `no-reply@<public_url host>` when that host is a domain name, else `no-reply@localhost`.
    public var effectiveMailFrom: String {
        if let mailFrom { return mailFrom }
        // The host as written (ASCII, as a mailbox's domain must be without SMTPUTF8); `host` would
        // also decode IDNA, which loads ICU's tables at start-up for this one default.
        let host = (URLComponents(string: effectivePublicURL)?.encodedHost ?? "").lowercased()
        return "no-reply@" + (TenantSettings.isValidHostname(host) ? host : "localhost")
    }

    /// The public URL: configured, or `http://<listen>`.
    public var effectivePublicURL: String { publicURL ?? "http://\(listen)" }
}
