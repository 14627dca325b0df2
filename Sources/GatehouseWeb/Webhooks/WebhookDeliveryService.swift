import Foundation
import GatehouseCore
import GatehouseStore
import Logging
import ServiceLifecycle

/// The webhook worker (docs/contract.md A9): on a timer, whenever a delivery is queued and
/// whenever an attempt ends, visits the tenants of the instance's webhook index (never every
/// tenant), dispatches their new events and starts their due deliveries (`WebhookService`); the
/// attempts run concurrently within the node's and each tenant's slots, and each pass begins one
/// tenant further down the index, so that no tenant is always served first. Delivered and failed deliveries are kept
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
                    await withDiscardingTaskGroup { attempts in
                        var passes = 0
                        await self.pass(startingAt: passes) { attempts.addTask(operation: $0) }
                        for await _ in webhooks.wakeups {
                            if Task.isCancelled { break }
                            passes &+= 1
                            await self.pass(startingAt: passes) { attempts.addTask(operation: $0) }
                        }
                    }
                }
            }
        }
    }

    /// One pass over every tenant with webhook endpoints, beginning with the one at `offset`
    /// (modulo their number); `start` runs an attempt concurrently.
    func pass(startingAt offset: Int = 0, start: (@escaping @Sendable () async -> Void) -> Void) async {
        let tenants: [ResolvedTenant]
        do {
            tenants = try await webhooks.store.webhookTenants(limit: 100_000)
        } catch {
            logger.error("cannot read the webhook index", metadata: ["error": "\(error)"])
            return
        }
        let first = tenants.isEmpty ? 0 : offset % tenants.count
        for tenant in tenants[first...] + tenants[..<first] {
            if Task.isCancelled { return }
            do {
                let database = try await webhooks.store.storage(for: tenant)
                try await webhooks.dispatch(database)
                try await webhooks.startDue(database, start: start)
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
