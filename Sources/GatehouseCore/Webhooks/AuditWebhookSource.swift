import Foundation

/// A tenant's audit log as its webhook event source (docs/contract.md A9): every entry whose type
/// is a subscribable event type (``WebhookEventType/all``) is an event, with the entry's id as the
/// event id (`webhook-id`) and its time. The entry commits in the same transaction as the change
/// it describes, so an event exists exactly when its change committed.
public struct AuditWebhookSource: WebhookEventSource {
    let log: any AuditStore

    public init(log: any AuditStore) { self.log = log }

    public func webhookEvents(afterSequence: Int64, limit: Int) async throws -> [(sequence: Int64, event: WebhookEvent)] {
        let entries = try await log.auditEvents(afterSequence: afterSequence, limit: limit)
        guard let last = entries.last else { return [] }
        var events = entries.compactMap { entry in Self.event(of: entry).map { (sequence: entry.sequence, event: $0) } }
        // The cursor moves past entries that are no events, too.
        if events.last?.sequence != last.sequence {
            events.append((sequence: last.sequence, event: WebhookEvent(id: last.id, type: Self.skipped, occurredAt: Self.time(of: last), data: .null)))
        }
        return events
    }

    static func time(of entry: AuditEvent) -> Date { Date(timeIntervalSince1970: Double(entry.occurredAtMilliseconds) / 1000) }

    /// The type of the placeholder that carries the cursor past a page's trailing non-events;
    /// no endpoint accepts it.
    public static let skipped = "audit.skipped"

    /// The webhook event of `entry`, or nil when its type is not subscribable.
    ///
    /// `data`: `actor` (`type`, `id`), `target_type`, `target_id`, `user_id`, `organization_id`,
    /// `changes` (names of the fields a change sent) and `object` (the entry's data: the fields
    /// sent with secrets redacted, or what the event concerns, such as a sign-in's session and
    /// `amr`). The address and user agent stay in the audit log.
    public static func event(of entry: AuditEvent) -> WebhookEvent? {
        let d = entry.draft
        guard WebhookEventType.isKnown(d.type) else { return nil }
        var actor: [String: JSONValue] = ["type": .string(d.actor.type)]
        if let id = d.actor.id { actor["id"] = .string(id) }
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        let data: JSONValue = .object([
            "actor": .object(actor), "target_type": text(d.targetType), "target_id": text(d.targetID), "user_id": text(d.userID),
            "organization_id": text(d.organizationID), "changes": .array(d.changes.map(JSONValue.string)), "object": d.data,
        ])
        return WebhookEvent(id: entry.id, type: d.type, occurredAt: time(of: entry), data: data)
    }
}
