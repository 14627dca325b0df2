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

    /// `?limit=&after=&since=&until=&actor=&type=&user_id=&organization_id=&target_type=&target_id=`; `since`/`until` are
    /// RFC 3339 times; `after` is the `next_cursor` of the previous page.
    func listAudit(_ request: Request, _ context: TenantContext) async throws -> Response {
        let page = try AdminPageRequest(request)
        let before = try page.cursor { Int64($0).flatMap { $0 > 0 ? $0 : nil } }
        let (filtered, errors) = try Self.auditQuery(limit: page.limit + 1) { try AdminListFilter.value(of: $0, in: request) }
        var query = filtered
        query.before = before
        if !errors.isEmpty { throw ProblemDetails.validation(errors) }
        let events = try await context.database.auditEvents(query)
        let shown = events.prefix(page.limit).map(AuditEventView.init)
        let next = events.count > page.limit ? shown.last.map { String($0.sequence) } : nil
        return Responses.json(AuditPageView(events: Array(shown), nextCursor: next), noStore: true, sorted: true)
    }

    /// The audit list's filters, shared by the admin API and the console: `since` and `until`
    /// (RFC 3339 times; `until` excluded), `actor` (the actor's id), `type`, `user_id` and
    /// `organization_id`, `target_type` and `target_id` (each at most 200 bytes, without U+0000). `value` answers a filter's
    /// text, or nil when it is not given.
    /// - Returns: the query (no cursor) and every problem found, by filter name.
    static func auditQuery(
        limit: Int, _ value: (String) throws -> String?
    ) rethrows -> (AuditQuery, [ProblemDetails.FieldError]) {
        var query = AuditQuery(limit: limit)
        var errors: [ProblemDetails.FieldError] = []
        func time(_ name: String) throws -> Date? {
            guard let raw = try value(name) else { return nil }
            guard let date = try? Date(raw, strategy: .iso8601) else {
                errors.append(.init(field: name, message: "must be an RFC 3339 time such as 2026-12-06T10:00:00Z"))
                return nil
            }
            return date
        }
        query.since = try time("since")
        query.until = try time("until")
        query.actorID = try value("actor")
        query.type = try value("type")
        query.userID = try value("user_id")
        query.organizationID = try value("organization_id")
        query.targetType = try value("target_type")
        query.targetID = try value("target_id")
        let filters = [
            ("actor", query.actorID), ("type", query.type), ("user_id", query.userID), ("organization_id", query.organizationID),
            ("target_type", query.targetType), ("target_id", query.targetID),
        ]
        for (name, value) in filters {
            if let value, value.utf8.count > 200 || value.utf8.contains(0) {
                errors.append(.init(field: name, message: "must be at most 200 bytes, without U+0000"))
            }
        }
        return (query, errors)
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
