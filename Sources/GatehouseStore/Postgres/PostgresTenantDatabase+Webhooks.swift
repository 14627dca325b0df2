import Foundation
import GatehouseCore
import GatehouseCrypto
import NIOCore
import PostgresNIO

/// Webhook endpoints, deliveries and the dispatch cursor of one tenant on PostgreSQL
/// (`WebhookStore`), as `TenantDatabase+Webhooks.swift` does on SQLite. A dispatch locks the cursor
/// row (`FOR UPDATE`) and moves it only from the position it read; due deliveries are claimed with
/// `FOR UPDATE SKIP LOCKED` and a lease, so that several nodes never send one delivery at once.
extension PostgresTenantDatabase: WebhookStore {
    func webhookEndpoint(row: PostgresRow) throws -> WebhookEndpoint {
        let r = PostgresRowReader(row)
        let id: String = try r("id")
        func unseal(_ column: String) throws -> String? {
            guard let sealed = try r.bytes(column) else { return nil }
            do { return String(decoding: try masterKey.open(sealed), as: UTF8.self) } catch {
                throw StoreError.unavailable("cannot unseal the secret of webhook endpoint \(id): wrong master key?")
            }
        }
        guard let endpointID = WebhookEndpointID(rawValue: id) else { throw StoreError.unavailable("a webhook endpoint has a malformed id") }
        return WebhookEndpoint(
            id: endpointID, url: try r("url"), events: JSONColumn.decode([String].self, try r("events")) ?? [], enabled: try r("enabled"),
            description: try r("description"), secret: try unseal("sealed_secret") ?? "", previousSecret: try unseal("sealed_previous_secret"),
            previousSecretExpiresAt: try r.optionalDate("previous_secret_expires_at"), failingSince: try r.optionalDate("failing_since"),
            createdAt: try r.date("created_at"), updatedAt: try r.date("updated_at"))
    }

    func webhookEndpointValues(_ e: WebhookEndpoint) -> PostgresBindings {
        PostgresBindings([
            e.id.rawValue, e.url, JSONColumn.encode(e.events), e.enabled, e.description, ByteBuffer(bytes: masterKey.seal(Array(e.secret.utf8))),
            e.previousSecret.map { ByteBuffer(bytes: masterKey.seal(Array($0.utf8))) }, e.previousSecretExpiresAt.map(PostgresTimestamp.init),
            e.failingSince.map(PostgresTimestamp.init), PostgresTimestamp(e.createdAt), PostgresTimestamp(e.updatedAt),
        ])
    }

    static func webhookDelivery(_ row: PostgresRow) throws -> WebhookDelivery {
        let r = PostgresRowReader(row)
        guard let id = WebhookDeliveryID(rawValue: try r("id")), let endpoint = WebhookEndpointID(rawValue: try r("endpoint_id")) else {
            throw StoreError.unavailable("a webhook delivery has a malformed id")
        }
        let attempts: Int64 = try r("attempts")
        let status: Int64? = try r("last_response_status")
        return WebhookDelivery(
            id: id, endpointID: endpoint, eventID: try r("event_id"), eventType: try r("event_type"), payload: try r.bytes("payload") ?? [],
            attempts: Int(attempts), status: WebhookDelivery.Status(rawValue: try r("status")) ?? .failed,
            nextAttemptAt: try r.optionalDate("next_attempt_at"), lastResponseStatus: status.map { Int($0) }, lastError: try r("last_error"),
            createdAt: try r.date("created_at"), updatedAt: try r.date("updated_at"), deliveredAt: try r.optionalDate("delivered_at"))
    }

    func deliveryInsert(_ d: WebhookDelivery) -> PostgresQuery {
        insert(
            into: "webhook_deliveries", columns: WebhookDelivery.columns,
            values: PostgresBindings([
                d.id.rawValue, d.endpointID.rawValue, d.eventID, d.eventType, ByteBuffer(bytes: d.payload), Int64(d.attempts), d.status.rawValue,
                d.nextAttemptAt.map(PostgresTimestamp.init), d.lastResponseStatus.map { Int64($0) }, d.lastError,
                PostgresTimestamp(d.createdAt), PostgresTimestamp(d.updatedAt), d.deliveredAt.map(PostgresTimestamp.init),
            ]))
    }

    // MARK: Endpoints

    public func insertWebhookEndpoint(_ endpoint: WebhookEndpoint) async throws {
        try await query(insert(into: "webhook_endpoints", columns: WebhookEndpoint.columns, values: webhookEndpointValues(endpoint)))
    }

    public func webhookEndpoint(id: WebhookEndpointID) async throws -> WebhookEndpoint? {
        try await query(
            "SELECT \(unescaped: WebhookEndpoint.columns) FROM \(unescaped: schema).webhook_endpoints WHERE id = \(id.rawValue)"
        ).first.map(webhookEndpoint(row:))
    }

    public func webhookEndpoints(after: WebhookEndpointID?, limit: Int) async throws -> [WebhookEndpoint] {
        try await query(
            """
            SELECT \(unescaped: WebhookEndpoint.columns) FROM \(unescaped: schema).webhook_endpoints
            WHERE id > \(after?.rawValue ?? "") COLLATE "C" ORDER BY id COLLATE "C" LIMIT \(limit)
            """
        ).map(webhookEndpoint(row:))
    }

    @discardableResult
    public func updateWebhookEndpoint(_ e: WebhookEndpoint) async throws -> Bool {
        let secret = ByteBuffer(bytes: masterKey.seal(Array(e.secret.utf8)))
        let previous = e.previousSecret.map { ByteBuffer(bytes: masterKey.seal(Array($0.utf8))) }
        let expires = e.previousSecretExpiresAt.map(PostgresTimestamp.init)
        return
            !(try await query(
                """
                UPDATE \(unescaped: schema).webhook_endpoints
                SET failing_since = CASE WHEN enabled THEN failing_since WHEN \(e.enabled) THEN NULL ELSE failing_since END,
                url = \(e.url), events = \(JSONColumn.encode(e.events)), enabled = \(e.enabled), description = \(e.description),
                sealed_secret = \(secret), sealed_previous_secret = \(previous),
                previous_secret_expires_at = \(expires), updated_at = \(PostgresTimestamp(e.updatedAt)) WHERE id = \(e.id.rawValue) RETURNING id
                """
            ).isEmpty)
    }

    @discardableResult
    public func deleteWebhookEndpoint(id: WebhookEndpointID) async throws -> Bool {
        !(try await query("DELETE FROM \(unescaped: schema).webhook_endpoints WHERE id = \(id.rawValue) RETURNING id").isEmpty)
    }

    public func webhookEndpointCount() async throws -> Int {
        let count = try Self.scalar(try await query("SELECT COUNT(*) FROM \(unescaped: schema).webhook_endpoints"), as: Int64.self) ?? 0
        return Int(count)
    }

    // MARK: Dispatch

    public func webhookCursor() async throws -> Int64 {
        try Self.scalar(try await query("SELECT after_seq FROM \(unescaped: schema).webhook_cursor WHERE id = 1"), as: Int64.self) ?? 0
    }

    public func commitWebhookDispatch(from: Int64, to: Int64, deliveries: [WebhookDelivery]) async throws -> Bool {
        try await transaction { connection in
            let rows = try await self.run(
                "SELECT after_seq FROM \(unescaped: self.schema).webhook_cursor WHERE id = 1 FOR UPDATE", on: connection)
            let current = try rows.first.map { try PostgresRowReader($0)("after_seq", as: Int64.self) }
            guard (current ?? 0) == from else { return false }
            try await self.run(
                """
                INSERT INTO \(unescaped: self.schema).webhook_cursor (id, after_seq) VALUES (1, \(to))
                ON CONFLICT (id) DO UPDATE SET after_seq = excluded.after_seq
                """, on: connection)
            for delivery in deliveries { try await self.run(self.deliveryInsert(delivery), on: connection) }
            return true
        }
    }

    public func insertWebhookDelivery(_ delivery: WebhookDelivery) async throws {
        try await query(deliveryInsert(delivery))
    }

    // MARK: Delivery

    public func claimDueWebhookDeliveries(at now: Date, limit: Int, lease: TimeInterval) async throws -> [WebhookDelivery] {
        let columns = WebhookDelivery.columns.replacingOccurrences(of: "next_attempt_at", with: "was AS next_attempt_at")
        return try await query(
            """
            WITH due AS (
                SELECT id, next_attempt_at AS was FROM \(unescaped: schema).webhook_deliveries
                WHERE status = 'pending' AND next_attempt_at <= \(PostgresTimestamp(now))
                ORDER BY next_attempt_at, id COLLATE "C" LIMIT \(limit) FOR UPDATE SKIP LOCKED),
            claimed AS (
                UPDATE \(unescaped: schema).webhook_deliveries AS d SET next_attempt_at = \(PostgresTimestamp(now.addingTimeInterval(lease)))
                FROM due WHERE d.id = due.id RETURNING d.*, due.was)
            SELECT \(unescaped: columns) FROM claimed ORDER BY was, id COLLATE "C"
            """
        ).map(Self.webhookDelivery)
    }

    public func recordWebhookAttempt(id: WebhookDeliveryID, _ attempt: WebhookAttempt, at now: Date) async throws {
        let status: WebhookDelivery.Status = attempt.delivered ? .delivered : (attempt.retryAt == nil ? .failed : .pending)
        let error = attempt.error.map { String($0.prefix(500)).replacingOccurrences(of: "\0", with: "") }
        let next = status == .pending ? attempt.retryAt.map(PostgresTimestamp.init) : nil
        let delivered = attempt.delivered ? PostgresTimestamp(now) : nil
        try await query(
            """
            UPDATE \(unescaped: schema).webhook_deliveries SET attempts = attempts + 1, status = \(status.rawValue), next_attempt_at = \(next),
            last_response_status = \(attempt.responseStatus.map { Int64($0) }), last_error = \(error), updated_at = \(PostgresTimestamp(now)),
            delivered_at = \(delivered) WHERE id = \(id.rawValue)
            """)
    }

    public func recordWebhookEndpointOutcome(id: WebhookEndpointID, delivered: Bool, at now: Date) async throws -> Date? {
        let rows = try await query(
            """
            UPDATE \(unescaped: schema).webhook_endpoints
            SET failing_since = CASE WHEN \(delivered) THEN NULL ELSE COALESCE(failing_since, \(PostgresTimestamp(now))) END
            WHERE id = \(id.rawValue) RETURNING failing_since
            """)
        return try rows.first.flatMap { try PostgresRowReader($0).optionalDate("failing_since") }
    }

    public func disableWebhookEndpoint(id: WebhookEndpointID, failingSinceAtOrBefore cutoff: Date, at now: Date) async throws -> Bool {
        try await transaction { connection in
            let disabled = try await self.run(
                """
                UPDATE \(unescaped: self.schema).webhook_endpoints SET enabled = false, updated_at = \(PostgresTimestamp(now))
                WHERE id = \(id.rawValue) AND enabled AND failing_since <= \(PostgresTimestamp(cutoff)) RETURNING id
                """, on: connection)
            guard !disabled.isEmpty else { return false }
            try await self.run(
                """
                UPDATE \(unescaped: self.schema).webhook_deliveries SET status = 'failed', next_attempt_at = NULL,
                last_error = \(WebhookDelivery.disabledError), updated_at = \(PostgresTimestamp(now))
                WHERE endpoint_id = \(id.rawValue) AND status = 'pending'
                """, on: connection)
            return true
        }
    }

    public func nextWebhookDeliveryDue() async throws -> Date? {
        let rows = try await query(
            "SELECT MIN(next_attempt_at) AS due FROM \(unescaped: schema).webhook_deliveries WHERE status = 'pending'")
        return try rows.first.flatMap { try PostgresRowReader($0).optionalDate("due") }
    }

    // MARK: Reading

    public func webhookDelivery(id: WebhookDeliveryID) async throws -> WebhookDelivery? {
        try await query(
            "SELECT \(unescaped: WebhookDelivery.columns) FROM \(unescaped: schema).webhook_deliveries WHERE id = \(id.rawValue)"
        ).first.map(Self.webhookDelivery)
    }

    public func webhookDeliveries(endpoint: WebhookEndpointID, before: WebhookDeliveryID?, limit: Int) async throws -> [WebhookDelivery] {
        try await query(
            """
            SELECT \(unescaped: WebhookDelivery.columns) FROM \(unescaped: schema).webhook_deliveries
            WHERE endpoint_id = \(endpoint.rawValue) AND id < \(before?.rawValue ?? "~") COLLATE "C" ORDER BY id COLLATE "C" DESC LIMIT \(limit)
            """
        ).map(Self.webhookDelivery)
    }

    public func purgeWebhookDeliveries(before cutoff: Date) async throws {
        try await query(
            """
            DELETE FROM \(unescaped: schema).webhook_deliveries WHERE status <> 'pending' AND created_at < \(PostgresTimestamp(cutoff))
            """)
    }
}
