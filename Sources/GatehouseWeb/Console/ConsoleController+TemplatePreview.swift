import Foundation
import GatehouseCore
import GatehouseStore
import HTTPTypes
import Hummingbird
import NIOCore

/// The template editor's preview: a template rendered by the server with sample values, answered
/// as a document that only a frame of the console may show (`frame-ancestors 'self'`) and that
/// runs sandboxed (CSP `sandbox`: no script, no form, an opaque origin), inside an `<iframe
/// sandbox>` of the editor. A posted edit is checked by the admin API's validation first; its
/// problems are what the frame shows then.
extension ConsoleController {
    /// `POST …/preview`: the posted (unsaved) parts, rendered.
    func preview(_ page: TenantPage, _ name: String, _ form: FormParameters) -> Response {
        var input = JSONInput(object: Self.templateBody(name, form))
        let override = AdminController(services: services).validatedOverride(named: name, &input)
        guard input.errors.isEmpty else {
            let problems = input.errors.map { "\($0.field): \($0.message)" }
            return Self.previewDocument(problemsDocument(problems), status: .unprocessableContent)
        }
        return previewResponse(page, name, override, part: form["part"])
    }

    /// `GET …/preview[?version=<id>][&part=text]`: the template as the tenant renders it now, or
    /// as a stored version.
    func storedPreview(_ page: TenantPage, _ name: String, _ request: Request) async throws -> Response {
        let part: String? = request.queryParameters["part"].map { String($0) }
        guard let raw = request.queryParameters["version"] else {
            return previewResponse(page, name, override(name, effectiveParts(name, page.database)), part: part)
        }
        guard let id = Int64(raw), let version = try await page.database.templateVersion(id: id), version.name == name else {
            return Self.previewDocument(problemsDocument(["This template has no such version."]), status: .notFound)
        }
        // A return to the default previews the default.
        return previewResponse(page, name, version.override(at: services.clock.now) ?? override(name, defaultParts(name)), part: part)
    }

    /// The default's parts of `name`.
    func defaultParts(_ name: String) -> [String: String] {
        if name.hasPrefix("page/") { return ["body": services.pages.defaultSource(named: name) ?? ""] }
        return services.mail.defaultSource(named: name).map { ["subject": $0.subject, "text": $0.text, "html": $0.html ?? ""] } ?? [:]
    }

    /// `parts` (as ``effectiveParts(_:_:)`` gives them; an empty `html` is none) as an override of `name`.
    func override(_ name: String, _ parts: [String: String]) -> TemplateOverride {
        TemplateOverride(
            name: name, body: parts["body"], subject: parts["subject"], text: parts["text"], html: parts["html"].flatMap { $0.isEmpty ? nil : $0 },
            updatedAt: services.clock.now)
    }

    /// `override` rendered with sample values: a page as its tenant would show it; an email's
    /// HTML part (or, with `part` `text` or without an HTML part, its subject and text).
    func previewResponse(_ page: TenantPage, _ name: String, _ override: TemplateOverride, part: String?) -> Response {
        do {
            if let body = override.body {
                let chrome = PageRenderer.Chrome(title: "Preview", tenantName: page.tenant.tenant.name, tenantSlug: page.tenant.slug)
                let html = try services.pages.render(
                    draft: body, as: name, chrome: chrome, values: Self.samplePageValues(page, issuer: services.issuer(of: page.tenant)),
                    database: page.database)
                return Self.previewDocument(html)
            }
            var values = EmailTemplate.sampleValues(stem: String(name.dropFirst("email/".count)), issuer: services.issuer(of: page.tenant))
            values["user_email"] = page.signedIn.user.email
            let rendered = try services.mail.render(
                draft: EmailTemplateSource(subject: override.subject ?? "", text: override.text ?? "", html: override.html), values: values,
                database: page.database)
            if part != "text", let html = rendered.html { return Self.previewDocument(html) }
            return Self.previewDocument(textDocument(subject: rendered.subject, text: rendered.text))
        } catch {
            return Self.previewDocument(problemsDocument(["The template does not render: \(error)"]), status: .unprocessableContent)
        }
    }

    /// Values a preview renders pages with: a sample user, client and sign-in in progress whose
    /// links and forms lead nowhere (the frame cannot submit forms anyway).
    static func samplePageValues(_ page: TenantPage, issuer: String) -> [String: Any] {
        [
            "csrf_token": "preview", "email": "ada@example.com", "user_email": "ada@example.com", "user_name": "Ada Lovelace",
            "name": "Ada Lovelace", "client_name": "Sample app", "interaction": "preview", "action": "#", "login_action": "#",
            "scopes": [["name": "openid", "description": "Sign you in"], ["name": "email", "description": "See your email address"]],
            "account_url": issuer + "/account", "forgot_url": "#", "signup_url": "#", "preview": true,
        ]
    }

    /// A document of the console's own making: the problems that keep a preview from rendering.
    func problemsDocument(_ problems: [String]) -> String {
        services.pages.render("admin_template_preview", chrome: chrome("Preview"), values: ["problems": problems, "has_problems": true])
    }

    /// An email's subject and text part as a document.
    func textDocument(subject: String, text: String) -> String {
        services.pages.render("admin_template_preview", chrome: chrome("Preview"), values: ["subject": subject, "text": text])
    }

    /// `html` with the framed-preview policy (``SecurityHeaders/framedPreviewPolicy``).
    static func previewDocument(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        var fields = HTTPFields()
        fields[.contentType] = "text/html; charset=utf-8"
        fields[.cacheControl] = "no-store"
        fields[.contentSecurityPolicy] = SecurityHeaders.framedPreviewPolicy
        fields[.xContentTypeOptions] = "nosniff"
        fields[.referrerPolicy] = "no-referrer"
        fields[.xFrameOptions] = "SAMEORIGIN"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

/// A line diff between two texts for the template editor, from the standard library's
/// `CollectionDifference` (Myers): every line of the new text, and each removed line where it was.
enum TemplateDiff {
    /// Rows for the page: `text` and one of `added`, `removed`, `same` set to true.
    static func lines(from old: String, to new: String) -> [[String: Any]] {
        let before = old.components(separatedBy: "\n"), after = new.components(separatedBy: "\n")
        let difference = after.difference(from: before)
        var removed: [Int: [String]] = [:]
        var inserted = Set<Int>()
        for change in difference {
            switch change {
            case .remove(let offset, let line, _): removed[offset, default: []].append(line)
            case .insert(let offset, _, _): inserted.insert(offset)
            }
        }
        // Walk the old text beside the new one, placing each removed line before what followed it.
        var rows: [[String: Any]] = []
        var oldIndex = 0
        for (newIndex, line) in after.enumerated() {
            while let gone = removed[oldIndex] {
                rows += gone.map { ["text": $0, "removed": true] }
                oldIndex += 1
            }
            if inserted.contains(newIndex) {
                rows.append(["text": line, "added": true])
            } else {
                rows.append(["text": line, "same": true])
                oldIndex += 1
            }
        }
        while oldIndex < before.count {
            if let gone = removed[oldIndex] { rows += gone.map { ["text": $0, "removed": true] } }
            oldIndex += 1
        }
        return rows
    }
}
