import Foundation
import GatehouseCore
import GatehouseStore
import Logging
import ServiceLifecycle

/// The back-channel logout worker (OpenID Connect Back-Channel Logout 1.0 §2.5): on a timer,
/// whenever a session ends on this node (`BackchannelLogoutService.wake`) and whenever an attempt
/// ends, visits the tenants of the instance's `logout_tenants` index (never every tenant) and
/// starts their due deliveries; each pass begins one tenant further down the index. A service of
/// its own beside `WebhookDeliveryService` (docs/architecture.md, Back-channel logout): its rows,
/// index, slots and HTTP client are its own, so a relying party that hangs takes no webhook slot
/// and a webhook receiver that hangs delays no logout. Delivered and failed rows are kept 30 days.
struct BackchannelLogoutWorker: Service {
    let logouts: BackchannelLogoutService
    /// Timer period, seconds: half the retry base, between 0.25 s and 5 s (as the webhook worker's).
    let tickSeconds: Double
    let logger: Logger

    func run() async throws {
        let logouts = self.logouts, tick = Duration.milliseconds(Int(min(max(tickSeconds, 0.25), 5) * 1000))
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: tick)
                        logouts.wake()
                    }
                }
                group.addTask {
                    await withDiscardingTaskGroup { attempts in
                        var passes = 0
                        await self.pass(startingAt: passes) { attempts.addTask(operation: $0) }
                        for await _ in logouts.wakeups {
                            if Task.isCancelled { break }
                            passes &+= 1
                            await self.pass(startingAt: passes) { attempts.addTask(operation: $0) }
                        }
                    }
                }
            }
        }
    }

    /// One pass over every tenant with back-channel logout clients, beginning with the one at
    /// `offset` (modulo their number); `start` runs an attempt concurrently.
    func pass(startingAt offset: Int = 0, start: (@escaping @Sendable () async -> Void) -> Void) async {
        let tenants: [ResolvedTenant]
        do {
            tenants = try await logouts.store.logoutTenants(limit: 100_000)
        } catch {
            logger.error("cannot read the back-channel logout index", metadata: ["error": "\(error)"])
            return
        }
        let first = tenants.isEmpty ? 0 : offset % tenants.count
        for tenant in tenants[first...] + tenants[..<first] {
            if Task.isCancelled { return }
            do {
                let database = try await logouts.store.storage(for: tenant)
                try await logouts.startDue(database, start: start)
                if Int.random(in: 0..<1000) == 0 {
                    try await database.purgeLogoutDeliveries(before: logouts.clock.now.addingTimeInterval(-30 * 86400))
                }
            } catch is CancellationError {
                return
            } catch {
                logger.error("back-channel logout pass failed", metadata: ["tenant": "\(tenant.slug)", "error": "\(error)"])
            }
        }
    }
}
