import Foundation
import Mustache

/// Renders the server's HTML pages from Mustache templates (`templates/pages/`).
///
/// Every page gets the common context (`title`, `tenant_name`, `tenant_slug`, `static_base`,
/// `lang`) merged with its own values. `{{x}}` is HTML-escaped by swift-mustache.
public struct PageRenderer: Sendable {
    let library: MustacheLibrary

    /// Loads every `*.mustache` file under `directory` (partials included, named by file name).
    public init(directory: String) async throws {
        library = try await MustacheLibrary(directory: directory)
    }

    /// Common values of every page.
    public struct Chrome: Sendable {
        public var title: String
        public var tenantName: String
        public var tenantSlug: String
        public var staticBase: String = "/static"
        public var lang: String = "en"

        public init(title: String, tenantName: String, tenantSlug: String) {
            self.title = title
            self.tenantName = tenantName
            self.tenantSlug = tenantSlug
        }
    }

    /// Renders `template` with `chrome` and `values` (values win on a name clash).
    /// Absent optional values must be left out of `values`, not stored as nil.
    public func render(_ template: String, chrome: Chrome, values: [String: Any]) -> String {
        var context: [String: Any] = [
            "title": chrome.title, "tenant_name": chrome.tenantName, "tenant_slug": chrome.tenantSlug,
            "static_base": chrome.staticBase, "lang": chrome.lang,
        ]
        for (k, v) in values {
            // Absent and empty values are left out so that `{{#x}}` sections stay closed.
            if let s = v as? String, s.isEmpty { continue }
            context[k] = v
        }
        return library.render(context, withTemplate: template) ?? "<!doctype html><title>Error</title><p>Template \(template) is missing.</p>"
    }
}
