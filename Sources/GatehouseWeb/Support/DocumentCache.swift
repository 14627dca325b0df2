import Foundation
import GatehouseCore
import NIOCore
import Synchronization

/// Encoded public documents (discovery, JWKS) of each tenant, kept until their inputs change.
/// Keyed by tenant id; each entry remembers the inputs it was built from (`version`). Entries are
/// `ByteBuffer`s, which responses share without copying.
final class DocumentCache: Sendable {
    private struct Key: Hashable {
        let tenant: TenantID
        let name: String
    }

    private let entries = Mutex<[Key: (version: String, bytes: ByteBuffer)]>([:])

    /// The document `name` of `tenant` for inputs `version`, built by `make` when missing or stale.
    func document(_ name: String, tenant: TenantID, version: String, make: () throws -> Data) rethrows -> ByteBuffer {
        let key = Key(tenant: tenant, name: name)
        if let entry = entries.withLock({ $0[key] }), entry.version == version { return entry.bytes }
        let bytes = ByteBuffer(bytes: try make())
        entries.withLock { entries in
            if entries.count > 20_000 { entries.removeAll(keepingCapacity: true) }
            entries[key] = (version, bytes)
        }
        return bytes
    }
}
