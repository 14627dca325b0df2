import Foundation
import GatehouseCore
import GatehouseStore
import HTTPTypes
import Hummingbird

/// The console's template editor of one tenant (docs/contract.md A10): the list of page and email
/// templates (overridden or default), an editor per template whose save runs the admin API's
/// validation (`AdminController.validatedOverride`: problems shown with part, line and column
/// next to the field, nothing saved), a preview rendered by the server with sample values into a
/// sandboxed frame (``preview(_:_:_:_:)``), the template's versions with author and time
/// (`TemplateStore.templateVersions`), a line diff between two versions, a rollback to any version
/// (a new version with that content), a reset to the default, and a test email to the signed-in
/// operator (5 a minute per tenant). Every change is recorded as `template.updated` (a save or rollback) and `template.deleted` (back to the default), as the admin API records them.
extension ConsoleController {
    func registerTemplateRoutes(_ console: RouterGroup<AppRequestContext>) {
        console.get("tenants/:slug/templates") { request, context in
            switch try await self.tenantGate(request, context, form: false) {
            case .ready(let page, _): return self.templatesPage(page, request)
            case .answer(let response): return response
            }
        }
        templateRoute(console, "", get: true) { page, name, _, request, _ in try await self.editor(page, name, request: request) }
        templateRoute(console, "", get: false) { try await self.saveTemplate($0, $1, $2, $3, $4) }
        templateRoute(console, "/preview", get: false) { page, name, form, _, _ in self.preview(page, name, form) }
        templateRoute(console, "/preview", get: true) { page, name, _, request, _ in try await self.storedPreview(page, name, request) }
        templateRoute(console, "/reset", get: false) { page, name, _, request, context in
            try await self.change(page, name, to: nil, notice: "The default template applies again.", request, context)
        }
        templateRoute(console, "/versions/:version/restore", get: false) { try await self.restore($0, $1, $2, $3, $4) }
        templateRoute(console, "/test", get: false) { page, name, _, _, _ in try await self.sendTest(page, name) }
    }

    typealias TemplateHandler = @Sendable (TenantPage, String, FormParameters, Request, AppRequestContext) async throws -> Response

    /// Registers `tenants/:slug/templates/:kind/:name<suffix>`: the operator, the tenant and a
    /// template name that exists (`page/<name>` not of the console, or `email/<name>`), else a 404 page.
    func templateRoute(_ console: RouterGroup<AppRequestContext>, _ suffix: String, get: Bool, _ handler: @escaping TemplateHandler) {
        let path = RouterPath(stringLiteral: "tenants/:slug/templates/:kind/:name\(suffix)")
        let respond: @Sendable (Request, AppRequestContext) async throws -> Response = { request, context in
            switch try await self.tenantGate(request, context, form: !get) {
            case .answer(let response): return response
            case .ready(let page, let form):
                let name = "\(context.parameters.get("kind") ?? "")/\(context.parameters.get("name") ?? "")"
                guard self.templateExists(name) else {
                    return self.missing(page, "No such template", "\(name) is not a template.", back: ("\(page.path)/templates", "Templates"))
                }
                return try await handler(page, name, form, request, context)
            }
        }
        if get { console.get(path, use: respond) } else { console.post(path, use: respond) }
    }

    func templateExists(_ name: String) -> Bool {
        name.hasPrefix("page/")
            ? services.pages.defaultSource(named: name) != nil && !PageRenderer.isConsolePage(name)
            : name.hasPrefix("email/") && services.mail.defaultSource(named: name) != nil
    }

    // MARK: Pages

    func templatesPage(_ page: TenantPage, _ request: Request) -> Response {
        let overrides = page.database.templateOverrides().overrides
        let names = services.mail.templateNames + services.pages.templateNames.filter { !PageRenderer.isConsolePage($0) }
        var values = tenantHeader(page)
        values["templates"] = names.map { name -> [String: Any] in
            var row: [String: Any] = [
                "name": name, "kind": name.hasPrefix("page/") ? "page" : "email", "url": "\(page.path)/templates/\(name)",
                "overridden": overrides[name] != nil,
            ]
            if let updated = overrides[name]?.updatedAt { row["updated_at"] = Self.date(updated) }
            return row
        }
        if let notice = request.queryParameters["notice"] { values["notice"] = String(notice.prefix(200)) }
        return self.page("admin_templates", title: "Templates", values: values, signedIn: page.signedIn)
    }

    /// The editor of `name`: its effective source (or the `form`'s, after refused input), the
    /// preview frame, the versions and, with `?compare=<id>&to=<id>`, their diff.
    func editor(
        _ page: TenantPage, _ name: String, request: Request, form: FormParameters? = nil, extra: [String: Any] = [:],
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let base = "\(page.path)/templates/\(name)"
        var values = tenantHeader(page)
        let isPage = name.hasPrefix("page/")
        let parts = isPage ? ["body"] : ["subject", "text", "html"]
        let source = effectiveParts(name, page.database)
        for part in parts { values[part] = form?[part] ?? source[part] ?? "" }
        values["name"] = name
        values["is_page"] = isPage
        values["overridden"] = page.database.templateOverride(named: name) != nil
        values["action"] = base
        values["preview_action"] = "\(base)/preview"
        values["preview_url"] = "\(base)/preview"
        values["reset_action"] = "\(base)/reset"
        values["test_action"] = "\(base)/test"
        values["templates_url"] = "\(page.path)/templates"
        values["operator_address"] = page.signedIn.user.email
        let versions = try await page.database.templateVersions(named: name, limit: TemplateVersion.keptPerTemplate)
        values["versions"] = versions.map { version -> [String: Any] in
            [
                "id": String(version.id), "author": version.author, "created_at": Self.date(version.createdAt), "is_default": version.isDefault,
                "restore_action": "\(base)/versions/\(version.id)/restore", "preview_url": "\(base)/preview?version=\(version.id)",
            ]
        }
        if versions.count >= 2 {
            values["compare_default"] = String(versions[1].id)
            values["to_default"] = String(versions[0].id)
        }
        let query = request.queryParameters
        if let compare = query["compare"].flatMap(Int64.init), let target = query["to"].flatMap(Int64.init) {
            let old = try await page.database.templateVersion(id: compare), new = try await page.database.templateVersion(id: target)
            if let old, let new, old.name == name, new.name == name {
                values["diff"] = TemplateDiff.lines(from: Self.joinedParts(old, parts), to: Self.joinedParts(new, parts))
                values["diff_title"] = "Version \(old.id) → version \(new.id)"
            } else {
                values["diff_error"] = "Choose two versions of this template."
            }
        }
        if let notice = query["notice"] { values["notice"] = String(notice.prefix(200)) }
        values.merge(extra) { _, new in new }
        return self.page("admin_template", title: name, values: values, signedIn: page.signedIn, status: status, framesSelf: true)
    }

    /// The parts the tenant renders for `name` now: its override's, or the default's.
    func effectiveParts(_ name: String, _ database: any TenantHandle) -> [String: String] {
        guard let o = database.templateOverride(named: name) else { return defaultParts(name) }
        if name.hasPrefix("page/") { return ["body": o.body ?? ""] }
        return ["subject": o.subject ?? "", "text": o.text ?? "", "html": o.html ?? ""]
    }

    /// A version's parts as one text for the diff (each email part headed by its name); the
    /// default's parts for a return to the default.
    static func joinedParts(_ version: TemplateVersion, _ parts: [String]) -> String {
        if version.isDefault { return "(the default template)" }
        if parts == ["body"] { return version.body ?? "" }
        return [("subject", version.subject), ("text", version.text), ("html", version.html)]
            .map { "--- \($0.0)\n\($0.1 ?? "")" }.joined(separator: "\n")
    }

    // MARK: Changes

    /// Saves the posted parts when the admin API's validation takes them; otherwise the editor
    /// again with each problem next to its part (422), nothing saved.
    func saveTemplate(_ page: TenantPage, _ name: String, _ form: FormParameters, _ request: Request, _ context: AppRequestContext) async throws
        -> Response
    {
        var input = JSONInput(object: Self.templateBody(name, form))
        let override = AdminController(services: services).validatedOverride(named: name, &input)
        guard input.errors.isEmpty else {
            var values: [String: Any] = ["error": "Nothing was saved: correct the template below."]
            Self.place(input.errors, in: &values)
            return try await editor(page, name, request: request, form: form, extra: values, status: .unprocessableContent)
        }
        return try await change(page, name, to: override, notice: "Saved as a new version.", request, context)
    }

    /// The form's parts as the admin API's JSON (`body`; or `subject`, `text`, `html`).
    static func templateBody(_ name: String, _ form: FormParameters) -> [String: JSONValue] {
        let parts = name.hasPrefix("page/") ? ["body"] : ["subject", "text", "html"]
        var body: [String: JSONValue] = [:]
        for part in parts { if let value = form[part] { body[part] = .string(value.replacingOccurrences(of: "\r\n", with: "\n")) } }
        return body
    }

    /// Rolls back to a version: its content saved as a new version (a return to the default resets).
    func restore(_ page: TenantPage, _ name: String, _ form: FormParameters, _ request: Request, _ context: AppRequestContext) async throws
        -> Response
    {
        guard let id = context.parameters.get("version").flatMap(Int64.init), let version = try await page.database.templateVersion(id: id),
            version.name == name
        else {
            return missing(page, "No such version", "This template has no such version.", back: ("\(page.path)/templates/\(name)", name))
        }
        let override = version.override(at: services.clock.now)
        return try await change(page, name, to: override, notice: "Version \(version.id) restored as a new version.", request, context)
    }

    /// Stores `override` (nil: the default) as the template `name`, audited, and goes back to the editor.
    func change(
        _ page: TenantPage, _ name: String, to override: TemplateOverride?, notice: String, _ request: Request, _ context: AppRequestContext
    ) async throws -> Response {
        let sent: [String: JSONValue] =
            override.map { o in
                ["body": o.body, "subject": o.subject, "text": o.text, "html": o.html].compactMapValues { $0.map { _ in JSONValue.bool(true) } }
            } ?? [:]
        let draft = operatorDraft(override == nil ? "template.deleted" : "template.updated", page, target: ("template", name), sent: sent, request, context)
        let admin = AdminController(services: services)
        try await services.audited([draft], in: page.database) {
            try await admin.store(override, named: name, author: page.signedIn.author, in: page.database)
        }
        logChange(override == nil ? "template reset" : "template saved", page, name, context)
        return redirect("\(page.path)/templates/\(name)?\(FormParameters.encode([("notice", notice)]))", signedIn: page.signedIn)
    }

    /// Queues the email with sample values to the signed-in operator.
    func sendTest(_ page: TenantPage, _ name: String) async throws -> Response {
        let back = "\(page.path)/templates/\(name)"
        guard name.hasPrefix("email/") else { return redirect(back, signedIn: page.signedIn) }
        // Only to the operator's own address, yet bounded: 5 a minute per tenant.
        if services.actionLimiter.take(tenant: page.tenant.id, action: "console-test-email", ip: nil, now: services.clock.now) != nil {
            return redirect(
                "\(back)?\(FormParameters.encode([("notice", "At most 5 test emails a minute per tenant; retry later.")]))", signedIn: page.signedIn)
        }
        let to = page.signedIn.user.email
        var values = EmailTemplate.sampleValues(stem: String(name.dropFirst("email/".count)), issuer: services.issuer(of: page.tenant))
        values["user_email"] = to
        _ = try await services.mail.send(named: name, to: to, values: values, database: page.database)
        return redirect("\(back)?\(FormParameters.encode([("notice", "A test email was queued for \(to).")]))", signedIn: page.signedIn)
    }
}
