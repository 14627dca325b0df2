import Foundation
import GatehouseCore
import Synchronization

/// Encoded public documents (discovery, JWKS) of each tenant, kept until their inputs change.
/// Keyed by tenant id; each entry remembers the inputs it was built from (`version`).
final class DocumentCache: Sendable {
    private let entries = Mutex<[String: (version: String, bytes: Data)]>([:])

    /// The document `name` of `tenant` for inputs `version`, built by `make` when missing or stale.
    func document(_ name: String, tenant: TenantID, version: String, make: () throws -> Data) rethrows -> Data {
        let key = tenant.rawValue + "/" + name
        if let entry = entries.withLock({ $0[key] }), entry.version == version { return entry.bytes }
        let bytes = try make()
        entries.withLock { entries in
            if entries.count > 20_000 { entries.removeAll(keepingCapacity: true) }
            entries[key] = (version, bytes)
        }
        return bytes
    }
}
