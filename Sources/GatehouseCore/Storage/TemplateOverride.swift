import Foundation
import Synchronization

/// A tenant's replacement for one default template (table `template_overrides`).
///
/// A page override has a `body`; an email override has a `subject`, a `text` part and an optional
/// `html` part. The name says which: `page/login`, `email/verify`.
public struct TemplateOverride: Sendable, Equatable {
    /// `page/<name>` or `email/<name>`.
    public var name: String
    /// A page's Mustache source.
    public var body: String?
    /// An email's subject line template.
    public var subject: String?
    /// An email's plain-text part template.
    public var text: String?
    /// An email's HTML part template; nil sends a text-only message.
    public var html: String?
    public var updatedAt: Date

    public init(name: String, body: String? = nil, subject: String? = nil, text: String? = nil, html: String? = nil, updatedAt: Date) {
        self.name = name
        self.body = body
        self.subject = subject
        self.text = text
        self.html = html
        self.updatedAt = updatedAt
    }
}

/// One saved state of a tenant's template (table `template_versions`): the override's parts as
/// saved, or no parts at all when the template was reset to its default.
public struct TemplateVersion: Sendable, Equatable {
    /// Increasing per tenant: a later save has a larger id.
    public var id: Int64
    /// `page/<name>` or `email/<name>`.
    public var name: String
    public var body: String?
    public var subject: String?
    public var text: String?
    public var html: String?
    /// Who saved it: `operator:<email>`, `tenant_admin:<email>`, `admin_token`.
    public var author: String
    public var createdAt: Date

    /// Versions kept per template; older ones are dropped at the next save.
    public static let keptPerTemplate = 50

    public init(
        id: Int64, name: String, body: String? = nil, subject: String? = nil, text: String? = nil, html: String? = nil, author: String,
        createdAt: Date
    ) {
        self.id = id
        self.name = name
        self.body = body
        self.subject = subject
        self.text = text
        self.html = html
        self.author = author
        self.createdAt = createdAt
    }

    /// Whether this version is a return to the default (no override).
    public var isDefault: Bool { body == nil && subject == nil && text == nil && html == nil }

    /// The override this version restores, saved at `now`; nil for a return to the default.
    public func override(at now: Date) -> TemplateOverride? {
        isDefault ? nil : TemplateOverride(name: name, body: body, subject: subject, text: text, html: html, updatedAt: now)
    }
}

/// Every override of one tenant, as loaded at one moment.
///
/// A change to any override replaces the whole set in the tenant's caches, so values derived
/// from a set (compiled templates) are kept with it through ``derived(_:_:)`` and dropped with it.
public final class TemplateOverrideSet: Sendable {
    /// Overrides by name.
    public let overrides: [String: TemplateOverride]
    private let memo = Mutex<[String: any Sendable]>([:])

    public init(_ overrides: [String: TemplateOverride]) {
        self.overrides = overrides
    }

    /// The value `make` builds from this set under `key`, built once and kept as long as the set lives.
    public func derived<T: Sendable>(_ key: String, _ make: () -> T) -> T {
        memo.withLock { memo in
            if let value = memo[key] as? T { return value }
            let value = make()
            memo[key] = value
            return value
        }
    }
}
