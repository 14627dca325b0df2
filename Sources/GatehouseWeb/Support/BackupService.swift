import Foundation
import GatehouseStore
import Logging
import ServiceLifecycle

/// Scheduled online backups (`[backup] dir`, `interval_seconds`, `keep`): every interval, one
/// folder `dir/<UTC time>` made by `InstanceStore.backup(to:)`; then only the newest `keep`
/// folders whose names look like backups are kept. Added to the application only when `dir` is set.
struct BackupService: Service {
    let store: InstanceStore
    let configuration: BackupConfiguration
    let logger: Logger

    func run() async throws {
        guard let directory = configuration.directory else { return }
        let root = URL(fileURLWithPath: directory, isDirectory: true)
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(configuration.intervalSeconds))
                if Task.isCancelled { break }
                takeOne(root: root)
            }
        }
    }

    /// Takes one backup into `root` and prunes old ones; failures are logged, never fatal.
    func takeOne(root: URL) {
        let name = Self.folderName(Date())
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            // Written under a temporary name and renamed when complete, so an interrupted backup
            // never looks like one; leftovers of interrupted ones are removed first.
            for leftover in try fm.contentsOfDirectory(atPath: root.path) where leftover.hasPrefix(Self.partialPrefix) {
                try fm.removeItem(at: root.appendingPathComponent(leftover))
            }
            let partial = root.appendingPathComponent(Self.partialPrefix + name)
            let manifest = try store.backup(to: partial)
            try fm.moveItem(at: partial, to: root.appendingPathComponent(name))
            logger.info("backup written", metadata: ["folder": "\(root.appendingPathComponent(name).path)", "files": "\(manifest.files.count)"])
            let backups = try fm.contentsOfDirectory(atPath: root.path).filter(Self.isBackupName).sorted()
            for old in backups.dropLast(configuration.keep) {
                try fm.removeItem(at: root.appendingPathComponent(old))
            }
        } catch {
            logger.error("scheduled backup failed", metadata: ["folder": "\(root.path)", "error": "\(error)"])
        }
    }

    static let partialPrefix = ".partial-"

    /// `20261203T101500Z`: sorts by time.
    static func folderName(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return f.string(from: date)
    }

    static func isBackupName(_ name: String) -> Bool {
        name.utf8.count == 16 && name.hasSuffix("Z") && name.dropLast().allSatisfy { $0.isNumber || $0 == "T" }
    }
}
