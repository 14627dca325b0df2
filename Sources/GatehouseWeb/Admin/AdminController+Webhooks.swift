import Foundation
import GatehouseCore
import GatehouseStore
import Hummingbird

extension AdminController {
    /// Webhook endpoints of a tenant (docs/contract.md A9): `GET|POST /tenants/{slug}/webhooks`,
    /// `GET|PATCH|DELETE …/webhooks/{webhook}`, `POST …/{webhook}/rotate-secret`, `POST …/{webhook}/test`,
    /// `GET …/{webhook}/deliveries`, `POST …/{webhook}/deliveries/{delivery}/redeliver`. Reads need
    /// `webhooks:read`, changes `webhooks:write` (an endpoint receives events that name users). The secret (`whsec_…`) is answered only by create and
    /// rotate-secret.
    func registerWebhookRoutes(_ admin: RouterGroup<AppRequestContext>) {
        let read = AdminScope.webhooksRead, write = AdminScope.webhooksWrite
        tenantRoute(admin, .get, "tenants/:slug/webhooks", scope: read) { request, context in try await self.listWebhooks(request, context) }
        tenantRoute(admin, .post, "tenants/:slug/webhooks", scope: write) { request, context in try await self.createWebhook(request, context) }
        tenantRoute(admin, .get, "tenants/:slug/webhooks/:webhook", scope: read) { _, context in
            Responses.json(WebhookView(try await self.findWebhook(context)), noStore: true, sorted: true)
        }
        tenantRoute(admin, .patch, "tenants/:slug/webhooks/:webhook", scope: write) { request, context in
            try await self.updateWebhook(request, context)
        }
        tenantRoute(admin, .delete, "tenants/:slug/webhooks/:webhook", scope: write) { _, context in try await self.deleteWebhook(context) }
        tenantRoute(admin, .post, "tenants/:slug/webhooks/:webhook/rotate-secret", scope: write) { request, context in
            try await self.rotateWebhookSecret(request, context)
        }
        tenantRoute(admin, .post, "tenants/:slug/webhooks/:webhook/test", scope: write) { _, context in
            let endpoint = try await self.findWebhook(context)
            guard endpoint.enabled else { throw ProblemDetails.conflict(Self.webhookDisabled) }
            let delivery = try await self.services.webhooks.queueTest(endpoint, in: context.database)
            return Responses.json(WebhookDeliveryView(delivery), status: .accepted, noStore: true, sorted: true)
        }
        tenantRoute(admin, .get, "tenants/:slug/webhooks/:webhook/deliveries", scope: read) { request, context in
            try await self.listWebhookDeliveries(request, context)
        }
        tenantRoute(admin, .post, "tenants/:slug/webhooks/:webhook/deliveries/:delivery/redeliver", scope: write) { _, context in
            let endpoint = try await self.findWebhook(context)
            guard let raw = context.parameters.get("delivery"), let id = WebhookDeliveryID(rawValue: raw),
                let delivery = try await context.database.webhookDelivery(id: id), delivery.endpointID == endpoint.id
            else { throw ProblemDetails.notFound("no delivery with this id for this webhook endpoint") }
            guard endpoint.enabled else { throw ProblemDetails.conflict(Self.webhookDisabled) }
            let again = try await self.services.webhooks.queueRedelivery(of: delivery, in: context.database)
            return Responses.json(WebhookDeliveryView(again), status: .accepted, noStore: true, sorted: true)
        }
    }

    static let webhookFields: Set<String> = ["url", "events", "enabled", "description"]
    /// Why a test event or a redelivery is refused (409) for a disabled endpoint.
    static let webhookDisabled = "the endpoint is disabled; enable it first"

    /// The endpoint named by the path (`whk_…`).
    /// - Throws: `ProblemDetails` 404.
    func findWebhook(_ context: TenantContext) async throws -> WebhookEndpoint {
        guard let raw = context.parameters.get("webhook"), let id = WebhookEndpointID(rawValue: raw),
            let endpoint = try await context.database.webhookEndpoint(id: id)
        else { throw ProblemDetails.notFound("no webhook endpoint with this id in this tenant") }
        return endpoint
    }

    /// Reads `url`, `events`, `enabled` and `description` into `endpoint`, collecting every problem.
    func applyWebhookFields(_ input: inout JSONInput, to endpoint: inout WebhookEndpoint, creating: Bool) {
        input.rejectUnknown(Self.webhookFields)
        if let url = input.string("url", required: creating, maxLength: WebhookDestinations.maxURLBytes) {
            if let problem = services.webhooks.problem(with: url) { input.fail("url", problem) } else { endpoint.url = url }
        }
        if let events = input.strings("events", maxCount: WebhookEventType.all.count) {
            let unknown = events.filter { !WebhookEventType.isKnown($0) }
            if unknown.isEmpty {
                endpoint.events = Array(Set(events)).sorted()
            } else {
                input.fail("events", "unknown event type \(unknown.map { "'\($0)'" }.joined(separator: ", ")); see WebhookEventType in the OpenAPI document")
            }
        }
        if let enabled = input.bool("enabled") { endpoint.enabled = enabled }
        if let description = input.string("description", maxLength: 500) { endpoint.description = description }
    }

    func listWebhooks(_ request: Request, _ context: TenantContext) async throws -> Response {
        let page = try AdminPageRequest(request)
        let after = try page.cursor { WebhookEndpointID(rawValue: $0) }
        let fetched = try await context.database.webhookEndpoints(after: after, limit: page.limit + 1)
        return Responses.json(page.page("webhooks", fetched.map { WebhookView($0) }, cursor: \.id), noStore: true, sorted: true)
    }

    func createWebhook(_ request: Request, _ context: TenantContext) async throws -> Response {
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        var endpoint = newWebhook()
        applyWebhookFields(&input, to: &endpoint, creating: true)
        try input.check()
        try await registerWebhook(endpoint, in: context.database)
        return created(WebhookView(endpoint, secret: endpoint.secret))
    }

    /// A new endpoint with a fresh secret (`whsec_…`), before its fields are applied.
    func newWebhook() -> WebhookEndpoint {
        let now = services.clock.now
        return WebhookEndpoint(id: .generate(at: now), url: "", secret: WebhookEndpoint.generateSecret(), createdAt: now, updatedAt: now)
    }

    /// Stores a new endpoint (named to a waiting audit entry), the tenant indexed for the worker
    /// before and after the insert, so that the worker never misses it.
    /// - Throws: `ProblemDetails` 409 when the tenant already has `[webhooks]
    ///   max_endpoints_per_tenant` endpoints: each event becomes one delivery per endpoint, so the
    ///   limit bounds what one tenant's events cost the worker, the disk and the other tenants.
    func registerWebhook(_ endpoint: WebhookEndpoint, in database: any TenantHandle) async throws {
        let limit = services.configuration.webhooks.maxEndpointsPerTenant
        if try await services.webhooks.allEndpoints(database).count >= limit {
            throw ProblemDetails.conflict("the tenant has \(limit) webhook endpoints, the most [webhooks] max_endpoints_per_tenant allows; remove one first")
        }
        try await services.store.markWebhookTenant(database.tenant)
        AuditRecorder.identify(target: endpoint.id.rawValue)
        try await database.insertWebhookEndpoint(endpoint)
        try await services.store.markWebhookTenant(database.tenant)
    }

    func updateWebhook(_ request: Request, _ context: TenantContext) async throws -> Response {
        var endpoint = try await findWebhook(context)
        let wasEnabled = endpoint.enabled
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        applyWebhookFields(&input, to: &endpoint, creating: false)
        try input.check()
        guard try await saveWebhook(&endpoint, wasEnabled: wasEnabled, in: context.database) else {
            throw ProblemDetails.notFound("no webhook endpoint with this id in this tenant")
        }
        return Responses.json(WebhookView(endpoint), noStore: true, sorted: true)
    }

    /// Saves a changed endpoint: one enabled again starts afresh (the store clears
    /// `failing_since` too), and `updated_at` moves forward.
    /// - Returns: false when the endpoint no longer exists.
    func saveWebhook(_ endpoint: inout WebhookEndpoint, wasEnabled: Bool, in database: any TenantHandle) async throws -> Bool {
        if !wasEnabled, endpoint.enabled { endpoint.failingSince = nil }
        endpoint.updatedAt = max(services.clock.now, endpoint.updatedAt.addingTimeInterval(0.001))
        return try await database.updateWebhookEndpoint(endpoint)
    }

    func deleteWebhook(_ context: TenantContext) async throws -> Response {
        let endpoint = try await findWebhook(context)
        guard try await removeWebhook(endpoint, in: context.database) else {
            throw ProblemDetails.notFound("no webhook endpoint with this id in this tenant")
        }
        return Response(status: .noContent)
    }

    /// Deletes an endpoint (its deliveries with it); the tenant leaves the worker's index with its
    /// last endpoint. - Returns: false when the endpoint no longer exists.
    func removeWebhook(_ endpoint: WebhookEndpoint, in database: any TenantHandle) async throws -> Bool {
        guard try await database.deleteWebhookEndpoint(id: endpoint.id) else { return false }
        if try await database.webhookEndpointCount() == 0 {
            try await services.store.unmarkWebhookTenant(database.tenant)
            // An endpoint created meanwhile keeps the tenant in the index.
            if try await database.webhookEndpointCount() > 0 { try await services.store.markWebhookTenant(database.tenant) }
        }
        return true
    }

    /// A new secret, answered once; the previous one keeps signing for `overlap_seconds`
    /// (0…2592000, default 86400) beside it.
    func rotateWebhookSecret(_ request: Request, _ context: TenantContext) async throws -> Response {
        var endpoint = try await findWebhook(context)
        var overlap = 86400
        if request.headers[.contentType] != nil {
            var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
            overlap = Self.webhookOverlap(&input)
            try input.check()
        }
        guard try await issueWebhookSecret(for: &endpoint, overlap: overlap, in: context.database) else {
            throw ProblemDetails.notFound("no webhook endpoint with this id in this tenant")
        }
        return Responses.json(WebhookView(endpoint, secret: endpoint.secret), noStore: true, sorted: true)
    }

    /// The rotation body's `overlap_seconds` (0…2592000, default 86400), its problems in `input`.
    static func webhookOverlap(_ input: inout JSONInput) -> Int {
        input.rejectUnknown(["overlap_seconds"])
        guard let value = input.int("overlap_seconds") else { return 86400 }
        if (0...(30 * 86400)).contains(value) { return value }
        input.fail("overlap_seconds", "must be 0…2592000")
        return 86400
    }

    /// Gives `endpoint` a new secret (`endpoint.secret`, to be shown once); the previous one keeps
    /// signing beside it for `overlap` seconds (none when 0).
    /// - Returns: false when the endpoint no longer exists.
    func issueWebhookSecret(for endpoint: inout WebhookEndpoint, overlap: Int, in database: any TenantHandle) async throws -> Bool {
        let now = services.clock.now
        endpoint.previousSecret = overlap > 0 ? endpoint.secret : nil
        endpoint.previousSecretExpiresAt = overlap > 0 ? now.addingTimeInterval(TimeInterval(overlap)) : nil
        endpoint.secret = WebhookEndpoint.generateSecret()
        endpoint.updatedAt = max(now, endpoint.updatedAt.addingTimeInterval(0.001))
        return try await database.updateWebhookEndpoint(endpoint)
    }

    /// An endpoint's deliveries, newest first (`limit`, `after` = the `next_cursor` of the previous page).
    func listWebhookDeliveries(_ request: Request, _ context: TenantContext) async throws -> Response {
        let endpoint = try await findWebhook(context)
        let page = try AdminPageRequest(request)
        let before = try page.cursor { WebhookDeliveryID(rawValue: $0) }
        let fetched = try await context.database.webhookDeliveries(endpoint: endpoint.id, before: before, limit: page.limit + 1)
        return Responses.json(page.page("deliveries", fetched.map(WebhookDeliveryView.init), cursor: \.id), noStore: true, sorted: true)
    }
}

/// The JSON shape of a webhook endpoint. `secret` only in the answers of create and rotate-secret;
/// `failing_since` always, null while the endpoint delivers.
struct WebhookView: Encodable {
    let id, url, description: String
    let events: [String]
    let enabled: Bool
    let secret: String?
    let previousSecretExpiresAt: Date?
    let failingSince: Date?
    let createdAt, updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, url, description, events, enabled, secret
        case previousSecretExpiresAt = "previous_secret_expires_at"
        case failingSince = "failing_since"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    init(_ e: WebhookEndpoint, secret: String? = nil) {
        id = e.id.rawValue
        url = e.url
        description = e.description
        events = e.events
        enabled = e.enabled
        self.secret = secret
        previousSecretExpiresAt = e.previousSecret == nil ? nil : e.previousSecretExpiresAt
        failingSince = e.failingSince
        createdAt = e.createdAt
        updatedAt = e.updatedAt
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(url, forKey: .url)
        try c.encode(description, forKey: .description)
        try c.encode(events, forKey: .events)
        try c.encode(enabled, forKey: .enabled)
        try c.encodeIfPresent(secret, forKey: .secret)
        try c.encodeIfPresent(previousSecretExpiresAt, forKey: .previousSecretExpiresAt)
        try c.encode(failingSince, forKey: .failingSince)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
    }
}

/// The JSON shape of a delivery (its body is not shown).
struct WebhookDeliveryView: Encodable {
    let id, webhookID, eventID, eventType, status: String
    let attempts: Int
    let nextAttemptAt, deliveredAt: Date?
    let lastResponseStatus: Int?
    let lastError: String?
    let createdAt, updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, status, attempts
        case webhookID = "webhook_id"
        case eventID = "event_id"
        case eventType = "event_type"
        case nextAttemptAt = "next_attempt_at"
        case deliveredAt = "delivered_at"
        case lastResponseStatus = "last_response_status"
        case lastError = "last_error"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    init(_ d: WebhookDelivery) {
        id = d.id.rawValue
        webhookID = d.endpointID.rawValue
        eventID = d.eventID
        eventType = d.eventType
        status = d.status.rawValue
        attempts = d.attempts
        nextAttemptAt = d.nextAttemptAt
        deliveredAt = d.deliveredAt
        lastResponseStatus = d.lastResponseStatus
        lastError = d.lastError
        createdAt = d.createdAt
        updatedAt = d.updatedAt
    }
}
