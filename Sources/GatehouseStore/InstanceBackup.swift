import Foundation
import GatehouseCrypto
import GRDB

/// Online backups of an instance's data folder: the instance database and every tenant database,
/// each copied with SQLite's online backup API, so that a backup taken while the server serves
/// traffic is consistent per database.
///
/// A backup folder holds `instance.sqlite`, `tenants/<tenant id>.sqlite` (single files in rollback
/// journal mode) and `manifest.json` with the SHA-256 of every file. The master key is not part of
/// it: private keys and client secrets inside stay sealed, and the manifest carries only a key
/// check value (an HMAC of a fixed label) so that a restore refuses the wrong key.
public enum InstanceBackup {
    /// `manifest.json`.
    public struct Manifest: Codable, Sendable, Equatable {
        /// Manifest format; 1.
        public var format: Int
        /// When the backup started, ISO 8601 UTC.
        public var createdAt: String
        /// Hex HMAC-SHA-256 of "gatehouse backup key check v1" under the master key.
        public var keyCheck: String
        public var files: [File]

        enum CodingKeys: String, CodingKey {
            case format, files
            case createdAt = "created_at"
            case keyCheck = "key_check"
        }
    }

    /// One file of a backup.
    public struct File: Codable, Sendable, Equatable {
        /// Path relative to the backup folder, e.g. `tenants/ten_….sqlite`.
        public var path: String
        /// Hex SHA-256 of the file's bytes.
        public var sha256: String
        /// Size in bytes.
        public var bytes: Int
        /// The tenant's slug, for tenant databases.
        public var tenant: String?
    }

    /// Why a backup or restore was refused.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    static let manifestName = "manifest.json"

    /// Backs up the data folder `dataDirectory` into the new or empty folder `destination`.
    /// `keyCheck` is `keyCheck(masterKey)` of the instance's master key.
    ///
    /// The instance database is copied first; then each tenant it lists. A tenant deleted between
    /// the two steps is removed from the copied registry, so the backup never lists a tenant
    /// without its database. Files are written with mode 0600, folders 0700.
    /// - Returns: the manifest written to `destination/manifest.json`.
    /// - Throws: `Failure` when `destination` is not empty or a database cannot be read.
    @discardableResult
    public static func create(dataDirectory: URL, destination: URL, keyCheck: String, now: Date) throws -> Manifest {
        let fm = FileManager.default
        let instanceFile = dataDirectory.appendingPathComponent("instance.sqlite")
        guard fm.fileExists(atPath: instanceFile.path) else {
            throw Failure("\(dataDirectory.path) is not a Gatehouse data folder (no instance.sqlite)")
        }
        if fm.fileExists(atPath: destination.path) {
            guard (try fm.contentsOfDirectory(atPath: destination.path)).isEmpty else {
                throw Failure("\(destination.path) is not empty; a backup goes into a new or empty folder")
            }
        }
        try privateDirectory(destination)
        try privateDirectory(destination.appendingPathComponent("tenants"))

        var files: [File] = []
        let instanceCopy = destination.appendingPathComponent("instance.sqlite")
        try copyDatabase(from: instanceFile, to: instanceCopy)
        let tenants = try DatabaseQueue(path: instanceCopy.path).read { db in
            try Row.fetchAll(db, sql: "SELECT id, slug FROM tenants ORDER BY slug").map { (id: $0["id"] as String, slug: $0["slug"] as String) }
        }
        var missing: [String] = []
        for tenant in tenants {
            let source = dataDirectory.appendingPathComponent("tenants/\(tenant.id).sqlite")
            let path = "tenants/\(tenant.id).sqlite"
            guard fm.fileExists(atPath: source.path) else { missing.append(tenant.id); continue }
            try copyDatabase(from: source, to: destination.appendingPathComponent(path))
            files.append(try describe(destination, path, tenant: tenant.slug))
        }
        if !missing.isEmpty {
            let queue = try DatabaseQueue(path: instanceCopy.path)
            try queue.write { db in
                for id in missing { try db.execute(cached: "DELETE FROM tenants WHERE id = ?", arguments: [id]) }
            }
            try queue.close()
        }
        files.insert(try describe(destination, "instance.sqlite", tenant: nil), at: 0)
        let manifest = Manifest(
            format: 1, createdAt: ISO8601DateFormatter().string(from: now),
            keyCheck: keyCheck, files: files)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try writePrivate(try encoder.encode(manifest), to: destination.appendingPathComponent(manifestName))
        return manifest
    }

    /// Reads `source/manifest.json` and checks every file it lists (size and SHA-256), that no
    /// other database file is present, and, when `masterKey` is given, that it is the key the
    /// backup was made under.
    /// - Throws: `Failure` naming every file that does not verify.
    @discardableResult
    public static func verify(source: URL, masterKey: [UInt8]?) throws -> Manifest {
        guard let data = FileManager.default.contents(atPath: source.appendingPathComponent(manifestName).path) else {
            throw Failure("\(source.path) has no \(manifestName)")
        }
        let manifest: Manifest
        do { manifest = try JSONDecoder().decode(Manifest.self, from: data) } catch {
            throw Failure("\(manifestName) is not a Gatehouse backup manifest: \(error)")
        }
        guard manifest.format == 1 else { throw Failure("manifest format \(manifest.format) is not supported by this version") }
        var problems: [String] = []
        if let masterKey, !ConstantTime.equals(Array(keyCheck(masterKey).utf8), Array(manifest.keyCheck.utf8)) {
            problems.append("the master key is not the one this backup was made under")
        }
        guard manifest.files.contains(where: { $0.path == "instance.sqlite" }) else {
            throw Failure("the manifest lists no instance.sqlite")
        }
        for file in manifest.files {
            guard isSafe(file.path) else { problems.append("\(file.path): not a path inside the backup"); continue }
            let url = source.appendingPathComponent(file.path)
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path) else {
                problems.append("\(file.path): missing"); continue
            }
            let size = (attributes[.size] as? NSNumber)?.intValue ?? -1
            let digest = try hex(Digest.sha256(fileAtPath: url.path))
            if size != file.bytes || digest != file.sha256 { problems.append("\(file.path): SHA-256 or size does not match the manifest") }
        }
        guard problems.isEmpty else { throw Failure("the backup does not verify:\n  " + problems.joined(separator: "\n  ")) }
        return manifest
    }

    /// Restores a verified backup into `dataDirectory`, which must be new or empty. The master key
    /// must be the backup's; the caller puts it where the server reads it.
    /// - Throws: `Failure` when the backup does not verify or the folder is not empty.
    @discardableResult
    public static func restore(from source: URL, into dataDirectory: URL, masterKey: [UInt8]) throws -> Manifest {
        let fm = FileManager.default
        if fm.fileExists(atPath: dataDirectory.path) {
            guard (try fm.contentsOfDirectory(atPath: dataDirectory.path)).isEmpty else {
                throw Failure("\(dataDirectory.path) is not empty; restore into a new or empty data folder")
            }
        }
        let manifest = try verify(source: source, masterKey: masterKey)
        try privateDirectory(dataDirectory)
        try privateDirectory(dataDirectory.appendingPathComponent("tenants"))
        for file in manifest.files {
            let bytes = try Data(contentsOf: source.appendingPathComponent(file.path))
            try writePrivate(bytes, to: dataDirectory.appendingPathComponent(file.path))
        }
        return manifest
    }

    // MARK: Helpers

    /// Copies one database with SQLite's online backup API (a reader of the live database: the
    /// server keeps writing), then makes the copy a single file (journal_mode=DELETE).
    static func copyDatabase(from source: URL, to destination: URL) throws {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        let reader = try DatabaseQueue(path: source.path, configuration: configuration)
        let copy = try DatabaseQueue(path: destination.path)
        try reader.backup(to: copy)
        try copy.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = DELETE")
        }
        try copy.close()
        try reader.close()
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: destination.path)
    }

    static func describe(_ folder: URL, _ path: String, tenant: String?) throws -> File {
        let url = folder.appendingPathComponent(path)
        let size = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue ?? 0
        return File(path: path, sha256: hex(try Digest.sha256(fileAtPath: url.path)), bytes: size, tenant: tenant)
    }

    /// The key check value of `masterKey` that manifests carry: hex HMAC-SHA-256 of a fixed label.
    public static func keyCheck(_ masterKey: [UInt8]) -> String {
        hex(Digest.hmacSHA256(key: masterKey, message: Array("gatehouse backup key check v1".utf8)))
    }

    /// Only `instance.sqlite` and `tenants/<name>.sqlite`: a manifest cannot write elsewhere.
    static func isSafe(_ path: String) -> Bool {
        if path == "instance.sqlite" { return true }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == "tenants", parts[1].hasSuffix(".sqlite") else { return false }
        return parts[1].utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F || $0 == 0x2E }
            && !parts[1].hasPrefix(".")
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    static func privateDirectory(_ url: URL) throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: url.path)
    }

    static func writePrivate(_ data: Data, to url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw Failure("cannot write \(url.path)")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
    }
}
