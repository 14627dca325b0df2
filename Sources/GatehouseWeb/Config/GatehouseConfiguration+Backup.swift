import Foundation
import TOMLKit

/// The `[backup]` table: scheduled online backups taken by the server (`gatehouse backup` takes
/// one on demand). Every key is documented here, where its default is defined, and in
/// `config/gatehouse.toml`.
public struct BackupConfiguration: Sendable {
    /// `dir`: folder that receives one sub-folder per backup, named by its UTC time
    /// (`20261203T101500Z`). Default none: no scheduled backups.
    public var directory: String?
    /// `interval_seconds`: seconds between scheduled backups. Default 86400.
    public var intervalSeconds = 86400
    /// `keep`: newest backups kept in `dir`; older ones are deleted after each new one. Default 7.
    public var keep = 7

    public init() {}

    static let keys: Set<String> = ["dir", "interval_seconds", "keep"]

    mutating func apply(_ table: TOMLTable, problems: inout [GatehouseConfiguration.Problem]) {
        if let v = table["dir"] {
            if let s = v.string, !s.isEmpty { directory = s } else { problems.append(.init(key: "backup.dir", message: "must be a non-empty string")) }
        }
        for (name, target) in [("interval_seconds", \BackupConfiguration.intervalSeconds), ("keep", \.keep)] {
            guard let v = table[name] else { continue }
            if let i = v.int { self[keyPath: target] = i } else { problems.append(.init(key: "backup.\(name)", message: "must be an integer")) }
        }
    }

    func validate() -> [GatehouseConfiguration.Problem] {
        var problems: [GatehouseConfiguration.Problem] = []
        if !(1...(30 * 86400)).contains(intervalSeconds) { problems.append(.init(key: "backup.interval_seconds", message: "must be 1…2592000")) }
        if !(1...1000).contains(keep) { problems.append(.init(key: "backup.keep", message: "must be 1…1000")) }
        return problems
    }
}
