import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseOutbound
import GatehouseStore
import Logging

/// Webhook dispatch and delivery for every tenant (docs/contract.md A9), run by
/// `WebhookDeliveryService` and used by the admin API (test events, redeliveries).
///
/// **Dispatch** reads a tenant's events from its ``WebhookEventSource`` (made by `eventSource`:
/// the tenant's audit log, `AuditWebhookSource`) after the cursor kept in the tenant database, records one
/// delivery per enabled endpoint whose filter takes the event and that existed when it occurred,
/// and moves the cursor in the same transaction (`WebhookStore.commitWebhookDispatch`).
///
/// **Delivery** claims due deliveries and POSTs each through GatehouseOutbound (SSRF guard, no
/// redirect, `[webhooks] timeout_seconds`, answers capped at 64 KiB) with the Standard Webhooks
/// headers signed by every secret valid at that moment. A 2xx answer delivers it; anything else is
/// retried on `WebhookRetrySchedule` until `max_attempts`, then failed. A destination the rules
/// refuse, or a disabled or deleted endpoint, fails it at once. An endpoint whose attempts have
/// all failed for `[webhooks] disable_after_seconds` is disabled (`recordHealth`). At least once: an attempt that
/// reached the receiver just before a crash is made again after the restart, with the same
/// `webhook-id`.
public final class WebhookService: Sendable {
    let store: any InstanceStorage
    let settings: WebhookConfiguration
    let destinations: WebhookDestinations
    let http: HTTPClient
    let clock: any Clock
    let logger: Logger
    /// The event source of a tenant, or nil (no events; only test events and redeliveries).
    let eventSource: @Sendable (any TenantHandle) -> (any WebhookEventSource)?
    let wakeups: AsyncStream<Void>
    private let wakeContinuation: AsyncStream<Void>.Continuation

    /// Attempts in flight on this node, in all and per tenant.
    let slots: WebhookDeliverySlots
    /// How long a claimed delivery stays claimed by this node, in seconds.
    var lease: TimeInterval { TimeInterval(settings.timeoutSeconds) + 5 }

    init(
        store: any InstanceStorage, configuration: GatehouseConfiguration, clock: any Clock, logger: Logger,
        eventSource: @escaping @Sendable (any TenantHandle) -> (any WebhookEventSource)? = { _ in nil }
    ) {
        self.store = store
        self.settings = configuration.webhooks
        self.destinations = WebhookDestinations(federation: configuration.federation, timeoutSeconds: configuration.webhooks.timeoutSeconds)
        self.slots = WebhookDeliverySlots(total: settings.maxConcurrentDeliveries, perTenant: settings.maxConcurrentDeliveriesPerTenant)
        self.http = HTTPClient(policy: destinations.policy, maxConcurrentTransfers: slots.total)
        self.clock = clock
        self.logger = logger
        self.eventSource = eventSource
        (wakeups, wakeContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks the worker for a pass now (a delivery was queued).
    public func wake() { wakeContinuation.yield() }

    /// Why `url` cannot be a webhook destination, or nil.
    func problem(with url: String) -> String? { destinations.problem(with: url) }

    // MARK: Queueing

    /// Queues a `webhook.test` event for `endpoint` alone (any filter) and wakes the worker.
    func queueTest(_ endpoint: WebhookEndpoint, in database: any TenantHandle) async throws -> WebhookDelivery {
        let now = clock.now
        let event = WebhookEvent(
            id: Identifier<WebhookEventKind>.generate(at: now).rawValue, type: WebhookEventType.test, occurredAt: now,
            data: .object(["endpoint_id": .string(endpoint.id.rawValue), "tenant": .string(database.tenant.slug)]))
        let delivery = WebhookDelivery.of(event, to: endpoint.id, at: now)
        try await database.insertWebhookDelivery(delivery)
        wake()
        return delivery
    }

    /// Queues `delivery`'s event again for its endpoint (same body and `webhook-id`) as a new delivery.
    func queueRedelivery(of delivery: WebhookDelivery, in database: any TenantHandle) async throws -> WebhookDelivery {
        let now = clock.now
        let again = WebhookDelivery(
            id: .generate(at: now), endpointID: delivery.endpointID, eventID: delivery.eventID, eventType: delivery.eventType,
            payload: delivery.payload, nextAttemptAt: now, createdAt: now, updatedAt: now)
        try await database.insertWebhookDelivery(again)
        wake()
        return again
    }

    // MARK: Dispatch

    /// Queues the tenant's new events for its endpoints, page by page, until the source has no
    /// more (or another node moved the cursor).
    /// - Returns: the deliveries queued.
    @discardableResult
    func dispatch(_ database: any TenantHandle, pageSize: Int = 200) async throws -> Int {
        guard let source = eventSource(database) else { return 0 }
        var queued = 0
        while true {
            let cursor = try await database.webhookCursor()
            let page = try await source.webhookEvents(afterSequence: cursor, limit: pageSize)
            guard let last = page.last?.sequence, last > cursor else { return queued }
            let endpoints = try await allEndpoints(database).filter(\.enabled)
            let now = clock.now
            let deliveries = page.flatMap { entry in
                endpoints.filter { $0.accepts(entry.event.type) && $0.createdAt <= entry.event.occurredAt && entry.event.type != WebhookEventType.test }
                    .map { WebhookDelivery.of(entry.event, to: $0.id, at: now) }
            }
            guard try await database.commitWebhookDispatch(from: cursor, to: last, deliveries: deliveries) else { return queued }
            queued += deliveries.count
            if page.count < pageSize { return queued }
        }
    }

    func allEndpoints(_ database: any TenantHandle) async throws -> [WebhookEndpoint] {
        var all: [WebhookEndpoint] = []
        while true {
            let page = try await database.webhookEndpoints(after: all.last?.id, limit: 500)
            all += page
            if page.count < 500 { return all }
        }
    }

    // MARK: Delivery

    /// Claims as many of the tenant's due deliveries as ``slots`` grants it (so that at most
    /// `[webhooks] max_concurrent_deliveries_per_tenant` of its attempts are in flight on this node)
    /// and hands one attempt per claimed delivery to `start`, which runs it concurrently; when an
    /// attempt ends its slot is released and the worker woken. Returns without waiting for them:
    /// a tenant whose endpoints hang never holds up another tenant's deliveries.
    func startDue(_ database: any TenantHandle, start: (@escaping @Sendable () async -> Void) -> Void) async throws {
        let tenant = database.tenant.id
        let granted = slots.reserve(for: tenant, upTo: slots.perTenant)
        guard granted > 0 else { return }
        var claimed: [WebhookDelivery] = []
        defer { slots.release(for: tenant, count: granted - claimed.count) }
        // A read first, so that an idle tenant costs no write transaction.
        guard let due = try await database.nextWebhookDeliveryDue(), due <= clock.now else { return }
        claimed = try await database.claimDueWebhookDeliveries(at: clock.now, limit: granted, lease: lease)
        for delivery in claimed {
            start {
                await self.attempt(delivery, database: database)
                self.slots.release(for: tenant)
                self.wake()
            }
        }
    }

    /// One attempt of one delivery, its record, and the endpoint's health.
    func attempt(_ delivery: WebhookDelivery, database: any TenantHandle) async {
        let slug = database.tenant.slug
        var metadata: Logger.Metadata = [
            "tenant": "\(slug)", "delivery": "\(delivery.id)", "endpoint": "\(delivery.endpointID)", "attempt": "\(delivery.attempts + 1)",
        ]
        let outcome: WebhookAttempt
        let endpoint: WebhookEndpoint?
        do {
            (outcome, endpoint) = try await send(delivery, database: database)
        } catch is CancellationError {
            return  // shutting down: not an attempt; the claim ends with its lease
        } catch {
            logger.error("cannot attempt a webhook delivery", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            return
        }
        do {
            try await database.recordWebhookAttempt(id: delivery.id, outcome, at: clock.now)
        } catch {
            logger.error("cannot record a webhook attempt", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
        metadata["status"] = "\(outcome.responseStatus.map(String.init) ?? "none")"
        if outcome.delivered {
            logger.info("webhook delivered", metadata: metadata)
        } else if outcome.retryAt == nil {
            logger.warning("webhook delivery failed; giving up", metadata: metadata.merging(["error": "\(outcome.error ?? "")"]) { $1 })
        } else {
            logger.notice("webhook delivery failed; will retry", metadata: metadata.merging(["error": "\(outcome.error ?? "")"]) { $1 })
        }
        guard let endpoint else { return }
        do {
            try await recordHealth(of: endpoint, delivered: outcome.delivered, database: database)
        } catch {
            logger.error("cannot record a webhook endpoint's health", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
    }

    /// The `[webhooks] disable_after_seconds` rule after an attempt to `endpoint` (as read before
    /// the attempt): a success clears its `failingSince` (no write when it was not failing), a
    /// failure sets it if unset; an endpoint failing since at least that long ago is disabled, its
    /// pending deliveries fail, and the tenant's audit log gets `webhook.endpoint_disabled` (actor
    /// `system`, target the endpoint, data its `url` and `failing_since`) in the same transaction.
    /// Several nodes may race here; only the one whose disable took effect records the entry.
    func recordHealth(of endpoint: WebhookEndpoint, delivered: Bool, database: any TenantHandle) async throws {
        if delivered, endpoint.failingSince == nil { return }
        let now = clock.now
        guard let since = try await database.recordWebhookEndpointOutcome(id: endpoint.id, delivered: delivered, at: now) else { return }
        let cutoff = now.addingTimeInterval(-TimeInterval(settings.disableAfterSeconds))
        guard since <= cutoff else { return }
        let failingSince = since.formatted(.iso8601)
        let draft = AuditDraft(
            type: Self.endpointDisabledType, actor: .system, targetType: "webhook_endpoint", targetID: endpoint.id.rawValue,
            data: .object(["url": .string(AuditRedaction.redactingQuery(of: endpoint.url)), "failing_since": .string(failingSince)]))
        // The entry commits with the disable (`AuditRecorder`), and only when it took effect.
        let (disabled, _) = try await AuditRecorder.recording([draft], in: database, at: now, keepIf: { $0 }) {
            try await database.disableWebhookEndpoint(id: endpoint.id, failingSinceAtOrBefore: cutoff, at: now)
        }
        guard disabled else { return }
        logger.warning(
            "webhook endpoint disabled: every attempt failed for [webhooks] disable_after_seconds",
            metadata: ["tenant": "\(database.tenant.slug)", "endpoint": "\(endpoint.id)", "failing_since": "\(failingSince)"])
    }

    /// The audit entry type of an endpoint disabled for failing too long.
    static let endpointDisabledType = "webhook.endpoint_disabled"

    /// POSTs one delivery and says what happened, with the endpoint it was made to (nil when
    /// the endpoint was deleted or disabled: no attempt was made to it). Throws only when the
    /// endpoint cannot be read.
    func send(_ delivery: WebhookDelivery, database: any TenantHandle) async throws -> (WebhookAttempt, WebhookEndpoint?) {
        let failures = delivery.attempts + 1
        func failed(_ status: Int?, _ error: String, retry: Bool = true) -> WebhookAttempt {
            WebhookAttempt(
                responseStatus: status, error: error, delivered: false,
                retryAt: retry ? settings.retrySchedule.retryAt(afterFailures: failures, now: clock.now) : nil)
        }
        guard let endpoint = try await database.webhookEndpoint(id: delivery.endpointID) else {
            return (failed(nil, "the endpoint was deleted", retry: false), nil)
        }
        guard endpoint.enabled else { return (failed(nil, "the endpoint is disabled", retry: false), nil) }
        if let problem = destinations.problem(with: endpoint.url) {
            return (failed(nil, "destination refused: the URL \(problem)", retry: false), endpoint)
        }
        let now = clock.now
        var headers: [OutboundHeader] = WebhookSignature.headers(
            id: delivery.eventID, timestamp: Int64(now.timeIntervalSince1970), body: delivery.payload, secrets: endpoint.signingSecrets(at: now))
        headers.append((name: "Content-Type", value: "application/json"))
        do {
            let response = try await http.send(OutboundRequest(method: "POST", url: endpoint.url, headers: headers, body: delivery.payload))
            if response.isSuccess { return (WebhookAttempt(responseStatus: response.status, error: nil, delivered: true, retryAt: nil), endpoint) }
            return (failed(response.status, "the endpoint answered \(response.status)"), endpoint)
        } catch let error as OutboundError {
            logger.debug("webhook transfer failed", metadata: ["tenant": "\(database.tenant.slug)", "delivery": "\(delivery.id)", "error": "\(error)"])
            let (reason, retry) = Self.reason(error, timeoutSeconds: settings.timeoutSeconds)
            return (failed(nil, reason, retry: retry), endpoint)
        }
    }

    /// What a failed transfer's `last_error` says, and whether it is retried. A fixed sentence
    /// per kind of failure: never the library's text nor a resolved address, which would tell a
    /// tenant admin about the server's network (what a host name resolves to, which ports answer).
    static func reason(_ error: OutboundError, timeoutSeconds: Int) -> (String, retry: Bool) {
        switch error {
        case .destinationNotAllowed:
            ("destination refused: the host's address is in a range [federation] allowed_private_networks does not allow", false)
        case .schemeNotAllowed, .invalidURL, .invalidRequest: ("destination refused: the URL is not allowed", false)
        case .timedOut: ("no answer within \(timeoutSeconds) s", true)
        case .connectionFailed: ("could not connect (name resolution or TCP connection failed)", true)
        case .tlsFailure: ("TLS handshake or certificate verification failed", true)
        case .responseTooLarge: ("the answer exceeded 64 KiB", true)
        case .tooManyRedirects, .insecureRedirect: ("the endpoint answered with a redirect, which is not followed", true)
        case .transport: ("the connection failed during the exchange", true)
        }
    }
}
