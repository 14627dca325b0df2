import Foundation
import GatehouseCore
import GatehouseStore
import Logging
import Synchronization
import Testing

@testable import GatehouseWeb

/// The `[webhooks] disable_after_seconds` rule through the worker's attempts (docs/contract.md A9):
/// an endpoint whose attempts have all failed for that long is disabled at its next failed
/// attempt, its pending deliveries fail, and the tenant's audit log records it once.
struct WebhookAutoDisableTests {
    /// A clock the test moves by hand.
    final class HandClock: GatehouseCore.Clock {
        private let current = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        var now: Date { current.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
    }

    @Test("an endpoint failing for disable_after_seconds is disabled, its pending deliveries fail, one audit entry")
    func disablesAfterTheConfiguredTime() async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("gatehouse-webhook-disable-tests-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = WebHarness.configuration(dataDirectory: directory)
        configuration.webhooks.disableAfterSeconds = 3600
        let clock = HandClock()
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let services = try await makeServices(configuration: configuration, clock: clock, logger: logger)
        let tenant = try await services.store.createTenant(slug: "hooks", name: "Hooks", environment: .test, settings: TenantSettings())
        let database = try await services.store.storage(for: tenant)
        let webhooks = services.webhooks

        // A private address outside `allowed_private_networks`: every attempt fails before any
        // connection (the rule is checked again before each attempt).
        let endpoint = WebhookEndpoint(
            id: .generate(at: clock.now), url: "https://10.1.2.3/hook", secret: WebhookEndpoint.generateSecret(), createdAt: clock.now,
            updatedAt: clock.now)
        try await database.insertWebhookEndpoint(endpoint)
        func queued() async throws -> WebhookDelivery {
            let event = WebhookEvent(id: "evt_\(UUID())", type: WebhookEventType.test, occurredAt: clock.now, data: .object([:]))
            let delivery = WebhookDelivery.of(event, to: endpoint.id, at: clock.now)
            try await database.insertWebhookDelivery(delivery)
            return delivery
        }
        let start = clock.now
        await webhooks.attempt(try await queued(), database: database)
        #expect(try await database.webhookEndpoint(id: endpoint.id)?.failingSince == start)
        clock.advance(3599)
        await webhooks.attempt(try await queued(), database: database)
        var current = try #require(try await database.webhookEndpoint(id: endpoint.id))
        #expect(current.enabled && current.failingSince == start, "not failing for long enough yet")
        let waiting = try await queued()

        clock.advance(1)
        await webhooks.attempt(try await queued(), database: database)
        current = try #require(try await database.webhookEndpoint(id: endpoint.id))
        #expect(!current.enabled && current.failingSince == start)
        let failed = try #require(try await database.webhookDelivery(id: waiting.id))
        #expect(failed.status == .failed && failed.lastError == WebhookDelivery.disabledError && failed.attempts == 0)

        let entries = try await database.auditEvents(AuditQuery(type: WebhookService.endpointDisabledType))
        let entry = try #require(entries.first)
        #expect(entries.count == 1)
        #expect(entry.draft.actor == .system && entry.draft.targetType == "webhook_endpoint" && entry.draft.targetID == endpoint.id.rawValue)
        #expect(
            entry.draft.data
                == .object(["url": .string(endpoint.url), "failing_since": .string(start.formatted(.iso8601))]))
        #expect(entry.occurredAt == clock.now)

        // A delivery claimed before the disable fails without an attempt and records nothing more.
        clock.advance(60)
        let late = try await queued()
        await webhooks.attempt(late, database: database)
        #expect(try await database.webhookDelivery(id: late.id)?.lastError == "the endpoint is disabled")
        #expect(try await database.auditEvents(AuditQuery(type: WebhookService.endpointDisabledType)).count == 1)
        #expect(try await database.verifyAudit().ok)
        await services.store.close()
    }
}
