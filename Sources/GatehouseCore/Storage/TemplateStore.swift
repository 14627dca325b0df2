import Foundation

/// A tenant's template overrides (pages and emails) and their history.
public protocol TemplateStore: Sendable {
    /// Every override of the tenant, from the tenant's cache. Synchronous so that page rendering
    /// stays synchronous; a read failure yields no overrides (the defaults render).
    func templateOverrides() -> TemplateOverrideSet
    /// Creates or replaces an override, effective for the next render, and records it as a new
    /// version by `author` in the same transaction (the oldest versions beyond
    /// ``TemplateVersion/keptPerTemplate`` of that template are dropped).
    func saveTemplateOverride(_ override: TemplateOverride, author: String) async throws
    /// Deletes an override (the default applies again) and, when there was one, records the
    /// return to the default as a version by `author` at `now` in the same transaction.
    /// - Returns: whether there was one.
    @discardableResult
    func deleteTemplateOverride(named name: String, author: String, at now: Date) async throws -> Bool
    /// The versions of the template `name` (`page/login`), newest first, at most `limit`.
    func templateVersions(named name: String, limit: Int) async throws -> [TemplateVersion]
    /// One version by id, or nil.
    func templateVersion(id: Int64) async throws -> TemplateVersion?
}

extension TemplateStore {
    /// The override named `name` (`page/<name>`, `email/<name>`), if any.
    public func templateOverride(named name: String) -> TemplateOverride? { templateOverrides().overrides[name] }
}
