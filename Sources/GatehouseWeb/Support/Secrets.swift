import Foundation
import GatehouseCrypto
import Logging

/// The instance's own secrets: the master key and the admin token (docs/contract.md A2).
enum Secrets {
    /// Reads the 32-byte master key from `master_key_file`, or from `<data>/master.key`, generating
    /// that file (mode 0600) on first start.
    static func masterKey(configuration: GatehouseConfiguration, dataDirectory: URL, logger: Logger) throws -> [UInt8] {
        let path = configuration.masterKeyFile ?? dataDirectory.appendingPathComponent("master.key").path
        if let data = FileManager.default.contents(atPath: path) {
            guard data.count == SecretBox.keyByteCount else {
                throw GatehouseConfiguration.Invalid(problems: [.init(key: "security.master_key_file", message: "\(path) must hold exactly 32 bytes")])
            }
            return Array(data)
        }
        guard configuration.masterKeyFile == nil else {
            throw GatehouseConfiguration.Invalid(problems: [.init(key: "security.master_key_file", message: "\(path) does not exist")])
        }
        let key = SecretBox.generateKey()
        try writePrivate(Data(key), to: path)
        logger.notice("generated master key", metadata: ["path": "\(path)"])
        return key
    }

    /// The admin token from the configuration, or from `<data>/admin-token`, generating that file
    /// (mode 0600) on first start.
    static func adminToken(configuration: GatehouseConfiguration, dataDirectory: URL, logger: Logger) throws -> String {
        if let token = configuration.adminToken { return token }
        let path = dataDirectory.appendingPathComponent("admin-token").path
        if let data = FileManager.default.contents(atPath: path),
            let token = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), token.count >= 16
        {
            return token
        }
        let token = "gh_admin_" + SecureRandom.token(byteCount: 32)
        try writePrivate(Data((token + "\n").utf8), to: path)
        logger.notice("generated admin token", metadata: ["path": "\(path)"])
        return token
    }

    static func writePrivate(_ data: Data, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw GatehouseConfiguration.Invalid(problems: [.init(key: path, message: "cannot write")])
        }
    }

    /// A folder from the configuration; when it is the default and missing in the working
    /// directory, the one beside the executable's checkout (so `.build/debug/gatehouse` finds the
    /// repository's `templates/` from any working directory).
    static func locate(_ configured: String, default defaultValue: String) -> String {
        let fm = FileManager.default
        if configured != defaultValue || fm.fileExists(atPath: configured) { return configured }
        var url = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        let name = defaultValue.hasPrefix("./") ? String(defaultValue.dropFirst(2)) : defaultValue
        for _ in 0..<5 {
            let candidate = url.appendingPathComponent(name)
            if fm.fileExists(atPath: candidate.path) { return candidate.path }
            url = url.deletingLastPathComponent()
        }
        return configured
    }
}
