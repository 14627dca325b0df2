import Foundation
import GatehouseCore
import GatehouseWeb
import Testing

/// Sign-in throttling and per-IP action limits with a hand-moved clock.
@Suite("Web: sign-in throttle")
struct SignInThrottleTests {
    static let start = Date(timeIntervalSince1970: 1_735_689_600)
    let tenant = TenantID.generate(at: start)
    let account = "ada@example.com"

    /// `count` permitted checks from `ip` that fail, all at `now`.
    func fail(
        _ throttle: SignInThrottle, _ count: Int, account: String? = nil, ip: String = "192.0.2.1", tenant: TenantID? = nil,
        now: Date
    ) throws {
        for _ in 0..<count {
            let ticket = try throttle.begin(tenant: tenant ?? self.tenant, account: account ?? self.account, ip: ip, now: now)
            throttle.finish(ticket, success: false, now: now)
        }
    }

    /// The refusal of `begin`, or nil when it was permitted (the ticket is then finished as `success`).
    func refusal(
        _ throttle: SignInThrottle, account: String? = nil, ip: String = "192.0.2.1", tenant: TenantID? = nil, now: Date,
        success: Bool = false
    ) -> Int? {
        do {
            let ticket = try throttle.begin(tenant: tenant ?? self.tenant, account: account ?? self.account, ip: ip, now: now)
            throttle.finish(ticket, success: success, now: now)
            return nil
        } catch let refused as SignInThrottle.Refused {
            return refused.retryAfter
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    @Test("ten failures pass, the eleventh attempt waits 1 s")
    func tenThenWait() throws {
        let throttle = SignInThrottle()
        try fail(throttle, 10, now: Self.start)
        #expect(refusal(throttle, now: Self.start) == 1)
        #expect(refusal(throttle, now: Self.start.addingTimeInterval(0.5)) == 1)
    }

    @Test("after the wait one attempt is processed; each further failure doubles the wait")
    func exponentialWait() throws {
        let throttle = SignInThrottle()
        var now = Self.start
        try fail(throttle, 10, now: now)
        for exponent in 0..<6 {
            let wait = pow(2, Double(exponent))
            #expect(refusal(throttle, now: now) == Int(wait), "Retry-After is the whole wait right after the failure")
            #expect(refusal(throttle, now: now.addingTimeInterval(wait - 0.25)) == 1, "still waiting just before \(wait) s")
            now = now.addingTimeInterval(wait)
            #expect(refusal(throttle, now: now) == nil, "a wrong password is processed again after \(wait) s")
        }
        // 16 failures: the next wait is 2^6 = 64 s.
        #expect(refusal(throttle, now: now) == 64)
        #expect(refusal(throttle, now: now.addingTimeInterval(63.5)) == 1)
        #expect(refusal(throttle, now: now.addingTimeInterval(64)) == nil)
    }

    @Test("the right password also waits, then signs in and resets the count")
    func successResets() throws {
        let throttle = SignInThrottle()
        try fail(throttle, 10, now: Self.start)
        #expect(refusal(throttle, now: Self.start.addingTimeInterval(0.9), success: true) == 1)
        #expect(refusal(throttle, now: Self.start.addingTimeInterval(1), success: true) == nil)
        // Reset: ten more failures are processed before the next wait.
        let later = Self.start.addingTimeInterval(2)
        try fail(throttle, 10, now: later)
        #expect(refusal(throttle, now: later) == 1)
    }

    @Test("the wait is capped at 15 minutes")
    func capped() throws {
        let throttle = SignInThrottle()
        var now = Self.start
        try fail(throttle, 10, now: now)
        // Drive the failures to 10 + 20: 2^20 s uncapped.
        for _ in 0..<20 {
            now = now.addingTimeInterval(900)
            try fail(throttle, 1, now: now)
        }
        #expect(refusal(throttle, now: now) == 900)
        #expect(refusal(throttle, now: now.addingTimeInterval(899)) == 1)
        #expect(refusal(throttle, now: now.addingTimeInterval(900)) == nil)
    }

    @Test("checks in flight count: of 50 concurrent checks at most 10 are permitted")
    func inFlight() throws {
        let throttle = SignInThrottle()
        var tickets: [SignInThrottle.Ticket] = []
        var refused: [Int] = []
        for _ in 0..<50 {
            do { tickets.append(try throttle.begin(tenant: tenant, account: account, ip: "192.0.2.1", now: Self.start)) } catch let r as SignInThrottle.Refused
            {
                refused.append(r.retryAfter)
            }
        }
        #expect(tickets.count == 10)
        #expect(refused.count == 40 && refused.allSatisfy { $0 >= 1 })
        for ticket in tickets { throttle.finish(ticket, success: false, now: Self.start) }
        #expect(refusal(throttle, now: Self.start) == 1)
    }

    @Test("after the wait, only one check at a time runs until the account signs in")
    func oneAtATimeAfterWait() throws {
        let throttle = SignInThrottle()
        try fail(throttle, 10, now: Self.start)
        let now = Self.start.addingTimeInterval(1)
        let ticket = try throttle.begin(tenant: tenant, account: account, ip: "192.0.2.1", now: now)
        #expect(refusal(throttle, now: now) != nil, "a second concurrent check is refused while one runs")
        throttle.finish(ticket, success: true, now: now)
        #expect(refusal(throttle, now: now) == nil)
    }

    @Test("another IP is not blocked by one IP's failures")
    func otherIP() throws {
        let throttle = SignInThrottle()
        try fail(throttle, 10, ip: "192.0.2.1", now: Self.start)
        #expect(refusal(throttle, ip: "192.0.2.1", now: Self.start) == 1)
        #expect(refusal(throttle, ip: "198.51.100.7", now: Self.start, success: true) == nil)
    }

    @Test("account-wide cap: 50 failures across IPs make every IP wait")
    func accountWide() throws {
        let throttle = SignInThrottle()
        for i in 0..<10 { try fail(throttle, 5, ip: "192.0.2.\(i)", now: Self.start) }
        let fresh = "203.0.113.9"
        #expect(refusal(throttle, ip: fresh, now: Self.start) == 1, "the 51st attempt from a new IP waits")
        #expect(refusal(throttle, ip: fresh, now: Self.start.addingTimeInterval(1), success: true) == nil)
        #expect(refusal(throttle, ip: "192.0.2.0", now: Self.start.addingTimeInterval(1)) == nil, "the success reset the account")
    }

    @Test("counters are keyed by tenant and account")
    func keyed() throws {
        let throttle = SignInThrottle()
        try fail(throttle, 10, now: Self.start)
        #expect(refusal(throttle, now: Self.start) == 1)
        #expect(refusal(throttle, account: "grace@example.com", now: Self.start) == nil)
        #expect(refusal(throttle, tenant: TenantID.generate(at: Self.start), now: Self.start) == nil)
    }

    @Test("thresholds are configurable")
    func thresholds() throws {
        let throttle = SignInThrottle(perIPThreshold: 3, perAccountThreshold: 5, maximumWait: 4)
        try fail(throttle, 3, now: Self.start)
        #expect(refusal(throttle, now: Self.start) == 1)
        var now = Self.start
        for _ in 0..<5 {
            now = now.addingTimeInterval(4)
            try fail(throttle, 1, now: now)
        }
        #expect(refusal(throttle, now: now) == 4, "capped at maximumWait")
    }
}

@Suite("Web: per-IP action limits")
struct ActionRateLimiterTests {
    static let start = Date(timeIntervalSince1970: 1_735_689_600)
    let tenant = TenantID.generate(at: start)

    @Test("a burst of 5, then one per minute")
    func burstAndRefill() {
        let limiter = ActionRateLimiter()
        for i in 0..<5 { #expect(limiter.take(tenant: tenant, action: "signup", ip: "192.0.2.1", now: Self.start) == nil, "request \(i + 1)") }
        #expect(limiter.take(tenant: tenant, action: "signup", ip: "192.0.2.1", now: Self.start) == 60)
        #expect(limiter.take(tenant: tenant, action: "signup", ip: "192.0.2.1", now: Self.start.addingTimeInterval(30)) == 30)
        #expect(limiter.take(tenant: tenant, action: "signup", ip: "192.0.2.1", now: Self.start.addingTimeInterval(60)) == nil)
        #expect(limiter.take(tenant: tenant, action: "signup", ip: "192.0.2.1", now: Self.start.addingTimeInterval(60)) == 60)
        // A long pause refills to the burst, not beyond.
        let later = Self.start.addingTimeInterval(3600)
        for _ in 0..<5 { #expect(limiter.take(tenant: tenant, action: "signup", ip: "192.0.2.1", now: later) == nil) }
        #expect(limiter.take(tenant: tenant, action: "signup", ip: "192.0.2.1", now: later) != nil)
    }

    @Test("buckets are keyed by tenant, action and IP")
    func keyed() {
        let limiter = ActionRateLimiter()
        for _ in 0..<5 { _ = limiter.take(tenant: tenant, action: "reset", ip: "192.0.2.1", now: Self.start) }
        #expect(limiter.take(tenant: tenant, action: "reset", ip: "192.0.2.1", now: Self.start) != nil)
        #expect(limiter.take(tenant: tenant, action: "magic-link", ip: "192.0.2.1", now: Self.start) == nil)
        #expect(limiter.take(tenant: tenant, action: "reset", ip: "192.0.2.2", now: Self.start) == nil)
        #expect(limiter.take(tenant: TenantID.generate(at: Self.start), action: "reset", ip: "192.0.2.1", now: Self.start) == nil)
    }

    @Test("no IP shares one bucket")
    func noIP() {
        let limiter = ActionRateLimiter(burst: 2, interval: 10)
        #expect(limiter.take(tenant: tenant, action: "email-code", ip: nil, now: Self.start) == nil)
        #expect(limiter.take(tenant: tenant, action: "email-code", ip: nil, now: Self.start) == nil)
        #expect(limiter.take(tenant: tenant, action: "email-code", ip: nil, now: Self.start) == 10)
    }
}
