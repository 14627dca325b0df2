import Foundation
import GatehouseCrypto

/// Standard Webhooks signatures (symmetric scheme `v1`): HMAC-SHA256 over
/// `"{webhook-id}.{webhook-timestamp}.{body}"`, keyed with the base64-decoded part of the secret
/// after `whsec_`, sent as `v1,<base64>`; several signatures (a rotation's overlap) are separated
/// by spaces.
public enum WebhookSignature {
    /// The key bytes of a `whsec_…` secret, or nil when it is not `whsec_` + standard base64.
    public static func key(of secret: String) -> [UInt8]? {
        guard secret.hasPrefix("whsec_"), let data = Data(base64Encoded: String(secret.dropFirst(6))), !data.isEmpty else { return nil }
        return Array(data)
    }

    /// `v1,<base64 HMAC-SHA256>` of one message with one secret.
    /// - Returns: nil when `secret` is not a `whsec_` secret.
    public static func sign(id: String, timestamp: Int64, body: [UInt8], secret: String) -> String? {
        guard let key = key(of: secret) else { return nil }
        let message = Array("\(id).\(timestamp).".utf8) + body
        return "v1," + Data(Digest.hmacSHA256(key: key, message: message)).base64EncodedString()
    }

    /// The headers of one attempt: `webhook-id`, `webhook-timestamp` (Unix seconds) and
    /// `webhook-signature` with one `v1,…` per secret, space-separated.
    public static func headers(id: String, timestamp: Int64, body: [UInt8], secrets: [String]) -> [(name: String, value: String)] {
        let signatures = secrets.compactMap { sign(id: id, timestamp: timestamp, body: body, secret: $0) }
        return [
            ("webhook-id", id), ("webhook-timestamp", String(timestamp)), ("webhook-signature", signatures.joined(separator: " ")),
        ]
    }
}

/// When a failed delivery is tried again: exponential backoff with jitter. With the default base of
/// 5 s the waits are 5 s, 30 s, 2 min, 10 min, 1 h, 3 h, then 6 h (the base times 1, 6, 24, 120,
/// 720, 2160, 4320), each shortened by up to 20 % at random so that endpoints that failed together
/// do not retry together; after `maxAttempts` attempts (default 8, about 10 hours) the delivery is
/// given up.
public struct WebhookRetrySchedule: Sendable, Equatable {
    /// Seconds before the second attempt (`[webhooks] retry_base_seconds`).
    public var base: TimeInterval
    /// Attempts in all, the first included (`[webhooks] max_attempts`).
    public var maxAttempts: Int

    static let multipliers: [Double] = [1, 6, 60, 360, 1440, 3600, 7200, 7200]

    public init(base: TimeInterval = 5, maxAttempts: Int = 9) {
        self.base = base
        self.maxAttempts = maxAttempts
    }

    /// The wait after the `failures`-th failed attempt (1-based), before jitter.
    public func delay(afterFailures failures: Int) -> TimeInterval {
        base * Self.multipliers[min(max(failures, 1), Self.multipliers.count) - 1]
    }

    /// When to try again after `failures` failed attempts, or nil when they are all used.
    /// - Parameter jitter: a number in 0…1 (random in production) taking off up to 20 % of the wait.
    public func retryAt(afterFailures failures: Int, now: Date, jitter: Double = Double.random(in: 0...1)) -> Date? {
        guard failures < maxAttempts else { return nil }
        return now.addingTimeInterval(delay(afterFailures: failures) * (1 - 0.2 * min(max(jitter, 0), 1)))
    }
}
