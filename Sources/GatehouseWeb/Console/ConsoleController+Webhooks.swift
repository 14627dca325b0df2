import Foundation
import GatehouseCore
import GatehouseStore
import HTTPTypes
import Hummingbird

/// The console's webhook endpoints of one tenant (docs/contract.md A9): the list, creation (the
/// `whsec_…` secret shown once, on the answer's page only), the endpoint's page with its settings
/// form (`url`, the `events` checked, none meaning all, `description`), enable and disable, and
/// deletion with the endpoint's id typed as confirmation. Secret rotation, test events and the
/// deliveries are in `ConsoleController+WebhookActions`. The forms become the admin API's JSON
/// and go through its own functions (`AdminController.applyWebhookFields`, `registerWebhook`,
/// `saveWebhook`, `removeWebhook`), so the console accepts and refuses exactly what
/// `POST`/`PATCH`/`DELETE /admin/v1/tenants/{slug}/webhooks…` do; each change is an entry of the
/// tenant's audit log with the type the admin API records (`webhook_endpoint.created|updated|deleted`),
/// actor `operator`, committed with the change.
extension ConsoleController {
    static let webhookNotices = [
        "saved": "The endpoint was saved.", "enabled": "The endpoint was enabled.",
        "disabled": "The endpoint was disabled: nothing is sent to it and its pending deliveries fail.",
        "deleted": "The endpoint was deleted.", "test-sent": "A webhook.test event was queued for this endpoint.",
        "redelivered": "The delivery was queued again, with the same webhook-id.",
    ]

    func registerWebhookRoutes(_ console: RouterGroup<AppRequestContext>) {
        console.get("tenants/:slug/webhooks") { request, context in try await self.listWebhooks(request, context) }
        console.post("tenants/:slug/webhooks") { request, context in try await self.createWebhook(request, context) }
        console.get("tenants/:slug/webhooks/new") { request, context in try await self.newWebhook(request, context) }
        webhookRoute(console, "", form: false) { page, _, endpoint, request, _ in
            self.shownWebhook(page, endpoint, notice: request.queryParameters["notice"].flatMap { Self.webhookNotices[$0] })
        }
        webhookRoute(console, "", form: true) { try await self.updateWebhook($0, $1, $2, $3, $4) }
        webhookRoute(console, "/enable", form: true) { try await self.setWebhookEnabled(true, $0, $2, $3, $4) }
        webhookRoute(console, "/disable", form: true) { try await self.setWebhookEnabled(false, $0, $2, $3, $4) }
        webhookRoute(console, "/delete", form: true) { try await self.deleteWebhook($0, $1, $2, $3, $4) }
        registerWebhookActions(console)
    }

    /// The handler of a page or form of one endpoint (`tenants/:slug/webhooks/:webhook…`).
    typealias WebhookHandler = @Sendable (TenantPage, FormParameters, WebhookEndpoint, Request, AppRequestContext) async throws -> Response

    /// Registers an endpoint's page (`form` false, GET) or form (POST): `handler` runs once the
    /// operator (and for a form the CSRF token), the tenant and the endpoint of `:webhook` in it
    /// are found (sign-in, 400 and 404 otherwise; another tenant's endpoint is not found here).
    func webhookRoute(_ console: RouterGroup<AppRequestContext>, _ suffix: String, form: Bool, _ handler: @escaping WebhookHandler) {
        let body: @Sendable (Request, AppRequestContext) async throws -> Response = { request, context in
            switch try await self.tenantGate(request, context, form: form) {
            case .ready(let page, let posted):
                guard let raw = context.parameters.get("webhook"), let id = WebhookEndpointID(rawValue: raw),
                    let endpoint = try await page.database.webhookEndpoint(id: id)
                else { return self.noSuchWebhook(page) }
                return try await handler(page, posted, endpoint, request, context)
            case .answer(let response): return response
            }
        }
        let path = RouterPath("tenants/:slug/webhooks/:webhook" + suffix)
        if form { console.post(path, use: body) } else { console.get(path, use: body) }
    }

    func noSuchWebhook(_ page: TenantPage) -> Response {
        missing(page, "No such endpoint", "There is no webhook endpoint with this id in this tenant.", back: ("\(page.path)/webhooks", "All webhooks"))
    }

    /// Endpoints by id (oldest first), `limit` per page (1…200, default 50) after the id `after`.
    func listWebhooks(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let page: TenantPage
        switch try await tenantGate(request, context, form: false) {
        case .ready(let found, _): page = found
        case .answer(let response): return response
        }
        let (limit, after) = Self.pageParameters(request)
        var endpoints = try await page.database.webhookEndpoints(after: WebhookEndpointID(rawValue: after), limit: limit + 1)
        var values = tenantHeader(page)
        values["new_url"] = "\(page.path)/webhooks/new"
        if endpoints.count > limit {
            endpoints.removeLast(endpoints.count - limit)
            values["next_url"] = Self.nextURL("\(page.path)/webhooks", after: endpoints[limit - 1].id.rawValue, limit: limit)
        }
        values["webhooks"] = endpoints.map { endpoint -> [String: Any] in
            [
                "id": endpoint.id.rawValue, "url": endpoint.url, "description": endpoint.description, "enabled": endpoint.enabled,
                "failing": endpoint.failingSince != nil, "events": endpoint.events.isEmpty ? "all events" : endpoint.events.joined(separator: ", "),
                "page_url": "\(page.path)/webhooks/\(endpoint.id.rawValue)",
            ]
        }
        if let notice = request.queryParameters["notice"].flatMap({ Self.webhookNotices[$0] }) { values["notice"] = notice }
        return self.page("admin_webhooks", title: "Webhooks", values: values, signedIn: page.signedIn)
    }

    /// The admin API's body for the settings form: `url`, the `events` checked (none: every
    /// event) and `description`.
    static func webhookBody(_ form: FormParameters) -> [String: JSONValue] {
        [
            "url": .string((form["url"] ?? "").trimmingCharacters(in: .whitespaces)),
            "events": .array(form.pairs.filter { $0.name == "events" }.map { .string($0.value) }),
            "description": .string(form["description"] ?? ""),
        ]
    }

    /// The values of an endpoint's page or of the create form: its fields (as submitted in
    /// `form`, else as stored), the event checkboxes and the forms' actions.
    func webhookValues(_ page: TenantPage, _ endpoint: WebhookEndpoint, form: FormParameters? = nil) -> [String: Any] {
        let url = "\(page.path)/webhooks/\(endpoint.id.rawValue)"
        let checked = Set(form.map { $0.pairs.filter { $0.name == "events" }.map(\.value) } ?? endpoint.events)
        var values = tenantHeader(page)
        let fields: [String: Any] = [
            "id": endpoint.id.rawValue, "url": form?["url"] ?? endpoint.url, "description": form?["description"] ?? endpoint.description,
            "enabled": endpoint.enabled, "events": WebhookEventType.all.map { ["value": $0, "checked": checked.contains($0)] },
            "events_summary": endpoint.events.isEmpty ? "all events" : endpoint.events.joined(separator: ", "),
            "created_at": Self.date(endpoint.createdAt), "updated_at": Self.date(endpoint.updatedAt), "action": url,
            "enable_action": "\(url)/enable", "disable_action": "\(url)/disable", "rotate_action": "\(url)/rotate-secret",
            "test_action": "\(url)/test", "delete_action": "\(url)/delete", "deliveries_url": "\(url)/deliveries",
        ]
        values.merge(fields) { _, new in new }
        if let since = endpoint.failingSince { values["failing_since"] = Self.date(since) }
        if endpoint.previousSecret != nil, let expiry = endpoint.previousSecretExpiresAt {
            values["previous_secret_expires_at"] = Self.date(expiry)
        }
        return values
    }

    func newWebhook(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        switch try await tenantGate(request, context, form: false) {
        case .ready(let page, _):
            var values = webhookValues(page, AdminController(services: services).newWebhook())
            values["action"] = "\(page.path)/webhooks"
            return self.page("admin_webhook_new", title: "New webhook", values: values, signedIn: page.signedIn)
        case .answer(let response): return response
        }
    }

    /// Creates an endpoint as `POST /admin/v1/tenants/{slug}/webhooks` would and shows its page
    /// with the signing secret, this once.
    func createWebhook(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (page, form): (TenantPage, FormParameters)
        switch try await tenantGate(request, context, form: true) {
        case .ready(let found, let posted): (page, form) = (found, posted)
        case .answer(let response): return response
        }
        let admin = AdminController(services: services)
        let body = Self.webhookBody(form)
        var input = JSONInput(object: body)
        var endpoint = admin.newWebhook()
        admin.applyWebhookFields(&input, to: &endpoint, creating: true)
        guard input.errors.isEmpty else {
            var values = webhookValues(page, endpoint, form: form)
            values["action"] = "\(page.path)/webhooks"
            Self.place(input.errors, in: &values)
            values["error"] = "Nothing was created: correct the fields below."
            return self.page("admin_webhook_new", title: "New webhook", values: values, signedIn: page.signedIn, status: .unprocessableContent)
        }
        let draft = operatorDraft("webhook_endpoint.created", page, target: ("webhook_endpoint", nil), sent: body, request, context)
        let created = endpoint
        do {
            try await services.audited([draft], in: page.database) { try await admin.registerWebhook(created, in: page.database) }
        } catch let refusal as ProblemDetails where refusal.statusCode == 409 {
            // The tenant's endpoint limit: said on the form, which keeps what was typed.
            var values = webhookValues(page, endpoint, form: form)
            values["action"] = "\(page.path)/webhooks"
            values["error"] = "Nothing was created: \(refusal.detail)."
            return self.page("admin_webhook_new", title: "New webhook", values: values, signedIn: page.signedIn, status: .conflict)
        }
        logChange("webhook endpoint created", page, endpoint.id.rawValue, context)
        return shownWebhook(page, endpoint, secret: endpoint.secret, notice: "The endpoint was created.", status: .created)
    }

    /// An endpoint's page; with `secret`, the signing secret shown this once (never cached).
    func shownWebhook(
        _ page: TenantPage, _ endpoint: WebhookEndpoint, secret: String? = nil, notice: String? = nil, status: HTTPResponse.Status = .ok
    ) -> Response {
        var values = webhookValues(page, endpoint)
        if let secret { values["secret"] = secret }
        if let notice { values["notice"] = notice }
        return self.page("admin_webhook", title: "Webhook", values: values, signedIn: page.signedIn, status: status)
    }

    /// Saves `sent` (a `PATCH …/webhooks/{id}` body) through the admin API's rules, recorded as
    /// `webhook_endpoint.updated`. - Returns: the problems (none when saved), or nil when the
    /// endpoint was deleted meanwhile.
    func patchWebhook(
        _ sent: [String: JSONValue], _ page: TenantPage, _ original: WebhookEndpoint, _ request: Request, _ context: AppRequestContext
    ) async throws -> [ProblemDetails.FieldError]? {
        let admin = AdminController(services: services)
        var input = JSONInput(object: sent)
        var endpoint = original
        admin.applyWebhookFields(&input, to: &endpoint, creating: false)
        guard input.errors.isEmpty else { return input.errors }
        let draft = operatorDraft("webhook_endpoint.updated", page, target: ("webhook_endpoint", original.id.rawValue), sent: sent, request, context)
        let changed = endpoint
        let saved = try await services.audited([draft], in: page.database, keepIf: { $0 }) {
            var endpoint = changed
            return try await admin.saveWebhook(&endpoint, wasEnabled: original.enabled, in: page.database)
        }
        guard saved else { return nil }
        logChange("webhook endpoint updated (\(sent.keys.sorted().joined(separator: ", ")))", page, original.id.rawValue, context)
        return []
    }

    /// Saves the settings form as `PATCH /admin/v1/tenants/{slug}/webhooks/{id}` would.
    func updateWebhook(
        _ page: TenantPage, _ form: FormParameters, _ endpoint: WebhookEndpoint, _ request: Request, _ context: AppRequestContext
    ) async throws -> Response {
        guard let problems = try await patchWebhook(Self.webhookBody(form), page, endpoint, request, context) else { return noSuchWebhook(page) }
        if problems.isEmpty { return redirect("\(page.path)/webhooks/\(endpoint.id.rawValue)?notice=saved", signedIn: page.signedIn) }
        var values = webhookValues(page, endpoint, form: form)
        Self.place(problems, in: &values)
        values["error"] = "Nothing was saved: correct the fields below."
        return self.page("admin_webhook", title: "Webhook", values: values, signedIn: page.signedIn, status: .unprocessableContent)
    }

    /// Enables (starting afresh: `failing_since` cleared) or disables the endpoint, as `PATCH` with `enabled`.
    func setWebhookEnabled(
        _ enabled: Bool, _ page: TenantPage, _ endpoint: WebhookEndpoint, _ request: Request, _ context: AppRequestContext
    ) async throws -> Response {
        guard try await patchWebhook(["enabled": .bool(enabled)], page, endpoint, request, context) != nil else { return noSuchWebhook(page) }
        return redirect("\(page.path)/webhooks/\(endpoint.id.rawValue)?notice=\(enabled ? "enabled" : "disabled")", signedIn: page.signedIn)
    }

    /// Deletes the endpoint and its deliveries when `confirm` is exactly its id.
    func deleteWebhook(
        _ page: TenantPage, _ form: FormParameters, _ endpoint: WebhookEndpoint, _ request: Request, _ context: AppRequestContext
    ) async throws -> Response {
        guard form["confirm"] == endpoint.id.rawValue else {
            var values = webhookValues(page, endpoint)
            values["delete_error"] = "Type the endpoint's id '\(endpoint.id.rawValue)' exactly to delete it."
            return self.page("admin_webhook", title: "Webhook", values: values, signedIn: page.signedIn, status: .unprocessableContent)
        }
        let admin = AdminController(services: services)
        let draft = operatorDraft("webhook_endpoint.deleted", page, target: ("webhook_endpoint", endpoint.id.rawValue), request, context)
        let deleted = try await services.audited([draft], in: page.database, keepIf: { $0 }) {
            try await admin.removeWebhook(endpoint, in: page.database)
        }
        guard deleted else { return noSuchWebhook(page) }
        logChange("webhook endpoint deleted", page, endpoint.id.rawValue, context)
        return redirect("\(page.path)/webhooks?notice=deleted", signedIn: page.signedIn)
    }
}
