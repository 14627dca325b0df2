import Foundation
import GatehouseCrypto

public enum WebhookEndpointKind: IdentifierKind { public static let prefix = "whk_" }
public enum WebhookDeliveryKind: IdentifierKind { public static let prefix = "whd_" }
public enum WebhookEventKind: IdentifierKind { public static let prefix = "evt_" }
/// `whk_<ULID>`.
public typealias WebhookEndpointID = Identifier<WebhookEndpointKind>
/// `whd_<ULID>`.
public typealias WebhookDeliveryID = Identifier<WebhookDeliveryKind>

/// A tenant's webhook endpoint (docs/contract.md A9). Its secrets are sealed with the master key
/// at rest; this value holds them in clear for signing, and the admin API never shows them except
/// once at creation and rotation.
public struct WebhookEndpoint: Sendable, Equatable {
    public var id: WebhookEndpointID
    /// `https://…`, or `http://` to an address of `[federation] allowed_private_networks`.
    public var url: String
    /// Event types sent; empty means every type.
    public var events: [String]
    public var enabled: Bool
    public var description: String
    /// The signing secret, `whsec_<base64 of 32 bytes>`.
    public var secret: String
    /// The secret replaced by the last rotation, still signing until `previousSecretExpiresAt`.
    public var previousSecret: String?
    public var previousSecretExpiresAt: Date?
    /// Since when every attempt has failed (the first failure after the last success); nil while
    /// it delivers, and cleared when the endpoint is enabled again. An endpoint failing for
    /// `[webhooks] disable_after_seconds` is disabled at its next failed attempt.
    public var failingSince: Date?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: WebhookEndpointID, url: String, events: [String] = [], enabled: Bool = true, description: String = "",
        secret: String, previousSecret: String? = nil, previousSecretExpiresAt: Date? = nil, failingSince: Date? = nil, createdAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.url = url
        self.events = events
        self.enabled = enabled
        self.description = description
        self.secret = secret
        self.previousSecret = previousSecret
        self.previousSecretExpiresAt = previousSecretExpiresAt
        self.failingSince = failingSince
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Whether the endpoint takes events of `type` (its filter; `webhook.test` is never filtered).
    public func accepts(_ type: String) -> Bool {
        type == WebhookEventType.test || (WebhookEventType.isKnown(type) && (events.isEmpty || events.contains(type)))
    }

    /// The secrets that sign at `now`: the current one, and the previous one during its overlap.
    public func signingSecrets(at now: Date) -> [String] {
        guard let previousSecret, let until = previousSecretExpiresAt, now < until else { return [secret] }
        return [secret, previousSecret]
    }

    /// A new secret: `whsec_` and the standard base64 of 32 random bytes.
    public static func generateSecret() -> String { "whsec_" + Data(SecureRandom.bytes(32)).base64EncodedString() }
}

/// One delivery of one event to one endpoint: a row of the tenant's outbox `webhook_deliveries`.
public struct WebhookDelivery: Sendable, Equatable {
    public enum Status: String, Sendable, Equatable, CaseIterable {
        /// Waiting for its first or next attempt.
        case pending
        /// Answered 2xx.
        case delivered
        /// Given up after the last attempt (or its endpoint was disabled or refused).
        case failed
    }

    public var id: WebhookDeliveryID
    public var endpointID: WebhookEndpointID
    /// The event's id (`webhook-id`) and type.
    public var eventID: String
    public var eventType: String
    /// The exact body sent (``WebhookEvent/body``).
    public var payload: [UInt8]
    /// Attempts made so far.
    public var attempts: Int
    public var status: Status
    /// When the next attempt is due (pending only).
    public var nextAttemptAt: Date?
    /// The HTTP status of the last answer, when there was one.
    public var lastResponseStatus: Int?
    /// Why the last attempt failed (never a response body or secret).
    public var lastError: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var deliveredAt: Date?

    public init(
        id: WebhookDeliveryID, endpointID: WebhookEndpointID, eventID: String, eventType: String, payload: [UInt8], attempts: Int = 0,
        status: Status = .pending, nextAttemptAt: Date?, lastResponseStatus: Int? = nil, lastError: String? = nil, createdAt: Date,
        updatedAt: Date, deliveredAt: Date? = nil
    ) {
        self.id = id
        self.endpointID = endpointID
        self.eventID = eventID
        self.eventType = eventType
        self.payload = payload
        self.attempts = attempts
        self.status = status
        self.nextAttemptAt = nextAttemptAt
        self.lastResponseStatus = lastResponseStatus
        self.lastError = lastError
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.deliveredAt = deliveredAt
    }

    /// The `lastError` of the pending deliveries failed when their endpoint was disabled for
    /// failing too long (`WebhookStore.disableWebhookEndpoint`).
    public static let disabledError = "the endpoint was disabled"

    /// A new pending delivery of `event` to `endpoint`, due at `now`.
    public static func of(_ event: WebhookEvent, to endpoint: WebhookEndpointID, at now: Date) -> WebhookDelivery {
        WebhookDelivery(
            id: .generate(at: now), endpointID: endpoint, eventID: event.id, eventType: event.type, payload: event.body,
            nextAttemptAt: now, createdAt: now, updatedAt: now)
    }
}

/// The outcome of one delivery attempt, as the worker records it.
public struct WebhookAttempt: Sendable, Equatable {
    /// The HTTP status answered, nil when no answer came (connection refused, timeout, guard).
    public var responseStatus: Int?
    /// Why it failed, nil on success.
    public var error: String?
    /// Delivered (2xx).
    public var delivered: Bool
    /// When to try again; nil with `delivered == false` means given up.
    public var retryAt: Date?

    public init(responseStatus: Int?, error: String?, delivered: Bool, retryAt: Date?) {
        self.responseStatus = responseStatus
        self.error = error
        self.delivered = delivered
        self.retryAt = retryAt
    }
}
