import Foundation
import GatehouseCore
import GatehouseCrypto
import GRDB

extension WebhookEndpoint {
    static let columns = """
        id, url, events, enabled, description, sealed_secret, sealed_previous_secret, previous_secret_expires_at, failing_since, \
        created_at, updated_at
        """
}

extension WebhookDelivery {
    static let columns = """
        id, endpoint_id, event_id, event_type, payload, attempts, status, next_attempt_at, last_response_status, last_error, \
        created_at, updated_at, delivered_at
        """
}

/// Webhook endpoints, deliveries and the dispatch cursor of one tenant on SQLite (`WebhookStore`).
/// The single writer orders everything; `claimDueWebhookDeliveries` still moves the claimed rows'
/// next attempt ahead, as on PostgreSQL.
extension TenantDatabase: WebhookStore {
    func webhookEndpoint(row: Row) throws -> WebhookEndpoint {
        func unseal(_ column: String) throws -> String? {
            guard let sealed = row.bytes(column) else { return nil }
            do { return String(decoding: try masterKey.open(sealed), as: UTF8.self) } catch {
                throw StoreError.unavailable("cannot unseal the secret of webhook endpoint \(row["id"] as String): wrong master key?")
            }
        }
        return WebhookEndpoint(
            id: WebhookEndpointID(rawValue: row["id"])!, url: row["url"], events: JSONColumn.decode([String].self, row["events"]) ?? [],
            enabled: row["enabled"], description: row["description"], secret: try unseal("sealed_secret") ?? "",
            previousSecret: try unseal("sealed_previous_secret"), previousSecretExpiresAt: row.optionalDate("previous_secret_expires_at"),
            failingSince: row.optionalDate("failing_since"), createdAt: row.date("created_at"), updatedAt: row.date("updated_at"))
    }

    func webhookEndpointArguments(_ e: WebhookEndpoint) -> SQLArguments {
        [
            e.id.rawValue, e.url, JSONColumn.encode(e.events), e.enabled, e.description, Data(masterKey.seal(Array(e.secret.utf8))),
            e.previousSecret.map { Data(masterKey.seal(Array($0.utf8))) }, e.previousSecretExpiresAt, e.failingSince, e.createdAt,
            e.updatedAt,
        ]
    }

    static func webhookDelivery(row: Row) -> WebhookDelivery {
        WebhookDelivery(
            id: WebhookDeliveryID(rawValue: row["id"])!, endpointID: WebhookEndpointID(rawValue: row["endpoint_id"])!,
            eventID: row["event_id"], eventType: row["event_type"], payload: row.bytes("payload") ?? [], attempts: row["attempts"],
            status: WebhookDelivery.Status(rawValue: row["status"]) ?? .failed, nextAttemptAt: row.optionalDate("next_attempt_at"),
            lastResponseStatus: row["last_response_status"], lastError: row["last_error"], createdAt: row.date("created_at"),
            updatedAt: row.date("updated_at"), deliveredAt: row.optionalDate("delivered_at"))
    }

    static func insertDelivery(_ d: WebhookDelivery, _ db: Database) throws {
        try db.execute(
            cached: "INSERT INTO webhook_deliveries (\(WebhookDelivery.columns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            arguments: [
                d.id.rawValue, d.endpointID.rawValue, d.eventID, d.eventType, Data(d.payload), d.attempts, d.status.rawValue,
                d.nextAttemptAt, d.lastResponseStatus, d.lastError, d.createdAt, d.updatedAt, d.deliveredAt,
            ])
    }

    // MARK: Endpoints

    public func insertWebhookEndpoint(_ endpoint: WebhookEndpoint) async throws {
        let arguments = webhookEndpointArguments(endpoint)
        try await pool.write { db in
            try db.execute(cached: "INSERT INTO webhook_endpoints (\(WebhookEndpoint.columns)) VALUES (?,?,?,?,?,?,?,?,?,?,?)", arguments: arguments)
        }
    }

    public func webhookEndpoint(id: WebhookEndpointID) async throws -> WebhookEndpoint? {
        try await pool.read { db in
            try Row.fetchOne(db, cached: "SELECT \(WebhookEndpoint.columns) FROM webhook_endpoints WHERE id = ?", arguments: [id.rawValue])
                .map(self.webhookEndpoint(row:))
        }
    }

    public func webhookEndpoints(after: WebhookEndpointID?, limit: Int) async throws -> [WebhookEndpoint] {
        try await pool.read { db in
            try Row.fetchAll(
                db, cached: "SELECT \(WebhookEndpoint.columns) FROM webhook_endpoints WHERE id > ? ORDER BY id LIMIT ?",
                arguments: [after?.rawValue ?? "", limit]
            ).map(self.webhookEndpoint(row:))
        }
    }

    @discardableResult
    public func updateWebhookEndpoint(_ e: WebhookEndpoint) async throws -> Bool {
        let arguments: SQLArguments = [
            e.enabled, e.url, JSONColumn.encode(e.events), e.enabled, e.description, Data(masterKey.seal(Array(e.secret.utf8))),
            e.previousSecret.map { Data(masterKey.seal(Array($0.utf8))) }, e.previousSecretExpiresAt, e.updatedAt, e.id.rawValue,
        ]
        return try await pool.write { db in
            try db.execute(
                cached: """
                    UPDATE webhook_endpoints
                    SET failing_since = CASE WHEN enabled THEN failing_since WHEN ? THEN NULL ELSE failing_since END,
                    url = ?, events = ?, enabled = ?, description = ?, sealed_secret = ?, sealed_previous_secret = ?,
                    previous_secret_expires_at = ?, updated_at = ? WHERE id = ?
                    """, arguments: arguments)
            return db.changesCount > 0
        }
    }

    @discardableResult
    public func deleteWebhookEndpoint(id: WebhookEndpointID) async throws -> Bool {
        try await pool.write { db in
            try db.execute(cached: "DELETE FROM webhook_deliveries WHERE endpoint_id = ?", arguments: [id.rawValue])
            try db.execute(cached: "DELETE FROM webhook_endpoints WHERE id = ?", arguments: [id.rawValue])
            return db.changesCount > 0
        }
    }

    public func webhookEndpointCount() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, cached: "SELECT COUNT(*) FROM webhook_endpoints") ?? 0 }
    }

    // MARK: Dispatch

    public func webhookCursor() async throws -> Int64 {
        try await pool.read { db in try Int64.fetchOne(db, cached: "SELECT after_seq FROM webhook_cursor WHERE id = 1") ?? 0 }
    }

    public func commitWebhookDispatch(from: Int64, to: Int64, deliveries: [WebhookDelivery]) async throws -> Bool {
        try await pool.write { db in
            let current = try Int64.fetchOne(db, cached: "SELECT after_seq FROM webhook_cursor WHERE id = 1") ?? 0
            guard current == from else { return false }
            try db.execute(
                cached: "INSERT INTO webhook_cursor (id, after_seq) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET after_seq = excluded.after_seq",
                arguments: [to])
            for delivery in deliveries { try Self.insertDelivery(delivery, db) }
            return true
        }
    }

    public func insertWebhookDelivery(_ delivery: WebhookDelivery) async throws {
        try await pool.write { db in try Self.insertDelivery(delivery, db) }
    }

    // MARK: Delivery

    public func claimDueWebhookDeliveries(at now: Date, limit: Int, lease: TimeInterval) async throws -> [WebhookDelivery] {
        try await pool.write { db in
            let due = try Row.fetchAll(
                db,
                cached: """
                    SELECT \(WebhookDelivery.columns) FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ?
                    ORDER BY next_attempt_at, id LIMIT ?
                    """, arguments: [now, limit]
            ).map(Self.webhookDelivery(row:))
            for delivery in due {
                try db.execute(
                    cached: "UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id = ?",
                    arguments: [now.addingTimeInterval(lease), delivery.id.rawValue])
            }
            return due
        }
    }

    public func recordWebhookAttempt(id: WebhookDeliveryID, _ attempt: WebhookAttempt, at now: Date) async throws {
        let status: WebhookDelivery.Status = attempt.delivered ? .delivered : (attempt.retryAt == nil ? .failed : .pending)
        let error = attempt.error.map { String($0.prefix(500)) }
        try await pool.write { db in
            try db.execute(
                cached: """
                    UPDATE webhook_deliveries SET attempts = attempts + 1, status = ?, next_attempt_at = ?, last_response_status = ?,
                    last_error = ?, updated_at = ?, delivered_at = ? WHERE id = ?
                    """,
                arguments: [
                    status.rawValue, status == .pending ? attempt.retryAt : nil, attempt.responseStatus, error, now,
                    attempt.delivered ? now : nil, id.rawValue,
                ])
        }
    }

    public func recordWebhookEndpointOutcome(id: WebhookEndpointID, delivered: Bool, at now: Date) async throws -> Date? {
        try await pool.write { db in
            try db.execute(
                cached: """
                    UPDATE webhook_endpoints SET failing_since = CASE WHEN ? THEN NULL ELSE COALESCE(failing_since, ?) END WHERE id = ?
                    """, arguments: [delivered, now, id.rawValue])
            return try StoredDate.fetchOne(db, cached: "SELECT failing_since FROM webhook_endpoints WHERE id = ?", arguments: [id.rawValue])?.date
        }
    }

    public func disableWebhookEndpoint(id: WebhookEndpointID, failingSinceAtOrBefore cutoff: Date, at now: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                cached: """
                    UPDATE webhook_endpoints SET enabled = 0, updated_at = ?
                    WHERE id = ? AND enabled AND failing_since IS NOT NULL AND failing_since <= ?
                    """, arguments: [now, id.rawValue, cutoff])
            guard db.changesCount > 0 else { return false }
            try db.execute(
                cached: """
                    UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, last_error = ?, updated_at = ?
                    WHERE endpoint_id = ? AND status = 'pending'
                    """, arguments: [WebhookDelivery.disabledError, now, id.rawValue])
            return true
        }
    }

    public func nextWebhookDeliveryDue() async throws -> Date? {
        try await pool.read { db in
            try StoredDate.fetchOne(db, cached: "SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE status = 'pending'")?.date
        }
    }

    // MARK: Reading

    public func webhookDelivery(id: WebhookDeliveryID) async throws -> WebhookDelivery? {
        try await pool.read { db in
            try Row.fetchOne(db, cached: "SELECT \(WebhookDelivery.columns) FROM webhook_deliveries WHERE id = ?", arguments: [id.rawValue])
                .map(Self.webhookDelivery(row:))
        }
    }

    public func webhookDeliveries(endpoint: WebhookEndpointID, before: WebhookDeliveryID?, limit: Int) async throws -> [WebhookDelivery] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                cached: """
                    SELECT \(WebhookDelivery.columns) FROM webhook_deliveries WHERE endpoint_id = ? AND id < ? ORDER BY id DESC LIMIT ?
                    """, arguments: [endpoint.rawValue, before?.rawValue ?? "~", limit]
            ).map(Self.webhookDelivery(row:))
        }
    }

    public func purgeWebhookDeliveries(before cutoff: Date) async throws {
        try await pool.write { db in
            try db.execute(cached: "DELETE FROM webhook_deliveries WHERE status != 'pending' AND created_at < ?", arguments: [cutoff])
        }
    }
}
