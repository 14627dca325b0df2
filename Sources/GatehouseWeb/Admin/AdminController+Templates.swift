import Foundation
import GatehouseCore
import GatehouseOutbound
import GatehouseStore
import Hummingbird
import Logging

extension AdminController {
    /// Page and email template overrides of a tenant.
    ///
    /// A template is named `<kind>/<name>`, which is also its path: `…/templates/page/login`,
    /// `…/templates/email/verify`. Every name with a default file (`templates/pages/<name>.mustache`,
    /// `templates/email/<name>.subject.mustache`) exists. A body that does not parse or that could
    /// output unescaped values is refused with 422, each problem naming its part, line and reason.
    func registerTemplateRoutes(_ admin: RouterGroup<AppRequestContext>) {
        tenantRoute(admin, .get, "tenants/:slug/templates", scope: AdminScope.tenantRead) { _, context in try await self.listTemplates(context) }
        tenantRoute(admin, .get, "tenants/:slug/templates/:kind/:name", scope: AdminScope.tenantRead) { _, context in
            try await self.showTemplate(context)
        }
        tenantRoute(admin, .put, "tenants/:slug/templates/:kind/:name", scope: AdminScope.tenantWrite) { request, context in
            try await self.saveTemplate(request, context)
        }
        tenantRoute(admin, .delete, "tenants/:slug/templates/:kind/:name", scope: AdminScope.tenantWrite) { _, context in
            try await self.resetTemplate(context)
        }
        tenantRoute(admin, .post, "tenants/:slug/templates/:kind/:name/test", scope: AdminScope.tenantWrite) { request, context in
            try await self.testTemplate(request, context)
        }
        tenantRoute(admin, .get, "tenants/:slug/templates/:kind/:name/versions", scope: AdminScope.tenantRead) { _, context in
            let name = try self.templateName(context)
            let versions = try await context.database.templateVersions(named: name, limit: TemplateVersion.keptPerTemplate)
            return Responses.json(["versions": versions.map(TemplateVersionView.init)], noStore: true, sorted: true)
        }
        tenantRoute(admin, .post, "tenants/:slug/templates/:kind/:name/versions/:version/restore", scope: AdminScope.tenantWrite) { _, context in
            let name = try self.templateName(context)
            guard let id = context.parameters.get("version").flatMap(Int64.init), let version = try await context.database.templateVersion(id: id),
                version.name == name
            else { throw ProblemDetails.notFound("this template has no such version") }
            try await self.store(
                version.override(at: self.services.clock.now), named: name, author: Self.author(context.adminPrincipal), in: context.database)
            return Responses.json(self.view(name, database: context.database), noStore: true, sorted: true)
        }
    }

    /// One template as the API shows it: a page's `body`, or an email's `subject`, `text`, `html`.
    struct TemplateView: Encodable {
        let name: String
        let kind: String
        let overridden: Bool
        let updatedAt: Date?
        var body: String?
        var subject: String?
        var text: String?
        var html: String?

        enum CodingKeys: String, CodingKey {
            case name, kind, overridden, body, subject, text, html
            case updatedAt = "updated_at"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(kind, forKey: .kind)
            try c.encode(overridden, forKey: .overridden)
            try c.encode(updatedAt, forKey: .updatedAt)
            if kind == "page" {
                try c.encode(body, forKey: .body)
            } else {
                try c.encode(subject, forKey: .subject)
                try c.encode(text, forKey: .text)
                try c.encode(html, forKey: .html)
            }
        }
    }

    /// The template named by the path, which must have a default.
    func templateName(_ context: TenantContext) throws -> String {
        let kind = context.parameters.get("kind") ?? "", name = context.parameters.get("name") ?? ""
        let full = "\(kind)/\(name)"
        let exists =
            kind == "page"
            ? services.pages.defaultSource(named: full) != nil && !PageRenderer.isConsolePage(full)
            : kind == "email" ? services.mail.defaultSource(named: full) != nil : false
        guard exists else { throw ProblemDetails.notFound("no template named '\(full)'; see GET …/templates") }
        return full
    }

    func view(_ name: String, database: any TenantHandle) -> TemplateView {
        let override = database.templateOverride(named: name)
        var view = TemplateView(
            name: name, kind: name.hasPrefix("page/") ? "page" : "email", overridden: override != nil,
            updatedAt: override?.updatedAt)
        if view.kind == "page" {
            view.body = override?.body ?? services.pages.defaultSource(named: name)
        } else if let source = services.mail.effectiveSource(named: name, database: database) {
            view.subject = source.subject
            view.text = source.text
            view.html = source.html
        }
        return view
    }

    func listTemplates(_ context: TenantContext) async throws -> Response {
        let database = context.database
        struct Entry: Encodable {
            let name: String
            let kind: String
            let overridden: Bool
            @NullWhenAbsent var updatedAt: Date?
            enum CodingKeys: String, CodingKey {
                case name, kind, overridden
                case updatedAt = "updated_at"
            }
        }
        struct List: Encodable { let templates: [Entry] }
        let overrides = database.templateOverrides().overrides
        let names = services.mail.templateNames + services.pages.templateNames.filter { !PageRenderer.isConsolePage($0) }
        let entries = names.map { name in
            Entry(
                name: name, kind: name.hasPrefix("page/") ? "page" : "email", overridden: overrides[name] != nil,
                updatedAt: overrides[name]?.updatedAt)
        }
        return Responses.json(List(templates: entries), noStore: true, sorted: true)
    }

    func showTemplate(_ context: TenantContext) async throws -> Response {
        let name = try templateName(context)
        let database = context.database
        return Responses.json(view(name, database: database), noStore: true, sorted: true)
    }

    /// Largest accepted template part, in characters.
    static let maxTemplateLength = 60_000

    /// `PUT`: `{"body"}` for a page; `{"subject", "text", "html"}` for an email (`html` optional:
    /// without it the email is text only). Each part is validated by ``TemplateValidator``.
    func saveTemplate(_ request: Request, _ context: TenantContext) async throws -> Response {
        let name = try templateName(context)
        let tenant = context.tenant
        var input = try await JSONInput(request, limit: max(services.configuration.maxBodyBytes, 4 * Self.maxTemplateLength))
        let override = validatedOverride(named: name, &input)
        try input.check()
        let database = context.database
        try await store(override, named: name, author: Self.author(context.adminPrincipal), in: database)
        context.logger.info("template override saved", metadata: ["tenant": "\(tenant.slug)", "template": "\(name)"])
        return Responses.json(view(name, database: database), noStore: true, sorted: true)
    }

    /// The override of `name` that `input` describes (`body`; or `subject`, `text`, `html`),
    /// every part checked by ``TemplateValidator`` (and HTML by ``HTMLOverridePolicy``); each
    /// problem is recorded in `input` with its part, line and column. Shared by the admin API and
    /// the console's template editor.
    func validatedOverride(named name: String, _ input: inout JSONInput) -> TemplateOverride {
        var override = TemplateOverride(name: name, updatedAt: services.clock.now)
        func checked(_ field: String, required: Bool, partials: Set<String> = [], html: Bool = false) -> String? {
            guard let source = input.string(field, required: required, maxLength: Self.maxTemplateLength) else { return nil }
            var problems = TemplateValidator.problems(in: source, allowedPartials: partials)
            // Markup is checked once the Mustache is sound (HTMLOverridePolicy needs its tags).
            if html, problems.isEmpty { problems = HTMLOverridePolicy.problems(in: source) }
            for problem in problems { input.fail(field, problem.description) }
            return source
        }
        if name.hasPrefix("page/") {
            input.rejectUnknown(["body"])
            override.body = checked("body", required: true, partials: services.pages.allowedPartials(for: name), html: true)
        } else {
            input.rejectUnknown(["subject", "text", "html"])
            override.subject = checked("subject", required: true)
            if let subject = override.subject {
                if subject.contains(where: \.isNewline) { input.fail("subject", "line 1: the subject must be one line") }
                if subject.trimmingCharacters(in: .whitespaces).isEmpty { input.fail("subject", "must not be empty") }
            }
            override.text = checked("text", required: true)
            override.html = checked("html", required: false, html: true)
            if override.html?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty == true { override.html = nil }
        }
        return override
    }

    /// Saves `override` as the template `name` (nil: back to the default), recorded as a version
    /// by `author`, and keeps the tenant's `settings.email_templates` in step.
    func store(_ override: TemplateOverride?, named name: String, author: String, in database: any TenantHandle) async throws {
        if let override {
            try await database.saveTemplateOverride(override, author: author)
        } else {
            try await database.deleteTemplateOverride(named: name, author: author, at: services.clock.now)
        }
        let names = database.templateOverrides().overrides.keys.filter { !$0.hasPrefix("page/") }.sorted()
        try await updateSettingsSummary(database.tenant) { $0.emailTemplates = names }
    }

    /// Who a template version names for an admin API caller: `admin_token`, or `client:<client_id>`.
    static func author(_ principal: Principal?) -> String {
        let actor = AdminAuditRecording.actor(principal)
        return actor.id.map { "\(actor.type):\($0)" } ?? actor.type
    }

    /// `DELETE`: back to the default (204 also when there was no override).
    func resetTemplate(_ context: TenantContext) async throws -> Response {
        let name = try templateName(context)
        try await store(nil, named: name, author: Self.author(context.adminPrincipal), in: context.database)
        return Response(status: .noContent)
    }

    /// `POST …/test {"to"}`: queues the email with sample values (`link`, `code`, … that do not work).
    func testTemplate(_ request: Request, _ context: TenantContext) async throws -> Response {
        let name = try templateName(context)
        let tenant = context.tenant
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        input.rejectUnknown(["to"])
        let to = input.string("to", required: true, maxLength: 254)
        if let to, (try? MailAddress.validate(to)) == nil { input.fail("to", "is not a plain ASCII local@domain address") }
        if name.hasPrefix("page/") { input.fail("name", "only email templates can be sent") }
        try input.check()
        // Each test email goes to an address of the caller's choosing: bound how many a tenant can send.
        if let wait = testMailLimiter.take(tenant: tenant.id, action: "test-email", ip: nil, now: services.clock.now) {
            throw ProblemDetails.tooManyRequests("at most 10 test emails a minute per tenant; retry later", retryAfter: wait)
        }
        let database = context.database
        var values = EmailTemplate.sampleValues(stem: String(name.dropFirst("email/".count)), issuer: services.issuer(of: tenant))
        values["user_email"] = to!
        let id: String
        do {
            id = try await services.mail.send(named: name, to: to!, values: values, database: database)
        } catch let error as EmailError {
            throw ProblemDetails.validation([.init(field: "to", message: "\(error)")])
        }
        struct Queued: Encodable {
            let id: String
            let to: String
            let template: String
            let status: String
        }
        return Responses.json(Queued(id: id, to: to!, template: name, status: "queued"), noStore: true, sorted: true)
    }
}

/// One template version as the admin API shows it.
struct TemplateVersionView: Encodable {
    let id: Int64
    let name: String
    let author: String
    let createdAt: Date
    @NullWhenAbsent var body: String?
    @NullWhenAbsent var subject: String?
    @NullWhenAbsent var text: String?
    @NullWhenAbsent var html: String?

    init(_ v: TemplateVersion) {
        (id, name, author, createdAt) = (v.id, v.name, v.author, v.createdAt)
        (body, subject, text, html) = (v.body, v.subject, v.text, v.html)
    }

    enum CodingKeys: String, CodingKey {
        case id, name, author, body, subject, text, html
        case createdAt = "created_at"
    }
}
