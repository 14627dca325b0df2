import Foundation
import GatehouseCore
import GatehouseStore
import HTTPTypes
import Hummingbird

/// The console's audit log of one tenant (docs/contract.md A9): entries newest first, filtered as
/// the admin API's `GET /admin/v1/tenants/{slug}/audit` filters them (the same rules,
/// `AdminController.auditQuery`, and the same store query), a page at a time (`after` the last
/// sequence shown), and one entry's page with everything it records. The log is read as stored:
/// its data was redacted when it was written and is never shown otherwise.
extension ConsoleController {
    /// The filters of the audit page, in the form's order (the admin API's query parameters).
    static let auditFilters = ["type", "actor", "user_id", "organization_id", "target_type", "target_id", "since", "until"]

    func registerAuditRoutes(_ console: RouterGroup<AppRequestContext>) {
        console.get("tenants/:slug/audit") { request, context in try await self.listAudit(request, context) }
        console.get("tenants/:slug/audit/:event") { request, context in try await self.showAuditEntry(request, context) }
    }

    /// Entries newest first, `limit` per page (1…200, default 50) before the sequence `after`;
    /// filters left empty are not applied. A filter the admin API would refuse is shown next to
    /// its field (422) and nothing is listed.
    func listAudit(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let page: TenantPage
        switch try await tenantGate(request, context, form: false) {
        case .ready(let found, _): page = found
        case .answer(let response): return response
        }
        let parameters = request.queryParameters
        var given: [String: String] = [:]
        for name in Self.auditFilters {
            let value = (parameters[name] ?? "").trimmingCharacters(in: .whitespaces)
            if !value.isEmpty { given[name] = value }
        }
        let (limit, after) = Self.pageParameters(request)
        let (filtered, errors) = AdminController.auditQuery(limit: limit + 1) { given[$0] }
        var query = filtered
        query.before = Int64(after).flatMap { $0 > 0 ? $0 : nil }
        var values = tenantHeader(page)
        for name in Self.auditFilters { values[name] = given[name] ?? "" }
        values["event_types"] = WebhookEventType.all.map { ["value": $0] }
        guard errors.isEmpty else {
            Self.place(errors, in: &values)
            values["error"] = "Nothing was listed: correct the filters below."
            return self.page("admin_audit", title: "Audit log", values: values, signedIn: page.signedIn, status: .unprocessableContent)
        }
        var events = try await page.database.auditEvents(query)
        if events.count > limit {
            events.removeLast(events.count - limit)
            let filters = Self.auditFilters.compactMap { name in given[name].map { (name, $0) } }
            values["next_url"] = Self.nextURL("\(page.path)/audit", after: String(events[limit - 1].sequence), limit: limit, extra: filters)
        }
        values["entries"] = events.map { event -> [String: Any] in
            let draft = event.draft
            var row: [String: Any] = [
                "sequence": String(event.sequence), "id": event.id, "type": draft.type, "occurred_at": Self.date(event.occurredAt),
                "actor": Self.actorText(draft.actor), "url": "\(page.path)/audit/\(event.id)",
            ]
            if let target = draft.targetType { row["target"] = [target, draft.targetID].compactMap { $0 }.joined(separator: " ") }
            return row
        }
        return self.page("admin_audit", title: "Audit log", values: values, signedIn: page.signedIn)
    }

    /// One entry (`evt_…`) of this tenant's log with its data as stored (redacted when written)
    /// and its place in the hash chain; another tenant's entry, or an unknown id, is a 404 page.
    func showAuditEntry(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let page: TenantPage
        switch try await tenantGate(request, context, form: false) {
        case .ready(let found, _): page = found
        case .answer(let response): return response
        }
        let id = context.parameters.get("event") ?? ""
        guard id.hasPrefix("evt_"), id.utf8.count <= 64, let event = try await page.database.auditEvent(id: id) else {
            return missing(page, "No such entry", "This tenant's audit log has no entry with this id.", back: ("\(page.path)/audit", "Audit log"))
        }
        let draft = event.draft
        var values = tenantHeader(page)
        let fields: [String: Any] = [
            "sequence": String(event.sequence), "id": event.id, "type": draft.type, "occurred_at": Self.date(event.occurredAt),
            "actor": Self.actorText(draft.actor), "target_type": draft.targetType ?? "", "target_id": draft.targetID ?? "",
            "user_id": draft.userID ?? "", "organization_id": draft.organizationID ?? "", "ip": draft.ip ?? "",
            "user_agent": draft.userAgent ?? "", "changes": draft.changes.joined(separator: ", "), "data": Self.prettyJSON(draft.data),
            "previous_hash": event.previousHash, "hash": event.hash,
        ]
        values.merge(fields) { _, new in new }
        if let user = draft.userID, UserID(rawValue: user) != nil { values["user_url"] = "\(page.path)/users/\(user)" }
        if draft.targetType == "webhook_endpoint", let target = draft.targetID { values["target_url"] = "\(page.path)/webhooks/\(target)" }
        if draft.targetType == "client", let target = draft.targetID { values["target_url"] = "\(page.path)/clients/\(target)" }
        return self.page("admin_audit_entry", title: "Audit entry", values: values, signedIn: page.signedIn)
    }

    /// An actor as one line: its type and id (`operator usr_…`, `admin_token`).
    static func actorText(_ actor: AuditActor) -> String { [actor.type, actor.id].compactMap { $0 }.joined(separator: " ") }

    /// A JSON value as indented text with sorted keys.
    static func prettyJSON(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}
