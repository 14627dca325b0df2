import Foundation
import GatehouseCore
import PostgresNIO
import Synchronization

/// Template overrides of one tenant on PostgreSQL (`TemplateStore`), as `TenantDatabase+Mail.swift`
/// does on SQLite: rendering reads `caches.templateOverrides` synchronously; `prepare(now:)`
/// loads it, and every save or delete replaces it with the table as that change committed it.
extension PostgresTenantDatabase {
    /// Every template override of the tenant, from the tenant's cache (loaded by `prepare(now:)`
    /// before the handle is handed out). Not loaded (a failed load) yields no overrides: the
    /// defaults render.
    public func templateOverrides() -> TemplateOverrideSet {
        caches.templateOverrides.withLock { $0 } ?? TemplateOverrideSet([:])
    }

    /// Loads the template overrides into `caches.templateOverrides`, replacing what is there: on
    /// a handle's first use, and whenever the change feed reports a change made by any node. The
    /// table is read and the cache replaced under a `SHARE` lock, which waits for changes in
    /// flight and keeps new ones out until the cache holds what was read: a reload never puts an
    /// older set over a newer one a change of this node stored.
    func loadTemplateOverrides() async throws {
        try await transaction { connection in
            try await self.run("LOCK TABLE \(unescaped: self.schema).template_overrides IN SHARE MODE", on: connection)
            try await self.replaceCachedOverrides(on: connection)
        }
    }

    /// Creates or replaces an override, effective for the next render, recorded as a version by `author`.
    public func saveTemplateOverride(_ o: TemplateOverride, author: String) async throws {
        try await changingOverrides { connection in
            try await self.recordTemplateVersion(name: o.name, parts: o, author: author, at: o.updatedAt, on: connection)
            try await self.run(
                """
                INSERT INTO \(unescaped: self.schema).template_overrides (name, body, subject, text_body, html_body, updated_at)
                VALUES (\(o.name), \(o.body), \(o.subject), \(o.text), \(o.html), \(o.updatedAt))
                ON CONFLICT (name) DO UPDATE SET body = excluded.body, subject = excluded.subject, text_body = excluded.text_body,
                html_body = excluded.html_body, updated_at = excluded.updated_at
                """, on: connection)
        }
    }

    /// Deletes an override (the default applies again), recorded as a version by `author` when there was one.
    /// - Returns: whether there was one (false for a name holding U+0000: none is stored).
    @discardableResult
    public func deleteTemplateOverride(named name: String, author: String, at now: Date) async throws -> Bool {
        guard !Self.hasNUL(name) else { return false }
        return try await changingOverrides { connection in
            let deleted =
                !(try await self.run(
                    "DELETE FROM \(unescaped: self.schema).template_overrides WHERE name = \(name) RETURNING name", on: connection)).isEmpty
            if deleted { try await self.recordTemplateVersion(name: name, parts: nil, author: author, at: now, on: connection) }
            return deleted
        }
    }

    /// The versions of `name`, newest first, at most `limit`.
    public func templateVersions(named name: String, limit: Int) async throws -> [TemplateVersion] {
        guard !Self.hasNUL(name) else { return [] }
        return try await query(
            """
            SELECT id, name, body, subject, text_body, html_body, author, created_at FROM \(unescaped: schema).template_versions
            WHERE name = \(name) ORDER BY id DESC LIMIT \(max(0, limit))
            """
        ).map(Self.templateVersion)
    }

    public func templateVersion(id: Int64) async throws -> TemplateVersion? {
        try await query(
            """
            SELECT id, name, body, subject, text_body, html_body, author, created_at FROM \(unescaped: schema).template_versions
            WHERE id = \(id)
            """
        ).first.map(Self.templateVersion)
    }

    /// Appends a version of `name` (`parts` nil: back to the default) on `connection` and drops
    /// the ones beyond `TemplateVersion.keptPerTemplate`.
    private func recordTemplateVersion(name: String, parts: TemplateOverride?, author: String, at now: Date, on connection: PostgresConnection)
        async throws
    {
        try await run(
            """
            INSERT INTO \(unescaped: schema).template_versions (name, body, subject, text_body, html_body, author, created_at)
            VALUES (\(name), \(parts?.body), \(parts?.subject), \(parts?.text), \(parts?.html), \(author), \(now))
            """, on: connection)
        try await run(
            """
            DELETE FROM \(unescaped: schema).template_versions WHERE name = \(name) AND id <= (SELECT id FROM
            \(unescaped: schema).template_versions WHERE name = \(name) ORDER BY id DESC LIMIT 1 OFFSET \(TemplateVersion.keptPerTemplate))
            """, on: connection)
    }

    static func templateVersion(_ row: PostgresRow) throws -> TemplateVersion {
        let r = row.makeRandomAccess()
        return TemplateVersion(
            id: try r.value("id"), name: try r.value("name"), body: try r.value("body"), subject: try r.value("subject"),
            text: try r.value("text_body"), html: try r.value("html_body"), author: try r.value("author"), createdAt: try r.value("created_at"))
    }

    /// Runs `change` in a transaction that first locks the table against other changes (so
    /// changes commit one after another), then replaces the cache with the table as it stands
    /// before the commit: concurrent changes land in the cache in commit order.
    private func changingOverrides<T: Sendable>(_ change: @Sendable @escaping (PostgresConnection) async throws -> T) async throws -> T {
        try await transaction { connection in
            try await self.run("LOCK TABLE \(unescaped: self.schema).template_overrides IN SHARE ROW EXCLUSIVE MODE", on: connection)
            let result = try await change(connection)
            try await self.replaceCachedOverrides(on: connection)
            return result
        }
    }

    /// Reads every override on `connection` (whose transaction holds a lock on the table) and
    /// replaces the cache with them.
    private func replaceCachedOverrides(on connection: PostgresConnection) async throws {
        let rows = try await run(
            "SELECT name, body, subject, text_body, html_body, updated_at FROM \(unescaped: schema).template_overrides", on: connection)
        let set = TemplateOverrideSet(try Self.templateOverrides(rows))
        caches.templateOverrides.withLock { $0 = set }
    }

    static func templateOverrides(_ rows: [PostgresRow]) throws -> [String: TemplateOverride] {
        var result: [String: TemplateOverride] = [:]
        for row in rows {
            let r = row.makeRandomAccess()
            let o = TemplateOverride(
                name: try r.value("name"), body: try r.value("body"), subject: try r.value("subject"), text: try r.value("text_body"),
                html: try r.value("html_body"), updatedAt: try r.value("updated_at"))
            result[o.name] = o
        }
        return result
    }
}
