import Foundation
import GatehouseCore
import GatehouseStore
import Testing

/// Device authorizations (RFC 8628 §3.3–§3.5) in a real tenant database on every backend: the
/// decision once, redemption exactly once under concurrency, the `slow_down` interval
/// arithmetic, expiry and housekeeping, and tenant isolation of user codes.
@Suite("Device authorizations (RFC 8628)")
struct DeviceAuthorizationTests {
    /// Runs `body` with two tenants' handles and the clock, on each backend.
    static func eachBackend(_ body: @escaping @Sendable (any TenantHandle, any TenantHandle, TestClock) async throws -> Void) async throws {
        try await StoreFixture.withStore { store, fixture in
            let a = try await store.storage(for: try await store.makeTenant("tenant-a"))
            let b = try await store.storage(for: try await store.makeTenant("tenant-b"))
            try await body(a, b, fixture.clock)
        }
        if PostgresFixture.url != nil {
            try await PostgresFixture.withStore { store, fixture in
                let a = try await store.storage(for: try await store.makeTenant("tenant-a"))
                let b = try await store.storage(for: try await store.makeTenant("tenant-b"))
                try await body(a, b, fixture.clock)
            }
        }
    }

    /// A pending authorization of `pk_device` for a fresh user code; returns it with its user code hash.
    static func pending(_ store: any TenantHandle, now: Date, code: String = "BCDFGHJK") async throws -> DeviceAuthorization {
        let record = DeviceAuthorization(
            deviceCodeHash: Seed.hash(), userCodeHash: DeviceFlow.userCodeHash(code), clientID: "pk_device",
            scope: ["openid", "email"], interval: DeviceFlow.interval, expiresAt: now.addingTimeInterval(600), createdAt: now)
        #expect(try await store.insertDeviceAuthorization(record))
        return record
    }

    /// A user of `store` and an approval grant for `pk_device`.
    static func approvalGrant(_ store: any TenantHandle, now: Date) async throws -> Grant {
        let user = Seed.user(at: now)
        try await store.insertUser(user)
        return Seed.grant(client: "pk_device", user: user.id, session: nil, at: now)
    }

    @Test("an approved device code is redeemed exactly once, also by concurrent polls")
    func exactlyOnce() async throws {
        try await Self.eachBackend { a, _, clock in
            let now = clock.now
            let record = try await Self.pending(a, now: now)
            #expect(try await a.pollDeviceAuthorization(deviceCodeHash: record.deviceCodeHash, clientID: "pk_device", now: now) == .pending)
            let grant = try await Self.approvalGrant(a, now: now)
            #expect(try await a.decideDeviceAuthorization(userCodeHash: record.userCodeHash, approving: grant, now: now))
            #expect(try await a.decideDeviceAuthorization(userCodeHash: record.userCodeHash, approving: nil, now: now) == false, "decided once")
            #expect(try await a.grant(id: grant.id) != nil, "the grant is stored with the approval")
            #expect(try await a.pendingDeviceAuthorization(userCodeHash: record.userCodeHash, now: now) == nil)
            // Polls after the interval, all at once: one redeems, every other sees it redeemed or too fast.
            let later = now.addingTimeInterval(10)
            let outcomes = try await withThrowingTaskGroup(of: DevicePoll.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await a.pollDeviceAuthorization(deviceCodeHash: record.deviceCodeHash, clientID: "pk_device", now: later) }
                }
                return try await group.reduce(into: [DevicePoll]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == .approved(grant.id) }.count == 1)
            #expect(outcomes.allSatisfy { $0 == .approved(grant.id) || $0 == .redeemed || $0 == .slowDown(interval: 10) })
            let after = later.addingTimeInterval(100)
            #expect(try await a.pollDeviceAuthorization(deviceCodeHash: record.deviceCodeHash, clientID: "pk_device", now: after) == .redeemed)
        }
    }

    @Test("slow_down: a poll sooner than the interval adds 5 seconds to it, for every later poll (RFC 8628 §3.5)")
    func slowDown() async throws {
        try await Self.eachBackend { a, _, clock in
            let t0 = clock.now
            let record = try await Self.pending(a, now: t0)
            func poll(_ seconds: Double) async throws -> DevicePoll {
                try await a.pollDeviceAuthorization(deviceCodeHash: record.deviceCodeHash, clientID: "pk_device", now: t0.addingTimeInterval(seconds))
            }
            #expect(try await poll(0) == .pending)
            #expect(try await poll(5) == .pending, "exactly the interval is not too fast")
            #expect(try await poll(6) == .slowDown(interval: 10))
            #expect(try await poll(7) == .slowDown(interval: 15), "still too fast: 1 s after the last poll")
            #expect(try await poll(21) == .slowDown(interval: 20), "14 s < 15 s")
            #expect(try await poll(41) == .pending, "20 s after the last poll")
            #expect(try await poll(60) == .slowDown(interval: 25), "19 s < 20 s: the interval never shrinks")
        }
    }

    @Test("denied, expired, another client's, another tenant's; expired rows are purged")
    func refusals() async throws {
        try await Self.eachBackend { a, b, clock in
            let now = clock.now
            let record = try await Self.pending(a, now: now)
            #expect(try await b.pendingDeviceAuthorization(userCodeHash: record.userCodeHash, now: now) == nil, "another tenant")
            #expect(try await b.pollDeviceAuthorization(deviceCodeHash: record.deviceCodeHash, clientID: "pk_device", now: now) == .unknown)
            #expect(try await a.pollDeviceAuthorization(deviceCodeHash: record.deviceCodeHash, clientID: "pk_other", now: now) == .unknown)
            #expect(try await a.pendingDeviceAuthorization(userCodeHash: record.userCodeHash, now: now)?.clientID == "pk_device")
            var duplicate = record
            duplicate.deviceCodeHash = Seed.hash()
            #expect(try await a.insertDeviceAuthorization(duplicate) == false, "a live user code is not given twice")
            #expect(try await a.decideDeviceAuthorization(userCodeHash: record.userCodeHash, approving: nil, now: now))
            #expect(try await a.pollDeviceAuthorization(deviceCodeHash: record.deviceCodeHash, clientID: "pk_device", now: now) == .denied)
            let other = try await Self.pending(a, now: now, code: "ZXWVTSRQ")
            let expiry = now.addingTimeInterval(600)
            #expect(try await a.pendingDeviceAuthorization(userCodeHash: other.userCodeHash, now: expiry) == nil)
            #expect(try await a.decideDeviceAuthorization(userCodeHash: other.userCodeHash, approving: nil, now: expiry) == false)
            #expect(try await a.pollDeviceAuthorization(deviceCodeHash: other.deviceCodeHash, clientID: "pk_device", now: expiry) == .expired)
            let purgeTime = expiry.addingTimeInterval(1)
            if let db = a as? TenantDatabase {
                try await db.purgeExpired(now: purgeTime)
            } else if let db = a as? PostgresTenantDatabase {
                try await db.purgeExpired(now: purgeTime)
            }
            #expect(try await a.pollDeviceAuthorization(deviceCodeHash: other.deviceCodeHash, clientID: "pk_device", now: now) == .unknown, "purged")
        }
    }

    @Test("user codes: 8 letters of the RFC 8628 §6.1 alphabet as XXXX-XXXX; input case-insensitive, dash optional")
    func userCodes() {
        for _ in 0..<50 {
            let code = DeviceFlow.makeUserCode()
            #expect(code.count == 9 && Array(code)[4] == "-")
            #expect(DeviceFlow.normalizedUserCode(code) == code.replacingOccurrences(of: "-", with: ""))
        }
        #expect(DeviceFlow.normalizedUserCode("bcdf-ghjk") == "BCDFGHJK")
        #expect(DeviceFlow.normalizedUserCode(" BCDFGHJK ") == "BCDFGHJK")
        #expect(DeviceFlow.normalizedUserCode("BCDF-GHJA") == nil, "a vowel is not in the alphabet")
        #expect(DeviceFlow.normalizedUserCode("BCDF-GHJ") == nil)
    }
}
