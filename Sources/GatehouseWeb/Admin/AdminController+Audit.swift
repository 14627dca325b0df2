import Foundation
import GatehouseCore
import GatehouseStore
import HTTPTypes
import Hummingbird
import NIOCore

/// The audit log through the admin API (docs/contract.md A9): `GET …/audit` lists entries newest
/// first with filters, `GET …/audit/verify` checks the hash chain.
extension AdminController {
    func registerAudit(on admin: RouterGroup<AppRequestContext>) {
        tenantRoute(admin, .get, "tenants/:slug/audit", scope: AdminScope.auditRead) { request, context in
            try await self.listAudit(request, context)
        }
        tenantRoute(admin, .get, "tenants/:slug/audit/verify", scope: AdminScope.auditRead) { _, context in
            let verification = try await context.database.verifyAudit()
            return Responses.json(AuditVerificationView(verification), noStore: true, sorted: true)
        }
    }

    /// `?limit=&after=&since=&until=&actor=&type=&user_id=&organization_id=`; `since`/`until` are
    /// RFC 3339 times; `after` is the `next_cursor` of the previous page.
    func listAudit(_ request: Request, _ context: TenantContext) async throws -> Response {
        let page = try AdminPageRequest(request)
        var query = AuditQuery(limit: page.limit + 1)
        query.before = try page.cursor { Int64($0).flatMap { $0 > 0 ? $0 : nil } }
        var errors: [ProblemDetails.FieldError] = []
        func time(_ name: String) throws -> Date? {
            guard let raw = try AdminListFilter.value(of: name, in: request) else { return nil }
            guard let date = try? Date(raw, strategy: .iso8601) else {
                errors.append(.init(field: name, message: "must be an RFC 3339 time such as 2026-12-06T10:00:00Z"))
                return nil
            }
            return date
        }
        query.since = try time("since")
        query.until = try time("until")
        query.actorID = try AdminListFilter.value(of: "actor", in: request)
        query.type = try AdminListFilter.value(of: "type", in: request)
        query.userID = try AdminListFilter.value(of: "user_id", in: request)
        query.organizationID = try AdminListFilter.value(of: "organization_id", in: request)
        for (name, value) in [("actor", query.actorID), ("type", query.type), ("user_id", query.userID), ("organization_id", query.organizationID)] {
            if let value, value.utf8.count > 200 || value.utf8.contains(0) {
                errors.append(.init(field: name, message: "must be at most 200 bytes, without U+0000"))
            }
        }
        if !errors.isEmpty { throw ProblemDetails.validation(errors) }
        let events = try await context.database.auditEvents(query)
        let shown = events.prefix(page.limit).map(AuditEventView.init)
        let next = events.count > page.limit ? shown.last.map { String($0.sequence) } : nil
        return Responses.json(AuditPageView(events: Array(shown), nextCursor: next), noStore: true, sorted: true)
    }
}

/// One entry as the admin API shows it.
struct AuditEventView: Encodable {
    let sequence: Int64
    let id: String
    let occurredAt: String
    let type: String
    let actor: AuditActor
    let targetType: String?
    let targetID: String?
    let userID: String?
    let organizationID: String?
    let ip: String?
    let userAgent: String?
    let data: JSONValue
    let changes: [String]
    let previousHash: String
    let hash: String

    init(_ e: AuditEvent) {
        sequence = e.sequence
        id = e.id
        occurredAt = e.occurredAt.formatted(.iso8601)
        type = e.draft.type
        actor = e.draft.actor
        targetType = e.draft.targetType
        targetID = e.draft.targetID
        userID = e.draft.userID
        organizationID = e.draft.organizationID
        ip = e.draft.ip
        userAgent = e.draft.userAgent
        data = e.draft.data
        changes = e.draft.changes
        previousHash = e.previousHash
        hash = e.hash
    }

    enum CodingKeys: String, CodingKey {
        case sequence, id, type, actor, ip, data, changes, hash
        case occurredAt = "occurred_at"
        case targetType = "target_type"
        case targetID = "target_id"
        case userID = "user_id"
        case organizationID = "organization_id"
        case userAgent = "user_agent"
        case previousHash = "previous_hash"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(sequence, forKey: .sequence)
        try c.encode(id, forKey: .id)
        try c.encode(occurredAt, forKey: .occurredAt)
        try c.encode(type, forKey: .type)
        try c.encode(actor, forKey: .actor)
        for (key, value) in [
            (CodingKeys.targetType, targetType), (.targetID, targetID), (.userID, userID), (.organizationID, organizationID), (.ip, ip),
            (.userAgent, userAgent),
        ] {
            try c.encode(value, forKey: key)
        }
        try c.encode(data, forKey: .data)
        try c.encode(changes, forKey: .changes)
        try c.encode(previousHash, forKey: .previousHash)
        try c.encode(hash, forKey: .hash)
    }
}

struct AuditPageView: Encodable {
    let events: [AuditEventView]
    @NullWhenAbsent var nextCursor: String?

    init(events: [AuditEventView], nextCursor: String?) {
        self.events = events
        self.nextCursor = nextCursor
    }

    enum CodingKeys: String, CodingKey {
        case events
        case nextCursor = "next_cursor"
    }
}

/// `{"ok", "checked", "problem": null | {"sequence", "id", "kind", "detail"}}`.
struct AuditVerificationView: Encodable {
    let ok: Bool
    let checked: Int
    let problem: Problem?

    struct Problem: Encodable {
        let sequence: Int64
        let id: String?
        let kind: String
        let detail: String
    }

    init(_ v: AuditChain.Verification) {
        ok = v.ok
        checked = v.checked
        problem = v.firstProblem.map { Problem(sequence: $0.sequence, id: $0.id, kind: $0.kind, detail: $0.detail) }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ok, forKey: .ok)
        try c.encode(checked, forKey: .checked)
        try c.encode(problem, forKey: .problem)
    }

    enum CodingKeys: String, CodingKey { case ok, checked, problem }
}
