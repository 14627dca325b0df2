import Foundation
import GatehouseCore
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging

/// What the console's pages inside one tenant share (users, clients): the signed-in operator with
/// the tenant of `:slug` and its database, the 404 pages, the problems of the admin API's
/// validation placed next to the form's fields, and the audit entries of an operator's changes.
extension ConsoleController {
    /// A console page inside one tenant: the operator, the tenant of `:slug` and its open database.
    struct TenantPage {
        let signedIn: SignedInOperator
        let tenant: ResolvedTenant
        let database: any TenantHandle
        /// `/admin/tenants/{slug}`.
        var path: String { "\(ConsoleController.path)/tenants/\(tenant.slug)" }
    }

    /// The page's operator and tenant (with the posted form), or the response to send instead.
    enum TenantGate {
        case ready(TenantPage, FormParameters)
        case answer(Response)
    }

    /// Resolves a request inside a tenant. A page (`form` false) without a console session is
    /// sent to sign in; a form (`form` true) must carry the console session and its CSRF token
    /// (otherwise a 400 page, nothing changed). An unknown tenant, or the operators' directory, is
    /// a 404 page.
    func tenantGate(_ request: Request, _ context: AppRequestContext, form: Bool) async throws -> TenantGate {
        let signedIn: SignedInOperator
        var parameters = FormParameters(pairs: [])
        if form {
            let posted = try await authorizedForm(request)
            signedIn = posted.0
            parameters = posted.1
        } else {
            switch try await requireOperator(request) {
            case .signedIn(let found): signedIn = found
            case .signIn(let response): return .answer(response)
            }
        }
        guard let tenant = try await consoleTenant(context, for: signedIn) else { return .answer(notFound(signedIn)) }
        if form, !signedIn.mayChange(tenant) { return .answer(readOnly(signedIn)) }
        let database = try await services.store.storage(for: tenant)
        return .ready(TenantPage(signedIn: signedIn, tenant: tenant, database: database), parameters)
    }

    /// A 404 page inside a tenant (no such user, client or session in it), linking back to `back`.
    func missing(_ page: TenantPage, _ heading: String, _ message: String, back: (url: String, text: String)) -> Response {
        self.page(
            "message", title: "Not found", values: ["heading": heading, "message": message, "link_url": back.url, "link_text": back.text],
            signedIn: page.signedIn, status: .notFound)
    }

    /// The values every page inside a tenant shows: its `slug`, `tenant_display_name` (not
    /// `tenant_name`, the page chrome's) and the links to its pages (users, clients, audit log,
    /// webhooks, signing keys, templates).
    func tenantHeader(_ page: TenantPage) -> [String: Any] {
        [
            "slug": page.tenant.slug, "tenant_display_name": page.tenant.tenant.name, "tenant_url": page.path,
            "users_url": "\(page.path)/users", "clients_url": "\(page.path)/clients", "audit_url": "\(page.path)/audit",
            "webhooks_url": "\(page.path)/webhooks", "keys_url": "\(page.path)/keys", "templates_url": "\(page.path)/templates",
            "organizations_url": "\(page.path)/organizations", "providers_url": "\(page.path)/providers",
        ]
    }

    /// Puts the admin API's problems next to the form's fields: `<field>_error`, several
    /// messages of one field joined (`redirect_uris[1]` → `redirect_uris_error`).
    static func place(_ errors: [ProblemDetails.FieldError], in values: inout [String: Any]) {
        for error in errors {
            let key = formField(error.field) + "_error"
            values[key] = ((values[key] as? String).map { $0 + " " } ?? "") + error.message
        }
    }

    /// The lines of a textarea, trimmed, empty lines dropped (redirect URIs, one per line).
    static func lines(_ text: String?) -> [JSONValue] {
        (text ?? "").split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .map(JSONValue.string)
    }

    /// Whether the form has a field `name` at all (an emptied textarea is sent empty, not left out).
    static func sent(_ form: FormParameters, _ name: String) -> Bool { form.pairs.contains { $0.name == name } }

    /// An entry of the tenant's audit log for an operator's change in the console (docs/contract.md
    /// A9), shaped like the admin API's: actor `{"type": "operator", "id": "usr_…"}` (a user of the
    /// operators' directory), `data` the fields sent as the admin API's JSON with secrets redacted
    /// and the target's `id`, `changes` their names. A create leaves `targetID` nil and names it
    /// with `AuditRecorder.identify(target:)` inside the change.
    func operatorDraft(
        _ type: String, _ page: TenantPage, target: (type: String, id: String?), userID: String? = nil, sent: [String: JSONValue] = [:],
        _ request: Request, _ context: AppRequestContext
    ) -> AuditDraft {
        var data = sent
        if let id = target.id { data["id"] = .string(id) }
        return AuditDraft(
            type: type, actor: page.signedIn.actor, targetType: target.type, targetID: target.id,
            userID: userID ?? (target.type == "user" ? target.id : nil), ip: context.remoteAddress,
            userAgent: request.headers[.userAgent], data: AuditRedaction.redact(.object(data)),
            changes: sent.keys.sorted())
    }

    /// A list page's `limit` (1…200, default 50) and `after` (the last key of the previous page; empty for the first).
    static func pageParameters(_ request: Request) -> (limit: Int, after: String) {
        let query = request.queryParameters
        return (query["limit"].flatMap(Int.init).map { min(max($0, 1), 200) } ?? 50, query["after"] ?? "")
    }

    /// `url?after=…&limit=…` (and the other query items) for the next page.
    static func nextURL(_ url: String, after: String, limit: Int, extra: [(String, String)] = []) -> String {
        "\(url)?\(FormParameters.encode([("after", after), ("limit", String(limit))] + extra))"
    }

    /// Dates on console pages: ISO 8601 in UTC.
    static func date(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
}
