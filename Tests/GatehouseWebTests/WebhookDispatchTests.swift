import Foundation
import GatehouseCore
import GatehouseStore
import Logging
import Testing

@testable import GatehouseWeb

/// Webhook dispatch through the `WebhookEventSource` seam (docs/contract.md A9): one delivery per
/// enabled endpoint whose filter takes the event and that existed when it occurred, each event once.
struct WebhookDispatchTests {
    /// A source of fixed events, as the audit log will be one.
    struct Events: WebhookEventSource {
        let events: [(sequence: Int64, event: WebhookEvent)]
        func webhookEvents(afterSequence: Int64, limit: Int) async throws -> [(sequence: Int64, event: WebhookEvent)] {
            Array(events.filter { $0.sequence > afterSequence }.prefix(limit))
        }
    }

    @Test("events are queued once per matching endpoint that existed when they occurred")
    func dispatch() async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("gatehouse-webhook-tests-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let configuration = WebHarness.configuration(dataDirectory: directory)
        let services = try await makeServices(configuration: configuration, clock: SystemClock(), logger: Logger(label: "test"))
        let tenant = try await services.store.createTenant(slug: "hooks", name: "Hooks", environment: .test, settings: TenantSettings())
        let database = try await services.store.storage(for: tenant)

        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        func endpoint(_ at: Date, events: [String] = [], enabled: Bool = true) -> WebhookEndpoint {
            WebhookEndpoint(
                id: .generate(at: at), url: "https://hooks.example.com/\(UUID())", events: events, enabled: enabled,
                secret: WebhookEndpoint.generateSecret(), createdAt: at, updatedAt: at)
        }
        let all = endpoint(t0)
        let usersOnly = endpoint(t0, events: ["user.created"])
        let disabled = endpoint(t0, enabled: false)
        let late = endpoint(t0.addingTimeInterval(100))
        for e in [all, usersOnly, disabled, late] { try await database.insertWebhookEndpoint(e) }
        func event(_ n: Int, _ type: String, _ at: Date) -> (sequence: Int64, event: WebhookEvent) {
            (Int64(n), WebhookEvent(id: "evt_\(n)", type: type, occurredAt: at, data: .object([:])))
        }
        let source = Events(events: [
            event(1, "user.created", t0.addingTimeInterval(10)), event(3, "client.deleted", t0.addingTimeInterval(20)),
            event(4, "user.created", t0.addingTimeInterval(200)),
        ])
        let webhooks = WebhookService(
            store: services.store, configuration: configuration, clock: SystemClock(), logger: Logger(label: "test"), eventSource: { _ in source })
        #expect(try await webhooks.dispatch(database, pageSize: 2) == 6)
        #expect(try await database.webhookCursor() == 4)
        func received(_ e: WebhookEndpoint) async throws -> [String] {
            try await database.webhookDeliveries(endpoint: e.id, before: nil, limit: 10).map(\.eventID).sorted()
        }
        #expect(try await received(all) == ["evt_1", "evt_3", "evt_4"])
        #expect(try await received(usersOnly) == ["evt_1", "evt_4"])
        #expect(try await received(disabled) == [])
        #expect(try await received(late) == ["evt_4"], "an endpoint gets only the events after its creation")
        // Nothing new: nothing queued again.
        #expect(try await webhooks.dispatch(database) == 0)
        #expect(try await received(all).count == 3)
        // Without a source (until the audit log feeds webhooks), nothing happens.
        #expect(try await services.webhooks.dispatch(database) == 0)
        await services.store.close()
    }
}
