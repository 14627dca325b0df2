import Foundation
import GatehouseCore
import Logging
import PostgresNIO
import Synchronization

/// How the nodes of one PostgreSQL database keep their caches coherent: versions polled from a
/// change feed.
///
/// Triggers in every schema (PostgresSchemas+Instance, +TenantChanges) append a row to
/// `<prefix>_instance.changes` in the same transaction as the write: a tenant created, updated or
/// deleted; a grant or access token revoked; a client changed or deleted; the signing keys or the
/// template overrides changed. Each node reads the rows it has not applied every
/// `changePollInterval` seconds (default 0.25) and applies them to its caches (registry, client
/// cache, revocation index, key ring, template overrides). A write on one node is thus seen by every
/// other within the poll interval plus one query — well under the 1 s bound
/// (docs/operations.md, Several nodes on PostgreSQL).
///
/// Polling rather than LISTEN/NOTIFY: a notification sent while a node's listening connection is
/// down is lost, and the node would have to reload everything to be safe; a feed read by position
/// loses nothing across reconnects, needs no dedicated connection, and costs a few indexed reads a
/// second. Row ids are handed out at insert but become visible at commit, so a row with a smaller
/// id may appear after a larger one was read: each poll also re-reads the last `overlap` seconds
/// and skips ids it has applied. Every action is an idempotent cache invalidation.
final class PostgresChangeFeed: Sendable {
    struct State {
        var lastID: Int64 = 0
        /// Ids applied within the overlap window, with when they were applied.
        var applied: [Int64: Date] = [:]
    }

    /// A row of the feed.
    struct Change: Sendable {
        let id: Int64
        let schemaName: String
        let kind: String
        let key: String
        let at: Date?
    }

    /// Seconds each poll re-reads before the newest applied row.
    static let overlap: TimeInterval = 5
    let state = Mutex(State())
}

extension PostgresInstanceStore {
    /// Starts reading the feed from its current end (this node's caches are empty, so nothing
    /// before matters) and polls until the store shuts down.
    func startChangeFeed() async throws -> Task<Void, Never> {
        let rows = try await client.query("SELECT COALESCE(MAX(id), 0)::bigint FROM \(unescaped: instance).changes", logger: logger)
        for try await last in rows.decode(Int64.self) { feed.state.withLock { $0.lastID = last } }
        let interval = configuration.changePollInterval
        return Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Int(interval * 1000)))
                guard let self else { return }
                do {
                    try await self.pollChanges()
                } catch {
                    if Task.isCancelled { return }
                    // The instance schema is gone (its database was emptied): nothing left to follow.
                    if (error as? PSQLError)?.serverInfo?[.sqlState] == "42P01" { return }
                    self.logger.warning("change feed: \(String(reflecting: error))")
                }
            }
        }
    }

    /// Reads and applies the rows not applied yet.
    /// - Returns: how many rows were applied.
    @discardableResult
    func pollChanges() async throws -> Int {
        let last = feed.state.withLock { $0.lastID }
        let rows = try await client.query(
            """
            SELECT id, schema_name, kind, key, at FROM \(unescaped: instance).changes
            WHERE id > \(last) OR recorded_at >= clock_timestamp() - \(PostgresChangeFeed.overlap) * interval '1 second'
            ORDER BY id
            """, logger: logger)
        var fresh: [PostgresChangeFeed.Change] = []
        let now = Date()
        for try await (id, schemaName, kind, key, at) in rows.decode((Int64, String, String, String, Date?).self) {
            let isNew = feed.state.withLock { state -> Bool in
                guard state.applied[id] == nil else { return false }
                state.applied[id] = now
                state.lastID = max(state.lastID, id)
                return true
            }
            if isNew { fresh.append(.init(id: id, schemaName: schemaName, kind: kind, key: key, at: at)) }
        }
        feed.state.withLock { state in
            let cutoff = now.addingTimeInterval(-2 * PostgresChangeFeed.overlap)
            if state.applied.count > 256 { state.applied = state.applied.filter { $0.value >= cutoff } }
        }
        for change in fresh { await apply(change) }
        return fresh.count
    }

    private func apply(_ change: PostgresChangeFeed.Change) async {
        if change.kind == "tenant" {
            // A tenant created or updated may have taken a hostname this node found missing.
            lookupMisses.clear()
            if let id = TenantID(rawValue: change.key) { await reloadTenant(id) }
            return
        }
        guard let id = schemas.tenantID(schemaName: change.schemaName), let caches = directory.existingCaches(of: id) else { return }
        switch change.kind {
        case "grant": caches.revocations.revokeGrants([change.key], at: change.at ?? clock.now)
        case "token": caches.revocations.revokeAccessToken(change.key, expiresAt: change.at ?? clock.now)
        case "client":
            caches.clients.withLock { $0[change.key] = nil }
            directory.forgetClient(change.key)
        case "keys": caches.keyRing.withLock { $0 = nil }
        case "templates":
            for handle in directory.handles where handle.tenant.id == id {
                do { try await handle.loadTemplateOverrides() } catch { logger.warning("change feed: templates of \(id.rawValue): \(error)") }
            }
        default: logger.warning("change feed: unknown kind '\(change.kind)'")
        }
    }
}

extension PostgresSchemas {
    /// The tenant whose schema is `schemaName` (unquoted), if it is one of this prefix's.
    func tenantID(schemaName: String) -> TenantID? {
        let head = "\(prefix)_t_ten_"
        guard schemaName.hasPrefix(head) else { return nil }
        return TenantID(rawValue: "ten_" + schemaName.dropFirst(head.count).uppercased())
    }
}
