import Foundation
import GatehouseCore
import GatehouseOutbound
import GatehouseStore
import Logging
import Mustache

/// The Mustache sources of one email: subject line, plain-text part and optional HTML part.
public struct EmailTemplateSource: Sendable, Equatable {
    public var subject: String
    public var text: String
    /// Nil: the message is text/plain only.
    public var html: String?

    public init(subject: String, text: String, html: String?) {
        self.subject = subject
        self.text = text
        self.html = html
    }
}

/// An email rendered for one recipient, before MIME encoding.
public struct RenderedEmail: Sendable, Equatable {
    /// One line, at most 200 characters.
    public var subject: String
    public var text: String
    public var html: String?
}

/// Why an email could not be queued.
public enum EmailError: Error, Equatable, Sendable {
    /// No default template file with this name exists (`email/…`).
    case unknownTemplate(String)
    /// The recipient is not a plain ASCII `local@domain` address (RFC 5321; SMTPUTF8 is not used).
    case invalidRecipient(String)
    /// The rendered message could not be built (e.g. a line over 998 octets).
    case invalidMessage(String)
}

/// Renders a tenant's email templates and queues the messages in the tenant's durable outbox.
///
/// Templates: the tenant's override (admin API `…/templates/email/<name>`) or the default from
/// `templates/email/<name>.{subject,text,html}.mustache`. The subject and the text part are
/// rendered without HTML escaping (they are not HTML); the HTML part escapes every `{{value}}`.
/// Every rendering gets `tenant_name` and `tenant_slug` next to the caller's values; empty values
/// are left out so that `{{#user_name}}…{{/user_name}}` sections stay closed.
///
/// Queued messages are delivered by ``MailDeliveryService`` (SMTP, or `.eml` files in
/// `<data>/outbox/` without SMTP), at least once: see that type. Nothing here logs message
/// content, links or codes.
public final class EmailService: Sendable {
    public let settings: MailSettings
    let store: any InstanceStorage
    let clock: any Clock
    let logger: Logger
    let publicURL: String
    /// Default sources by stem (`verify`).
    let defaults: [String: EmailTemplateSource]
    let compiledDefaults: [String: CompiledEmail]
    /// Wakes the delivery worker; newest-only buffering coalesces bursts.
    let wakeups: AsyncStream<Void>
    private let wakeContinuation: AsyncStream<Void>.Continuation
    /// The SMTP transport, or nil for the outbox folder.
    let sender: SMTPSender?

    /// Loads the default templates from `directory` (`templates/email`).
    /// - Throws: when a default template of ``EmailTemplate`` is missing or does not parse.
    public init(settings: MailSettings, directory: String, store: any InstanceStorage, clock: any Clock, logger: Logger, publicURL: String) throws {
        self.settings = settings
        self.store = store
        self.clock = clock
        self.logger = logger
        self.publicURL = publicURL
        let loaded = try Self.loadDefaults(directory: directory)
        for template in EmailTemplate.allCases where loaded[template.stem] == nil {
            throw GatehouseConfiguration.Invalid(problems: [
                .init(
                    key: "server.templates_dir", message: "\(directory)/\(template.stem).subject.mustache (and .text, .html) is missing")
            ])
        }
        defaults = loaded
        var compiled: [String: CompiledEmail] = [:]
        for (stem, source) in loaded {
            do {
                compiled[stem] = try CompiledEmail(source)
            } catch {
                throw GatehouseConfiguration.Invalid(problems: [.init(key: "server.templates_dir", message: "\(directory)/\(stem): \(error)")])
            }
        }
        compiledDefaults = compiled
        (wakeups, wakeContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        sender = settings.smtp.map { SMTPSender(configuration: $0) }
    }

    /// Reads `<stem>.subject.mustache`, `<stem>.text.mustache` and the optional `<stem>.html.mustache`
    /// of the default templates (built in, overlaid by the files in `directory`; `DefaultTemplates`).
    static func loadDefaults(directory: String) throws -> [String: EmailTemplateSource] {
        let files = DefaultTemplates.files("email", directory: directory)
        var result: [String: EmailTemplateSource] = [:]
        for file in files.keys where file.hasSuffix(".subject.mustache") {
            let stem = String(file.dropLast(".subject.mustache".count))
            func read(_ part: String) -> String? { files["\(stem).\(part).mustache"] }
            guard let subject = read("subject"), let text = read("text") else { continue }
            result[stem] = EmailTemplateSource(subject: subject.trimmingCharacters(in: .newlines), text: text, html: read("html"))
        }
        return result
    }

    // MARK: Names

    /// Every email template name (`email/verify`, …), sorted.
    public var templateNames: [String] { defaults.keys.sorted().map { "email/" + $0 } }

    /// The default sources of `name` (`email/verify`), or nil.
    public func defaultSource(named name: String) -> EmailTemplateSource? {
        guard name.hasPrefix("email/") else { return nil }
        return defaults[String(name.dropFirst(6))]
    }

    /// The sources a tenant sends for `name`: its override, or the default.
    public func effectiveSource(named name: String, database: any TenantHandle) -> EmailTemplateSource? {
        if let o = database.templateOverride(named: name), let subject = o.subject, let text = o.text {
            return EmailTemplateSource(subject: subject, text: text, html: o.html)
        }
        return defaultSource(named: name)
    }

    // MARK: Sending

    /// Renders `template` for `to` with the tenant's templates and queues it in the tenant's outbox.
    ///
    /// Returns once the message is stored durably; delivery happens in the background, at least once.
    /// - Parameters:
    ///   - template: which email.
    ///   - to: the recipient address (ASCII `local@domain`).
    ///   - values: template variables, e.g. `user_email`, `user_name`, `link`, `code`, `expires_minutes`;
    ///     `tenant_name` and `tenant_slug` are added.
    ///   - database: the tenant's database (its templates and its outbox).
    /// - Returns: the message id (`msg_…`, also in its `Message-ID`).
    /// - Throws: ``EmailError`` for a bad recipient or message; storage errors.
    @discardableResult
    public func send(_ template: EmailTemplate, to: String, values: [String: String], database: any TenantHandle) async throws -> String {
        try await send(named: template.rawValue, to: to, values: values, database: database)
    }

    /// ``send(_:to:values:database:)`` by template name (`email/verify`).
    @discardableResult
    public func send(named name: String, to: String, values: [String: String], database: any TenantHandle) async throws -> String {
        guard (try? MailAddress.validate(to)) != nil else { throw EmailError.invalidRecipient("not a plain ASCII local@domain address") }
        let rendered = try render(named: name, values: values, database: database)
        let now = clock.now
        let id = "msg_" + ULID.make(at: now)
        let tenant = database.tenant.tenant
        var builder = MIMEMessageBuilder(
            from: MailAddress(settings.fromAddress, displayName: settings.fromName ?? Self.oneLine(tenant.name, limit: 100)),
            to: [MailAddress(to)], subject: rendered.subject, textBody: rendered.text, htmlBody: rendered.html, date: now,
            additionalHeaders: [("Auto-Submitted", "auto-generated"), ("X-Gatehouse-Tenant", tenant.slug)])
        builder.messageID = "\(id)@\(settings.fromAddress.split(separator: "@").last.map(String.init) ?? "gatehouse.invalid")"
        let message: MailMessage
        do {
            message = try builder.build()
        } catch {
            if case .invalidAddress(let detail) = error { throw EmailError.invalidRecipient(detail) }
            throw EmailError.invalidMessage("\(error)")
        }
        try await store.enqueueMail(
            OutboxMessage(
                id: id, template: name, recipient: to, envelopeFrom: message.from, subject: rendered.subject,
                message: message.rfc822, nextAttemptAt: now, createdAt: now), in: database)
        logger.debug("email queued", metadata: ["id": "\(id)", "template": "\(name)", "tenant": "\(tenant.slug)"])
        wake()
        return id
    }

    /// Renders `name` (`email/verify`) with the tenant's templates, without queueing anything.
    /// - Throws: ``EmailError/unknownTemplate(_:)``.
    public func render(named name: String, values: [String: String], database: any TenantHandle) throws -> RenderedEmail {
        guard name.hasPrefix("email/"), let fallback = compiledDefaults[String(name.dropFirst(6))] else {
            throw EmailError.unknownTemplate(name)
        }
        let set = database.templateOverrides()
        let compiled = set.overrides[name] == nil ? fallback : (compiledOverrides(set)[name] ?? fallback)
        return render(compiled, values: values, database: database)
    }

    /// Renders `draft` (an unsaved edit of the tenant's email) as ``render(named:values:database:)``
    /// renders a saved one.
    /// - Throws: `MustacheError` when a part does not parse.
    public func render(draft: EmailTemplateSource, values: [String: String], database: any TenantHandle) throws -> RenderedEmail {
        render(try CompiledEmail(draft), values: values, database: database)
    }

    /// `compiled` rendered with `values`, `tenant_name`, `tenant_slug` and `expires_in`.
    private func render(_ compiled: CompiledEmail, values: [String: String], database: any TenantHandle) -> RenderedEmail {
        var context: [String: Any] = [:]
        for (key, value) in values where !value.isEmpty { context[key] = value }
        context["tenant_name"] = database.tenant.tenant.name
        context["tenant_slug"] = database.tenant.slug
        // `expires_in`: `expires_minutes` in words ("30 minutes", "24 hours").
        if context["expires_in"] == nil, let minutes = (context["expires_minutes"] as? String).flatMap(Int.init) {
            context["expires_in"] = minutes >= 120 && minutes % 60 == 0 ? "\(minutes / 60) hours" : "\(minutes) minutes"
        }
        let subject = Self.oneLine(compiled.subject.render(context), limit: 200)
        return RenderedEmail(
            subject: subject.isEmpty ? database.tenant.tenant.name : subject,
            text: compiled.text.render(context), html: compiled.html?.render(context))
    }

    /// The tenant's email overrides, compiled once per override set.
    private func compiledOverrides(_ set: TemplateOverrideSet) -> [String: CompiledEmail] {
        set.derived("email") {
            var result: [String: CompiledEmail] = [:]
            for (name, o) in set.overrides where name.hasPrefix("email/") {
                guard let subject = o.subject, let text = o.text else { continue }
                result[name] = try? CompiledEmail(EmailTemplateSource(subject: subject, text: text, html: o.html))
            }
            return result
        }
    }

    /// Wakes the delivery worker.
    public func wake() { wakeContinuation.yield() }

    /// `text` on one line: CR, LF and tabs become spaces, runs of spaces collapse, at most `limit` characters.
    static func oneLine(_ text: String, limit: Int) -> String {
        let words = text.split(whereSeparator: { $0.isWhitespace || $0.unicodeScalars.allSatisfy { $0.properties.generalCategory == .control } })
        return String(words.joined(separator: " ").prefix(limit))
    }
}

/// An email's templates, parsed: subject and text as plain text, HTML with escaping.
struct CompiledEmail: Sendable {
    let subject: MustacheTemplate
    let text: MustacheTemplate
    let html: MustacheTemplate?

    /// The pragma that turns HTML escaping off for the non-HTML parts. Overrides cannot contain
    /// pragmas themselves (``TemplateValidator``); only the server adds this one.
    static let plainText = "{{% CONTENT_TYPE: TEXT}}"

    init(_ source: EmailTemplateSource) throws {
        subject = try MustacheTemplate(string: Self.plainText + source.subject)
        text = try MustacheTemplate(string: Self.plainText + source.text)
        html = try source.html.map { try MustacheTemplate(string: $0) }
    }
}
