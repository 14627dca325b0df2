import Foundation
import GatehouseCore
import GatehouseStore
import Logging
import ServiceLifecycle

/// The webhook worker (docs/contract.md A9): on a timer and whenever a delivery is queued, visits
/// the tenants of the instance's webhook index (never every tenant), dispatches their new events
/// and sends their due deliveries (`WebhookService`). Delivered and failed deliveries are kept
/// 30 days. The state lives in the tenant databases, so a restart loses nothing: what was pending
/// is sent by the first pass after it.
struct WebhookDeliveryService: Service {
    let webhooks: WebhookService
    let logger: Logger

    /// Timer period: half the retry base, between 0.25 s and 5 s.
    var tick: Duration { .milliseconds(Int(min(max(webhooks.settings.retryBaseSeconds / 2, 0.25), 5) * 1000)) }

    func run() async throws {
        let webhooks = self.webhooks, tick = self.tick
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: tick)
                        webhooks.wake()
                    }
                }
                group.addTask {
                    await self.pass()
                    for await _ in webhooks.wakeups {
                        if Task.isCancelled { break }
                        await self.pass()
                    }
                }
            }
        }
    }

    /// One pass over every tenant with webhook endpoints.
    func pass() async {
        let tenants: [ResolvedTenant]
        do {
            tenants = try await webhooks.store.webhookTenants(limit: 100_000)
        } catch {
            logger.error("cannot read the webhook index", metadata: ["error": "\(error)"])
            return
        }
        for tenant in tenants {
            if Task.isCancelled { return }
            do {
                let database = try await webhooks.store.storage(for: tenant)
                try await webhooks.dispatch(database)
                try await webhooks.deliverDue(database)
                if Int.random(in: 0..<1000) == 0 {
                    try await database.purgeWebhookDeliveries(before: webhooks.clock.now.addingTimeInterval(-30 * 86400))
                }
            } catch is CancellationError {
                return
            } catch {
                logger.error("webhook pass failed", metadata: ["tenant": "\(tenant.slug)", "error": "\(error)"])
            }
        }
    }
}
