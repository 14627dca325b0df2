import Foundation

/// A tenant's template overrides (pages and emails).
public protocol TemplateStore: Sendable {
    /// Every override of the tenant, from the tenant's cache. Synchronous so that page rendering
    /// stays synchronous; a read failure yields no overrides (the defaults render).
    func templateOverrides() -> TemplateOverrideSet
    /// Creates or replaces an override; effective for the next render.
    func saveTemplateOverride(_ override: TemplateOverride) async throws
    /// Deletes an override (the default applies again). - Returns: whether there was one.
    @discardableResult
    func deleteTemplateOverride(named name: String) async throws -> Bool
}

extension TemplateStore {
    /// The override named `name` (`page/<name>`, `email/<name>`), if any.
    public func templateOverride(named name: String) -> TemplateOverride? { templateOverrides().overrides[name] }
}
