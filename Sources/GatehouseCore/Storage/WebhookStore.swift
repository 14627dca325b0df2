import Foundation

/// A tenant's webhook endpoints, its delivery outbox (`webhook_deliveries`) and the dispatch cursor
/// (docs/contract.md A9). Secrets are sealed with the master key at rest.
public protocol WebhookStore: Sendable {
    // MARK: Endpoints

    /// Stores a new endpoint.
    func insertWebhookEndpoint(_ endpoint: WebhookEndpoint) async throws
    func webhookEndpoint(id: WebhookEndpointID) async throws -> WebhookEndpoint?
    /// Endpoints with an id above `after`, by id, at most `limit`.
    func webhookEndpoints(after: WebhookEndpointID?, limit: Int) async throws -> [WebhookEndpoint]
    /// Replaces an endpoint's url, events, enabled, description, secrets and `updatedAt`
    /// (`failingSince` is kept, and cleared when the endpoint is enabled again).
    /// - Returns: false when no such endpoint exists.
    @discardableResult
    func updateWebhookEndpoint(_ endpoint: WebhookEndpoint) async throws -> Bool
    /// Deletes an endpoint and its deliveries.
    /// - Returns: false when no such endpoint exists.
    @discardableResult
    func deleteWebhookEndpoint(id: WebhookEndpointID) async throws -> Bool
    /// How many endpoints the tenant has.
    func webhookEndpointCount() async throws -> Int

    // MARK: Dispatch

    /// The sequence of the last event the dispatcher handled (0 before the first).
    func webhookCursor() async throws -> Int64
    /// Stores `deliveries` and moves the cursor from `from` to `to` in one transaction, only if the
    /// cursor is still at `from` (PostgreSQL: its row locked `FOR UPDATE`); otherwise stores
    /// nothing (another node dispatched these events).
    /// - Returns: whether it stored them.
    func commitWebhookDispatch(from: Int64, to: Int64, deliveries: [WebhookDelivery]) async throws -> Bool
    /// Stores one delivery (test events, redeliveries).
    func insertWebhookDelivery(_ delivery: WebhookDelivery) async throws

    // MARK: Delivery

    /// Pending deliveries due at `now`, oldest due first, at most `limit`, each claimed for
    /// `lease` seconds (its next attempt moves ahead by the lease; PostgreSQL skips rows another
    /// node is claiming, `FOR UPDATE SKIP LOCKED`), so that two nodes never send one delivery at once.
    func claimDueWebhookDeliveries(at now: Date, limit: Int, lease: TimeInterval) async throws -> [WebhookDelivery]
    /// Records one attempt: delivered, retried at `attempt.retryAt`, or failed.
    func recordWebhookAttempt(id: WebhookDeliveryID, _ attempt: WebhookAttempt, at now: Date) async throws
    /// Records whether an attempt to the endpoint succeeded: a delivered attempt clears
    /// `failingSince`, a failed one sets it to `now` unless it is already set (the first failure
    /// after a success).
    /// - Returns: the endpoint's `failingSince` afterwards (nil after a success, or when no such
    ///   endpoint exists).
    func recordWebhookEndpointOutcome(id: WebhookEndpointID, delivered: Bool, at now: Date) async throws -> Date?
    /// Disables the endpoint if it is enabled and has been failing since `cutoff` or earlier, and
    /// fails its pending deliveries (`lastError` "the endpoint was disabled"), in one transaction
    /// (the `[webhooks] disable_after_seconds` rule). `failingSince` is kept.
    /// - Returns: whether it disabled it (false when it was already disabled, delivered or was
    ///   enabled again meanwhile, or does not exist).
    func disableWebhookEndpoint(id: WebhookEndpointID, failingSinceAtOrBefore cutoff: Date, at now: Date) async throws -> Bool
    /// The earliest next attempt among pending deliveries, or nil.
    func nextWebhookDeliveryDue() async throws -> Date?

    // MARK: Reading

    func webhookDelivery(id: WebhookDeliveryID) async throws -> WebhookDelivery?
    /// An endpoint's deliveries, newest first (ids below `before`), at most `limit`.
    func webhookDeliveries(endpoint: WebhookEndpointID, before: WebhookDeliveryID?, limit: Int) async throws -> [WebhookDelivery]
    /// Deletes delivered and failed deliveries created before `cutoff`.
    func purgeWebhookDeliveries(before cutoff: Date) async throws
}
