import Foundation
import GatehouseCore
import GatehouseStore
import Mustache

/// Renders the server's HTML pages from Mustache templates (`templates/pages/`).
///
/// Every page gets the common context (`title`, `tenant_name`, `tenant_slug`, `base_path`, `static_base`,
/// `lang`) merged with its own values. `{{x}}` is HTML-escaped by swift-mustache.
///
/// A tenant's overrides (`page/<name>`, admin API) replace the default of the same name when a
/// `database` is passed to ``render(_:chrome:values:database:)``; partials (`_head`, `_foot`)
/// come from the defaults unless overridden too.
public struct PageRenderer: Sendable {
    let library: MustacheLibrary
    /// The default templates' sources by name (`login`, `_head`).
    let sources: [String: String]
    /// The largest section body of the default templates, in bytes (``RenderBudget``).
    let defaultsLargestBody: Int

    /// Loads the default page templates (partials included, named by file name): the built-in
    /// ones, each replaced by a `*.mustache` file of the same name in `directory` if there is one
    /// (`DefaultTemplates`).
    /// - Throws: `MustacheError` when a template does not parse.
    public init(directory: String?) async throws {
        var library = MustacheLibrary()
        var sources: [String: String] = [:]
        for (file, text) in DefaultTemplates.files("pages", directory: directory) {
            let name = String(file.dropLast(".mustache".count))
            library.register(try MustacheTemplate(string: text), named: name)
            sources[name] = text
        }
        self.library = library
        self.sources = sources
        self.defaultsLargestBody = sources.values.map(RenderBudget.largestSectionBody(in:)).max() ?? 0
    }

    /// Every page template name (`page/login`, `page/_head`, …), sorted.
    public var templateNames: [String] { sources.keys.sorted().map { "page/" + $0 } }

    /// Whether `name` (`page/admin_tenants`) is a page of the admin console: never a tenant's to
    /// override (the console renders the built-in templates only).
    public static func isConsolePage(_ name: String) -> Bool { name.hasPrefix("page/admin_") }

    /// The default source of `name` (`page/login`), or nil.
    public func defaultSource(named name: String) -> String? {
        guard name.hasPrefix("page/") else { return nil }
        return sources[String(name.dropFirst(5))]
    }

    /// The partials an override of `name` (`page/login`) may include: the default partials
    /// (`_head`, `_foot`, …) for a page, none for a partial (so nothing can include itself).
    public func allowedPartials(for name: String) -> Set<String> {
        guard name.hasPrefix("page/"), !name.dropFirst(5).hasPrefix("_") else { return [] }
        return Set(sources.keys.filter { $0.hasPrefix("_") })
    }

    /// A tenant's page templates: the defaults plus its page overrides, and the largest section
    /// body among them (nil without overrides: the defaults render unbounded).
    struct TenantPages: Sendable {
        let library: MustacheLibrary
        let largestBody: Int?
    }

    /// The library a tenant renders with: the defaults plus its page overrides (compiled once
    /// per change of its overrides).
    func pages(for database: any TemplateStore) -> TenantPages {
        let set = database.templateOverrides()
        guard set.overrides.keys.contains(where: { $0.hasPrefix("page/") }) else { return TenantPages(library: library, largestBody: nil) }
        let defaults = library
        let defaultsLargestBody = defaultsLargestBody
        return set.derived("pages") {
            var library = defaults
            var largest = defaultsLargestBody
            for (name, override) in set.overrides where name.hasPrefix("page/") {
                guard let body = override.body, let template = try? MustacheTemplate(string: body) else { continue }
                library.register(template, named: String(name.dropFirst(5)))
                largest = max(largest, RenderBudget.largestSectionBody(in: body))
            }
            return TenantPages(library: library, largestBody: largest)
        }
    }

    /// `context`, with its lists drawing on a ``RenderBudget`` when tenant-written templates are
    /// in play (`largestBody` not nil).
    static func bounded(_ context: [String: Any], largestBody: Int?) -> [String: Any] {
        guard let largestBody else { return context }
        return RenderBudget(largestBody: largestBody).bounded(context) as? [String: Any] ?? context
    }

    /// Renders the page `name` (`page/login`) from `source` in place of its template, with the
    /// tenant's other overrides (a preview of an unsaved edit). A partial (`page/_head`) is shown
    /// inside the login page.
    /// - Throws: `MustacheError` when `source` does not parse.
    public func render(draft source: String, as name: String, chrome: Chrome, values: [String: Any], database: any TemplateStore) throws -> String {
        let pages = self.pages(for: database)
        var library = pages.library
        let short = String(name.dropFirst("page/".count))
        library.register(try MustacheTemplate(string: source), named: short)
        let largest = max(pages.largestBody ?? defaultsLargestBody, RenderBudget.largestSectionBody(in: source))
        return library.render(Self.bounded(Self.context(chrome, values), largestBody: largest), withTemplate: short.hasPrefix("_") ? "login" : short)
            ?? ""
    }

    /// Common values of every page.
    public struct Chrome: Sendable {
        public var title: String
        public var tenantName: String
        public var tenantSlug: String
        public var staticBase: String = "/static"
        /// The path prefix of the tenant's pages: `/t/{slug}`, or empty on the tenant's own host.
        public var basePath: String
        public var lang: String = "en"
        /// The tenant whose template overrides apply; nil renders the defaults.
        public var database: (any TemplateStore)?

        public init(title: String, tenantName: String, tenantSlug: String, database: (any TemplateStore)? = nil) {
            self.title = title
            self.tenantName = tenantName
            self.tenantSlug = tenantSlug
            self.basePath = "/t/\(tenantSlug)"
            self.database = database
        }
    }

    /// Renders `template` with `chrome` and `values` (values win on a name clash).
    /// Absent optional values must be left out of `values`, not stored as nil.
    /// - Parameter database: the tenant whose overrides apply (default: `chrome.database`); nil renders the defaults.
    public func render(_ template: String, chrome: Chrome, values: [String: Any], database: (any TemplateStore)? = nil) -> String {
        let pages = (database ?? chrome.database).map { self.pages(for: $0) } ?? TenantPages(library: library, largestBody: nil)
        return pages.library.render(Self.bounded(Self.context(chrome, values), largestBody: pages.largestBody), withTemplate: template)
            ?? "<!doctype html><title>Error</title><p>Template \(template) is missing.</p>"
    }

    /// The common values of `chrome` merged with `values`.
    static func context(_ chrome: Chrome, _ values: [String: Any]) -> [String: Any] {
        // `base_path` is empty on a tenant's own host; set here, it is kept even when empty.
        var context: [String: Any] = [
            "title": chrome.title, "tenant_name": chrome.tenantName, "tenant_slug": chrome.tenantSlug,
            "static_base": chrome.staticBase, "lang": chrome.lang, "base_path": chrome.basePath,
        ]
        for (k, v) in values {
            // Absent and empty values are left out so that `{{#x}}` sections stay closed.
            if let s = v as? String, s.isEmpty { continue }
            context[k] = v
        }
        return context
    }
}
