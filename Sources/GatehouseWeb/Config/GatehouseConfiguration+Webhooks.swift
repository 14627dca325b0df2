import Foundation
import GatehouseCore
import TOMLKit

/// The `[webhooks]` table: how the server delivers the tenants' webhook events (docs/contract.md
/// A9). Destinations follow `[federation] allowed_private_networks` (and
/// `allow_private_destinations`): an `http://` URL or a special-purpose address is accepted only
/// inside those networks. Every key is documented here, where its default is defined, and in
/// `config/gatehouse.toml`.
public struct WebhookConfiguration: Sendable {
    /// `retry_base_seconds`: the wait after a first failed attempt; later waits are 6, 60, 360,
    /// 1440, 3600, 7200 and 7200 times it, each up to 20 % shorter at random (`WebhookRetrySchedule`).
    /// A number, 0.1…3600. Default 5.
    public var retryBaseSeconds: Double = 5
    /// `max_attempts`: attempts of one delivery before it is marked failed, 1…20. Default 9: with
    /// the default base, retries after 5 s, 30 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h, so a
    /// delivery is retried for about 27 hours (at least 22 with the jitter) before it fails.
    public var maxAttempts = 9
    /// `timeout_seconds`: seconds one delivery attempt may take (connection included), 1…60. Default 10.
    public var timeoutSeconds = 10
    /// `disable_after_seconds`: an endpoint whose attempts have all failed for this long (since
    /// the first failure after its last success) is disabled at its next failed attempt, its
    /// pending deliveries fail and the tenant's audit log gets `webhook.endpoint_disabled`.
    /// Seconds, an integer, 1…31536000. Default 259200 (3 days).
    public var disableAfterSeconds = 259_200
    /// `max_concurrent_deliveries`: attempts in flight at once on this node, all tenants together
    /// (one outbound transfer thread each), 1…256. Default 16.
    public var maxConcurrentDeliveries = 16
    /// `max_concurrent_deliveries_per_tenant`: attempts of one tenant in flight at once on this
    /// node, 1…`max_concurrent_deliveries`. Default 4: a tenant whose endpoints hang holds at most
    /// this many of the node's slots, and every other tenant's deliveries go on meanwhile.
    public var maxConcurrentDeliveriesPerTenant = 4

    public init() {}

    static let keys: Set<String> = [
        "retry_base_seconds", "max_attempts", "timeout_seconds", "disable_after_seconds", "max_concurrent_deliveries",
        "max_concurrent_deliveries_per_tenant",
    ]

    /// The retry schedule these settings make.
    public var retrySchedule: WebhookRetrySchedule { WebhookRetrySchedule(base: retryBaseSeconds, maxAttempts: maxAttempts) }

    mutating func apply(_ table: TOMLTable, problems: inout [GatehouseConfiguration.Problem]) {
        if let v = table["retry_base_seconds"] {
            if let i = v.int {
                retryBaseSeconds = Double(i)
            } else if let d = v.double {
                retryBaseSeconds = d
            } else {
                problems.append(.init(key: "webhooks.retry_base_seconds", message: "must be a number"))
            }
        }
        for (name, target) in [
            ("max_attempts", \WebhookConfiguration.maxAttempts), ("timeout_seconds", \.timeoutSeconds),
            ("disable_after_seconds", \.disableAfterSeconds), ("max_concurrent_deliveries", \.maxConcurrentDeliveries),
            ("max_concurrent_deliveries_per_tenant", \.maxConcurrentDeliveriesPerTenant),
        ] {
            guard let v = table[name] else { continue }
            if let i = v.int { self[keyPath: target] = i } else { problems.append(.init(key: "webhooks.\(name)", message: "must be an integer")) }
        }
    }

    func validate() -> [GatehouseConfiguration.Problem] {
        var problems: [GatehouseConfiguration.Problem] = []
        if !(0.1...3600).contains(retryBaseSeconds) { problems.append(.init(key: "webhooks.retry_base_seconds", message: "must be 0.1…3600")) }
        if !(1...20).contains(maxAttempts) { problems.append(.init(key: "webhooks.max_attempts", message: "must be 1…20")) }
        if !(1...60).contains(timeoutSeconds) { problems.append(.init(key: "webhooks.timeout_seconds", message: "must be 1…60")) }
        if !(1...31_536_000).contains(disableAfterSeconds) {
            problems.append(.init(key: "webhooks.disable_after_seconds", message: "must be 1…31536000"))
        }
        if !(1...256).contains(maxConcurrentDeliveries) {
            problems.append(.init(key: "webhooks.max_concurrent_deliveries", message: "must be 1…256"))
        }
        if !(1...max(1, maxConcurrentDeliveries)).contains(maxConcurrentDeliveriesPerTenant) {
            problems.append(.init(key: "webhooks.max_concurrent_deliveries_per_tenant", message: "must be 1…max_concurrent_deliveries"))
        }
        return problems
    }
}
