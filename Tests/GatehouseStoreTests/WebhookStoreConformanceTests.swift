import Foundation
import GatehouseCore
import GatehouseStore
import Testing

/// Webhook endpoints, the delivery outbox and the dispatch cursor on every `StorageBackend`
/// (docs/contract.md A9).
@Suite("Storage conformance: webhooks")
struct WebhookStoreConformanceTests {
    static func endpoint(at now: Date, url: String = "https://example.com/hook") -> WebhookEndpoint {
        WebhookEndpoint(id: .generate(at: now), url: url, events: ["user.created"], secret: WebhookEndpoint.generateSecret(), createdAt: now, updatedAt: now)
    }

    static func event(_ n: Int, at now: Date) -> WebhookEvent {
        WebhookEvent(id: "evt_\(n)", type: "user.created", occurredAt: now, data: .object(["n": .number(Double(n))]))
    }

    @Test("endpoints: stored with their secrets, listed, updated, deleted; other tenants see none", arguments: StorageBackend.all)
    func endpoints(_ backend: StorageBackend) async throws {
        try await backend.withPair { a, b, clock in
            var first = Self.endpoint(at: clock.now)
            clock.advance(1)
            let second = Self.endpoint(at: clock.now, url: "https://example.org/other")
            try await a.insertWebhookEndpoint(first)
            try await a.insertWebhookEndpoint(second)
            #expect(try await a.webhookEndpoint(id: first.id) == first)
            #expect(try await a.webhookEndpoints(after: nil, limit: 10).map(\.id) == [first.id, second.id])
            #expect(try await a.webhookEndpoints(after: first.id, limit: 10).map(\.id) == [second.id])
            #expect(try await a.webhookEndpointCount() == 2)
            #expect(try await b.webhookEndpoint(id: first.id) == nil)
            #expect(try await b.webhookEndpoints(after: nil, limit: 10).isEmpty)
            #expect(try await b.updateWebhookEndpoint(first) == false)
            #expect(try await b.deleteWebhookEndpoint(id: first.id) == false)

            first.previousSecret = first.secret
            first.previousSecretExpiresAt = clock.now.addingTimeInterval(86400)
            first.secret = WebhookEndpoint.generateSecret()
            first.enabled = false
            first.events = []
            first.description = "CRM"
            first.updatedAt = clock.now
            #expect(try await a.updateWebhookEndpoint(first))
            #expect(try await a.webhookEndpoint(id: first.id) == first)

            try await a.insertWebhookDelivery(.of(Self.event(1, at: clock.now), to: first.id, at: clock.now))
            #expect(try await a.deleteWebhookEndpoint(id: first.id))
            #expect(try await a.webhookEndpoint(id: first.id) == nil)
            #expect(try await a.webhookDeliveries(endpoint: first.id, before: nil, limit: 10).isEmpty)
            #expect(try await a.webhookEndpointCount() == 1)
        }
    }

    @Test("dispatch stores deliveries and moves the cursor only from where it was", arguments: StorageBackend.all)
    func dispatch(_ backend: StorageBackend) async throws {
        try await backend.withPair { a, b, clock in
            let endpoint = Self.endpoint(at: clock.now)
            try await a.insertWebhookEndpoint(endpoint)
            #expect(try await a.webhookCursor() == 0)
            let first = [WebhookDelivery.of(Self.event(1, at: clock.now), to: endpoint.id, at: clock.now)]
            #expect(try await a.commitWebhookDispatch(from: 0, to: 3, deliveries: first))
            #expect(try await a.webhookCursor() == 3)
            // A second node that read the cursor at 0 stores nothing.
            let stale = [WebhookDelivery.of(Self.event(1, at: clock.now), to: endpoint.id, at: clock.now)]
            #expect(try await a.commitWebhookDispatch(from: 0, to: 3, deliveries: stale) == false)
            #expect(try await a.webhookDeliveries(endpoint: endpoint.id, before: nil, limit: 10).map(\.id) == first.map(\.id))
            #expect(try await b.webhookCursor() == 0)
            #expect(try await a.commitWebhookDispatch(from: 3, to: 7, deliveries: []))
            #expect(try await a.webhookCursor() == 7)
        }
    }

    @Test("due deliveries are claimed for a lease, attempts recorded, delivered and failed ones purged", arguments: StorageBackend.all)
    func delivery(_ backend: StorageBackend) async throws {
        try await backend.withPair { a, b, clock in
            let endpoint = Self.endpoint(at: clock.now)
            try await a.insertWebhookEndpoint(endpoint)
            let one = WebhookDelivery.of(Self.event(1, at: clock.now), to: endpoint.id, at: clock.now)
            clock.advance(1)
            let two = WebhookDelivery.of(Self.event(2, at: clock.now), to: endpoint.id, at: clock.now)
            try await a.insertWebhookDelivery(one)
            try await a.insertWebhookDelivery(two)
            #expect(try await b.claimDueWebhookDeliveries(at: clock.now, limit: 10, lease: 60).isEmpty)
            let claimed = try await a.claimDueWebhookDeliveries(at: clock.now, limit: 10, lease: 60)
            #expect(claimed.map(\.id) == [one.id, two.id])
            #expect(claimed.first?.payload == one.payload)
            // Claimed: not due again until the lease ends.
            #expect(try await a.claimDueWebhookDeliveries(at: clock.now, limit: 10, lease: 60).isEmpty)
            #expect(try await a.nextWebhookDeliveryDue() == clock.now.addingTimeInterval(60))

            try await a.recordWebhookAttempt(id: one.id, WebhookAttempt(responseStatus: 200, error: nil, delivered: true, retryAt: nil), at: clock.now)
            let retryAt = clock.now.addingTimeInterval(5)
            try await a.recordWebhookAttempt(
                id: two.id, WebhookAttempt(responseStatus: 503, error: "the endpoint answered 503", delivered: false, retryAt: retryAt), at: clock.now)
            let delivered = try #require(try await a.webhookDelivery(id: one.id))
            #expect(delivered.status == .delivered && delivered.attempts == 1 && delivered.lastResponseStatus == 200)
            #expect(delivered.deliveredAt == clock.now && delivered.nextAttemptAt == nil)
            let retried = try #require(try await a.webhookDelivery(id: two.id))
            #expect(retried.status == .pending && retried.attempts == 1 && retried.nextAttemptAt == retryAt)
            #expect(retried.lastResponseStatus == 503 && retried.lastError == "the endpoint answered 503")
            #expect(try await a.claimDueWebhookDeliveries(at: clock.now, limit: 10, lease: 60).isEmpty)
            clock.advance(5)
            #expect(try await a.claimDueWebhookDeliveries(at: clock.now, limit: 10, lease: 60).map(\.id) == [two.id])
            try await a.recordWebhookAttempt(
                id: two.id, WebhookAttempt(responseStatus: nil, error: "timed out", delivered: false, retryAt: nil), at: clock.now)
            let failed = try #require(try await a.webhookDelivery(id: two.id))
            #expect(failed.status == .failed && failed.attempts == 2 && failed.nextAttemptAt == nil && failed.lastResponseStatus == nil)
            #expect(try await a.nextWebhookDeliveryDue() == nil)
            #expect(try await b.webhookDelivery(id: one.id) == nil)

            // Newest first, paged by id.
            #expect(try await a.webhookDeliveries(endpoint: endpoint.id, before: nil, limit: 1).map(\.id) == [two.id])
            #expect(try await a.webhookDeliveries(endpoint: endpoint.id, before: two.id, limit: 5).map(\.id) == [one.id])
            try await a.purgeWebhookDeliveries(before: clock.now.addingTimeInterval(1))
            #expect(try await a.webhookDeliveries(endpoint: endpoint.id, before: nil, limit: 5).isEmpty)
        }
    }

    @Test(
        "endpoint health: failing_since set by the first failure, cleared by a success and by enabling again; disable past the cutoff fails pending deliveries",
        arguments: StorageBackend.all)
    func health(_ backend: StorageBackend) async throws {
        try await backend.withPair { a, b, clock in
            var endpoint = Self.endpoint(at: clock.now)
            let other = Self.endpoint(at: clock.now, url: "https://example.org/other")
            try await a.insertWebhookEndpoint(endpoint)
            try await a.insertWebhookEndpoint(other)
            #expect(try await a.webhookEndpoint(id: endpoint.id)?.failingSince == nil)

            // The first failure sets it; later failures keep it; a success clears it.
            let first = clock.now
            #expect(try await a.recordWebhookEndpointOutcome(id: endpoint.id, delivered: false, at: first) == first)
            clock.advance(10)
            #expect(try await a.recordWebhookEndpointOutcome(id: endpoint.id, delivered: false, at: clock.now) == first)
            #expect(try await a.webhookEndpoint(id: endpoint.id)?.failingSince == first)
            #expect(try await a.recordWebhookEndpointOutcome(id: endpoint.id, delivered: true, at: clock.now) == nil)
            #expect(try await a.webhookEndpoint(id: endpoint.id)?.failingSince == nil)
            let since = clock.now
            #expect(try await a.recordWebhookEndpointOutcome(id: endpoint.id, delivered: false, at: since) == since)
            // Another tenant neither sees nor changes it.
            #expect(try await b.recordWebhookEndpointOutcome(id: endpoint.id, delivered: true, at: clock.now) == nil)
            #expect(try await b.disableWebhookEndpoint(id: endpoint.id, failingSinceAtOrBefore: clock.now, at: clock.now) == false)
            #expect(try await a.webhookEndpoint(id: endpoint.id)?.failingSince == since)
            // An update keeps it while the endpoint stays enabled.
            endpoint = try #require(try await a.webhookEndpoint(id: endpoint.id))
            endpoint.description = "kept"
            endpoint.failingSince = nil
            #expect(try await a.updateWebhookEndpoint(endpoint))
            #expect(try await a.webhookEndpoint(id: endpoint.id)?.failingSince == since)

            let pending = WebhookDelivery.of(Self.event(1, at: clock.now), to: endpoint.id, at: clock.now)
            let done = WebhookDelivery.of(Self.event(2, at: clock.now), to: endpoint.id, at: clock.now)
            let elsewhere = WebhookDelivery.of(Self.event(3, at: clock.now), to: other.id, at: clock.now)
            for d in [pending, done, elsewhere] { try await a.insertWebhookDelivery(d) }
            try await a.recordWebhookAttempt(id: done.id, WebhookAttempt(responseStatus: 200, error: nil, delivered: true, retryAt: nil), at: clock.now)

            // Not failing for long enough: nothing happens.
            clock.advance(100)
            #expect(try await a.disableWebhookEndpoint(id: endpoint.id, failingSinceAtOrBefore: since.addingTimeInterval(-1), at: clock.now) == false)
            #expect(try await a.disableWebhookEndpoint(id: other.id, failingSinceAtOrBefore: clock.now, at: clock.now) == false, "not failing")
            #expect(try await a.webhookEndpoint(id: endpoint.id)?.enabled == true)
            // Past the cutoff: disabled once, its pending deliveries failed, the others untouched.
            #expect(try await a.disableWebhookEndpoint(id: endpoint.id, failingSinceAtOrBefore: since, at: clock.now))
            #expect(try await a.disableWebhookEndpoint(id: endpoint.id, failingSinceAtOrBefore: clock.now, at: clock.now) == false)
            let disabled = try #require(try await a.webhookEndpoint(id: endpoint.id))
            #expect(!disabled.enabled && disabled.failingSince == since && disabled.updatedAt == clock.now && disabled.description == "kept")
            let failed = try #require(try await a.webhookDelivery(id: pending.id))
            #expect(failed.status == .failed && failed.nextAttemptAt == nil && failed.attempts == 0)
            #expect(failed.lastError == WebhookDelivery.disabledError && failed.updatedAt == clock.now)
            #expect(try await a.webhookDelivery(id: done.id)?.status == .delivered)
            #expect(try await a.webhookDelivery(id: elsewhere.id)?.status == .pending)
            #expect(try await a.nextWebhookDeliveryDue() == elsewhere.nextAttemptAt)

            // An update that keeps it disabled keeps failing_since; enabling it again clears it.
            var changed = disabled
            changed.description = "still off"
            #expect(try await a.updateWebhookEndpoint(changed))
            #expect(try await a.webhookEndpoint(id: endpoint.id)?.failingSince == since)
            changed.enabled = true
            #expect(try await a.updateWebhookEndpoint(changed))
            let enabled = try #require(try await a.webhookEndpoint(id: endpoint.id))
            #expect(enabled.enabled && enabled.failingSince == nil)
            #expect(try await a.recordWebhookEndpointOutcome(id: WebhookEndpointID.generate(at: clock.now), delivered: false, at: clock.now) == nil)
        }
    }
}
