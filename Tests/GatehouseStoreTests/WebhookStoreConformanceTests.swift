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
}
