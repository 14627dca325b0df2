import Foundation
import GatehouseCore
import GatehouseOutbound
import GatehouseStore
import Logging

/// Sends the logout tokens of ended sessions (OpenID Connect Back-Channel Logout 1.0; docs/contract.md
/// A7 "Back-channel logout"), run by `BackchannelLogoutWorker` over the instance's
/// `logout_tenants` index.
///
/// The deliveries are rows of the tenant's `logout_deliveries`, queued by the store in the
/// transaction that ends the session (`SessionStore`, `AccountStore`). Each attempt signs the
/// token afresh (§2.4: `iat` now, `exp` 120 s later, the delivery's `jti`) with the tenant key of
/// the algorithm of the client's ID tokens, and POSTs `logout_token=…` as
/// `application/x-www-form-urlencoded` (§2.5) through GatehouseOutbound: the webhook destination
/// rules checked again, the SSRF guard, no redirect, at most 5 s. 200 or 204 delivers it (§2.8);
/// anything else is retried on the webhook retry schedule (`[webhooks] retry_base_seconds`) for at
/// most ``maxAttempts`` attempts, then failed with a fixed `last_error` sentence. Slots work as for
/// webhooks (`[webhooks] max_concurrent_deliveries` and `…_per_tenant`), in a pool of their own.
public final class BackchannelLogoutService: Sendable {
    let store: any InstanceStorage
    let schedule: WebhookRetrySchedule
    let destinations: WebhookDestinations
    let http: HTTPClient
    let clock: any Clock
    let logger: Logger
    /// The token machinery of a tenant (its issuer and key ring).
    let tokens: @Sendable (any TenantHandle) async throws -> TokenService
    let wakeups: AsyncStream<Void>
    private let wakeContinuation: AsyncStream<Void>.Continuation
    /// Attempts in flight on this node, in all and per tenant.
    let slots: WebhookDeliverySlots
    /// Seconds an attempt may take (connect and answer).
    let timeoutSeconds: Int

    /// Attempts in all, the first included: the webhook schedule's first six (about 2.5 hours);
    /// a logout later than that no longer helps the relying party.
    static let maxAttempts = 6

    /// How long a claimed delivery stays claimed by this node, in seconds.
    var lease: TimeInterval { TimeInterval(timeoutSeconds) + 5 }

    init(
        store: any InstanceStorage, configuration: GatehouseConfiguration, clock: any Clock, logger: Logger,
        tokens: @escaping @Sendable (any TenantHandle) async throws -> TokenService
    ) {
        let settings = configuration.webhooks
        self.store = store
        self.timeoutSeconds = max(1, min(settings.timeoutSeconds, 5))
        self.schedule = WebhookRetrySchedule(base: settings.retryBaseSeconds, maxAttempts: min(settings.maxAttempts, Self.maxAttempts))
        self.destinations = WebhookDestinations(federation: configuration.federation, timeoutSeconds: timeoutSeconds)
        self.slots = WebhookDeliverySlots(total: settings.maxConcurrentDeliveries, perTenant: settings.maxConcurrentDeliveriesPerTenant)
        self.http = HTTPClient(policy: destinations.policy, maxConcurrentTransfers: slots.total)
        self.clock = clock
        self.logger = logger
        self.tokens = tokens
        (wakeups, wakeContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks the worker for a pass now (a session ended).
    public func wake() { wakeContinuation.yield() }

    /// Claims as many of the tenant's due deliveries as ``slots`` grants it and hands one attempt
    /// per claimed delivery to `start`, which runs it concurrently; returns without waiting, so a
    /// tenant whose relying parties hang never holds up another tenant's logouts.
    func startDue(_ database: any TenantHandle, start: (@escaping @Sendable () async -> Void) -> Void) async throws {
        let tenant = database.tenant.id
        let granted = slots.reserve(for: tenant, upTo: slots.perTenant)
        guard granted > 0 else { return }
        var claimed: [LogoutDelivery] = []
        defer { slots.release(for: tenant, count: granted - claimed.count) }
        // A read first, so that an idle tenant costs no write transaction.
        guard let due = try await database.nextLogoutDeliveryDue(), due <= clock.now else { return }
        claimed = try await database.claimDueLogoutDeliveries(at: clock.now, limit: granted, lease: lease)
        for delivery in claimed {
            start {
                await self.attempt(delivery, database: database)
                self.slots.release(for: tenant)
                self.wake()
            }
        }
    }

    /// One attempt of one delivery and its record.
    func attempt(_ delivery: LogoutDelivery, database: any TenantHandle) async {
        let metadata: Logger.Metadata = [
            "tenant": "\(database.tenant.slug)", "delivery": "\(delivery.id)", "client": "\(delivery.clientID)",
            "attempt": "\(delivery.attempts + 1)",
        ]
        let outcome: WebhookAttempt
        do {
            outcome = try await send(delivery, database: database)
        } catch is CancellationError {
            return  // shutting down: not an attempt; the claim ends with its lease
        } catch {
            logger.error("cannot attempt a back-channel logout", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            return
        }
        do {
            try await database.recordLogoutAttempt(id: delivery.id, outcome, at: clock.now)
        } catch {
            logger.error("cannot record a back-channel logout attempt", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
        let status: Logger.Metadata = ["status": "\(outcome.responseStatus.map(String.init) ?? "none")", "error": "\(outcome.error ?? "")"]
        if outcome.delivered {
            logger.info("back-channel logout delivered", metadata: metadata.merging(status) { $1 })
        } else if outcome.retryAt == nil {
            logger.warning("back-channel logout failed; giving up", metadata: metadata.merging(status) { $1 })
        } else {
            logger.notice("back-channel logout failed; will retry", metadata: metadata.merging(status) { $1 })
        }
    }

    /// POSTs one logout token (§2.5) and says what happened. Throws only when the client cannot be read.
    func send(_ delivery: LogoutDelivery, database: any TenantHandle) async throws -> WebhookAttempt {
        let failures = delivery.attempts + 1
        func failed(_ status: Int?, _ error: String, retry: Bool = true) -> WebhookAttempt {
            WebhookAttempt(
                responseStatus: status, error: error, delivered: false,
                retryAt: retry ? schedule.retryAt(afterFailures: failures, now: clock.now) : nil)
        }
        guard let client = try await database.client(clientID: delivery.clientID) else {
            return failed(nil, "the client was deleted", retry: false)
        }
        guard let url = client.backchannelLogoutURI else { return failed(nil, "the client has no backchannel_logout_uri", retry: false) }
        if let problem = destinations.problem(with: url) { return failed(nil, "destination refused: the URL \(problem)", retry: false) }
        let token: String
        do {
            token = try await tokens(database).mintLogoutToken(for: client, delivery: delivery)
        } catch is OAuthError {
            return failed(nil, "no signing key for the algorithm of the client's ID tokens")
        }
        // The token is base64url and dots: nothing in it needs form encoding.
        let request = OutboundRequest(
            method: "POST", url: url, headers: [(name: "Content-Type", value: "application/x-www-form-urlencoded")],
            body: Array("logout_token=\(token)".utf8))
        do {
            let response = try await http.send(request)
            // §2.8: 200 OK on success; 204 is accepted too (no body is expected).
            if response.status == 200 || response.status == 204 {
                return WebhookAttempt(responseStatus: response.status, error: nil, delivered: true, retryAt: nil)
            }
            return failed(response.status, "the client answered \(response.status)")
        } catch let error as OutboundError {
            logger.debug(
                "back-channel logout transfer failed", metadata: ["tenant": "\(database.tenant.slug)", "delivery": "\(delivery.id)", "error": "\(error)"])
            let (reason, retry) = WebhookService.reason(error, timeoutSeconds: timeoutSeconds)
            return failed(nil, reason, retry: retry)
        }
    }
}
