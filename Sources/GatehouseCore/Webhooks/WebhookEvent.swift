import Foundation

/// One event that a tenant's webhook endpoints may receive (docs/contract.md A9).
///
/// `id` (`evt_…`) is sent as the Standard Webhooks `webhook-id` header: the same for every
/// endpoint, attempt and redelivery of the event, so a receiver can drop duplicates.
public struct WebhookEvent: Sendable, Equatable {
    /// The event id: the audit entry's id (`AuditWebhookSource`), or `evt_…` for a test event.
    public var id: String
    /// One of ``WebhookEventType/all`` (or `webhook.test`), e.g. `user.created`.
    public var type: String
    public var occurredAt: Date
    /// The event's JSON object (`data` of the delivered body); its shape per type is in the
    /// OpenAPI document (`components.schemas.WebhookEvent…`).
    public var data: JSONValue

    public init(id: String, type: String, occurredAt: Date, data: JSONValue) {
        self.id = id
        self.type = type
        self.occurredAt = occurredAt
        self.data = data
    }

    /// The body POSTed to an endpoint (Standard Webhooks payload structure):
    /// `{"type", "timestamp", "data"}`, `timestamp` in RFC 3339 UTC with milliseconds, keys sorted.
    public var body: [UInt8] {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        let payload = JSONValue.object(["type": .string(type), "timestamp": .string(formatter.string(from: occurredAt)), "data": data])
        return Array(payload.sortedText.utf8)
    }
}

/// Where a tenant's webhook events come from: the seam between the tenant's event log and webhook
/// delivery. The audit log implements it (`AuditWebhookSource`: each audit entry whose type is in
/// ``WebhookEventType/all`` becomes an event).
///
/// The dispatcher (GatehouseWeb's `WebhookDeliveryService`) reads events after a cursor kept in the
/// tenant database and records one delivery per matching endpoint, moving the cursor in the same
/// transaction, so each event is queued once per endpoint even with several nodes.
public protocol WebhookEventSource: Sendable {
    /// Events with a sequence number above `afterSequence`, in increasing sequence order, at most
    /// `limit`. Sequence numbers increase with every entry of the source (gaps allowed: entries
    /// that are no webhook events are skipped, but their sequence may still be the last one
    /// returned so that the cursor moves past them).
    func webhookEvents(afterSequence: Int64, limit: Int) async throws -> [(sequence: Int64, event: WebhookEvent)]
}

/// The event types an endpoint can subscribe to (docs/contract.md A9; one JSON schema each in the
/// OpenAPI document).
public enum WebhookEventType {
    /// Every subscribable type, in documentation order.
    public static let all: [String] = [
        "user.created", "user.updated", "user.deleted", "user.signed_in", "user.sign_in_failed", "user.password_changed",
        "user.mfa_enabled", "user.mfa_disabled", "user.email_verified", "session.created", "session.revoked",
        "organization.created", "organization.updated", "organization.deleted", "membership.created", "membership.updated",
        "membership.deleted", "invitation.created", "invitation.accepted", "invitation.revoked", "client.created",
        "client.updated", "client.deleted", "tenant.updated", "signing_key.rotated",
    ]
    static let known = Set(all)

    /// The event of `POST …/webhooks/{id}/test`, sent to that endpoint only, whatever its filter.
    public static let test = "webhook.test"

    /// Whether `type` can be subscribed to.
    public static func isKnown(_ type: String) -> Bool { known.contains(type) }
}
