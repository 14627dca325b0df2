import Foundation
import GatehouseCore
import Testing

/// Standard Webhooks signing (docs/contract.md A9), the retry schedule and endpoint filters.
@Suite("Webhooks: signatures, retries, filters")
struct WebhookSignatureTests {
    /// The test vector of the Standard Webhooks reference libraries (`TestWebhookSign`).
    @Test("signs the Standard Webhooks test vector")
    func vector() {
        let signature = WebhookSignature.sign(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Array(#"{"test": 2432232314}"#.utf8),
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test("every valid secret signs, space-separated; a malformed secret signs nothing")
    func headers() {
        let body = Array("{}".utf8)
        let a = WebhookEndpoint.generateSecret(), b = WebhookEndpoint.generateSecret()
        let headers = WebhookSignature.headers(id: "evt_1", timestamp: 1_700_000_000, body: body, secrets: [a, b, "nope"])
        #expect(headers.map(\.name) == ["webhook-id", "webhook-timestamp", "webhook-signature"])
        #expect(headers[1].value == "1700000000")
        let signatures = headers[2].value.split(separator: " ").map(String.init)
        #expect(signatures.count == 2)
        #expect(signatures[0] == WebhookSignature.sign(id: "evt_1", timestamp: 1_700_000_000, body: body, secret: a))
        #expect(signatures[1] == WebhookSignature.sign(id: "evt_1", timestamp: 1_700_000_000, body: body, secret: b))
        #expect(WebhookSignature.key(of: "whsec_") == nil && WebhookSignature.key(of: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == nil)
    }

    @Test("a new secret is whsec_ and the base64 of 32 random bytes")
    func secret() throws {
        let secret = WebhookEndpoint.generateSecret()
        #expect(secret.hasPrefix("whsec_"))
        #expect(try #require(WebhookSignature.key(of: secret)).count == 32)
        #expect(secret != WebhookEndpoint.generateSecret())
    }

    @Test("the previous secret signs only during its overlap")
    func overlap() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        var endpoint = WebhookEndpoint(id: .generate(at: now), url: "https://example.com/h", secret: "whsec_bmV3", createdAt: now, updatedAt: now)
        #expect(endpoint.signingSecrets(at: now) == ["whsec_bmV3"])
        endpoint.previousSecret = "whsec_b2xk"
        endpoint.previousSecretExpiresAt = now.addingTimeInterval(60)
        #expect(endpoint.signingSecrets(at: now) == ["whsec_bmV3", "whsec_b2xk"])
        #expect(endpoint.signingSecrets(at: now.addingTimeInterval(60)) == ["whsec_bmV3"])
    }

    @Test("the body is {type, timestamp, data} with an RFC 3339 UTC timestamp")
    func body() throws {
        let event = WebhookEvent(
            id: "evt_1", type: "user.created", occurredAt: Date(timeIntervalSince1970: 1_700_000_000.25),
            data: .object(["id": .string("usr_1")]))
        let parsed = try #require(JSONValue.parse(event.body))
        #expect(
            parsed == .object(["type": .string("user.created"), "timestamp": .string("2023-11-14T22:13:20.250Z"), "data": .object(["id": .string("usr_1")])]))
    }

    @Test("retries back off 5 s, 30 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (over 24 hours even with 20 % jitter), then give up")
    func retries() throws {
        let schedule = WebhookRetrySchedule()
        let delays = (1...8).map { schedule.delay(afterFailures: $0) }
        #expect(delays == [5, 30, 300, 1800, 7200, 18000, 36000, 36000])
        #expect(delays.reduce(0, +) * 0.8 >= 22 * 3600 && delays.reduce(0, +) >= 24 * 3600)
        let now = Date(timeIntervalSince1970: 0)
        #expect(schedule.retryAt(afterFailures: 2, now: now, jitter: 0) == now.addingTimeInterval(30))
        #expect(schedule.retryAt(afterFailures: 2, now: now, jitter: 1) == now.addingTimeInterval(24))
        #expect(schedule.retryAt(afterFailures: 8, now: now, jitter: 0) != nil)
        #expect(schedule.retryAt(afterFailures: 9, now: now) == nil)
        #expect(WebhookRetrySchedule(base: 0.5, maxAttempts: 3).delay(afterFailures: 2) == 3)
    }

    @Test("filters: empty takes every type; the test event passes any filter; types are known")
    func filters() {
        let now = Date()
        var endpoint = WebhookEndpoint(id: .generate(at: now), url: "https://example.com", secret: "whsec_a2V5", createdAt: now, updatedAt: now)
        #expect(endpoint.accepts("user.created") && endpoint.accepts("client.deleted"))
        endpoint.events = ["user.created"]
        #expect(endpoint.accepts("user.created") && !endpoint.accepts("user.deleted") && endpoint.accepts(WebhookEventType.test))
        #expect(WebhookEventType.all.count == 25 && Set(WebhookEventType.all).count == 25)
        #expect(WebhookEventType.isKnown("signing_key.rotated") && !WebhookEventType.isKnown("webhook.test") && !WebhookEventType.isKnown("user.*"))
    }
}
