import ArgumentParser
import Foundation
import GatehouseStore
import GatehouseWeb

/// The data folder and master key named by `--config` and the environment, as `serve` reads them.
struct LocalDataOptions: ParsableArguments {
    @Option(name: .long, help: "TOML configuration file: its [storage] data_dir and [security] master_key_file are used.")
    var config: String?

    func configuration() throws -> GatehouseConfiguration {
        do {
            return try GatehouseConfiguration.load(path: config, environment: ProcessInfo.processInfo.environment)
        } catch let invalid as GatehouseConfiguration.Invalid {
            FileHandle.standardError.write(Data((invalid.description + "\n").utf8))
            throw ExitCode(78)
        }
    }

    /// Reads a 32-byte master key file.
    static func readKey(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw LocalFailure("cannot read the master key \(path)") }
        guard data.count == 32 else { throw LocalFailure("\(path) must hold exactly 32 bytes") }
        return Array(data)
    }
}

/// A failure of a local (non-API) command, printed on stderr with exit code 1.
struct LocalFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs a local command, printing failures readably with exit code 1.
func runLocal(_ body: () throws -> Void) throws {
    do { try body() } catch { throw localExit(error) }
}

/// `runLocal` for commands that wait on the network (PostgreSQL).
func runLocal(_ body: () async throws -> Void) async throws {
    do { try await body() } catch { throw localExit(error) }
}

/// A local command's failure printed readably as exit code 1; other errors unchanged.
private func localExit(_ error: any Error) -> any Error {
    switch error {
    case let failure as LocalFailure: FileHandle.standardError.write(Data("error: \(failure.description)\n".utf8))
    case let failure as InstanceBackup.Failure: FileHandle.standardError.write(Data("error: \(failure.description)\n".utf8))
    default: return error
    }
    return ExitCode.failure
}

/// `gatehouse backup --to DIR`.
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Back up the data folder (online: the server may keep running).",
        discussion: """
            Copies the instance database and every tenant database with SQLite's online backup API into DIR \
            (new or empty), each consistent on its own, and writes DIR/manifest.json with the SHA-256 of every \
            file. Run it on the machine that holds the data folder. The master key is NOT copied: without it the \
            backup's private keys and secrets cannot be used, so keep the key apart from the backups. \
            Scheduled backups: [backup] in the configuration.
            """)

    @OptionGroup var local: LocalDataOptions

    @Option(name: .long, help: "Folder to write the backup into (created; must be empty).")
    var to: String

    func run() throws {
        try runLocal {
            let config = try local.configuration()
            let data = URL(fileURLWithPath: config.dataDirectory, isDirectory: true)
            let key = try LocalDataOptions.readKey(config.masterKeyFile ?? data.appendingPathComponent("master.key").path)
            let manifest = try InstanceBackup.create(
                dataDirectory: data, destination: URL(fileURLWithPath: to, isDirectory: true),
                keyCheck: InstanceBackup.keyCheck(key), now: Date())
            let bytes = manifest.files.reduce(0) { $0 + $1.bytes }
            print("backup of \(manifest.files.count - 1) tenant(s) written to \(to) (\(bytes) bytes); the master key is not in it")
        }
    }
}

/// `gatehouse restore --from DIR`.
struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup into an empty data folder.",
        discussion: """
            Verifies DIR/manifest.json (every file's SHA-256 and size, and that the master key is the one the \
            backup was made under), then copies the databases into the data folder, which must be new or empty. \
            The master key comes from --master-key-file (copied to <data>/master.key) or from the configured \
            master_key_file / GATEHOUSE_MASTER_KEY_FILE. A restored server generates a new admin token unless \
            one is configured.
            """)

    @OptionGroup var local: LocalDataOptions

    @Option(name: .long, help: "The backup folder.")
    var from: String

    @Option(name: .long, help: "The backup's master key file (32 bytes).")
    var masterKeyFile: String?

    func run() throws {
        try runLocal {
            let config = try local.configuration()
            let data = URL(fileURLWithPath: config.dataDirectory, isDirectory: true)
            guard let keyPath = masterKeyFile ?? config.masterKeyFile else {
                throw LocalFailure("the backup's master key is needed: pass --master-key-file or set GATEHOUSE_MASTER_KEY_FILE")
            }
            let key = try LocalDataOptions.readKey(keyPath)
            let manifest = try InstanceBackup.restore(from: URL(fileURLWithPath: from, isDirectory: true), into: data, masterKey: key)
            if masterKeyFile != nil, config.masterKeyFile == nil {
                let target = data.appendingPathComponent("master.key").path
                guard FileManager.default.createFile(atPath: target, contents: Data(key), attributes: [.posixPermissions: 0o600]) else {
                    throw LocalFailure("cannot write \(target)")
                }
            }
            print("restored \(manifest.files.count - 1) tenant(s) from the backup of \(manifest.createdAt) into \(data.path)")
        }
    }
}
