import Foundation
import GatehouseCore
import Synchronization

/// Abuse controls for password checks and emailed codes, in memory and keyed by tenant.
///
/// - Per account and client IP: after 10 consecutive failures, each further attempt waits
///   2^(failures − 10) seconds, capped at 15 minutes; a success resets. Attempts in flight count as
///   failures, so 50 parallel wrong passwords for one account are processed at most 10 times; the
///   rest are refused at once, before any hashing.
/// - Per account across all IPs: the same rule from 50 failures, so a botnet cannot take turns.
/// Unknown accounts are treated exactly like known ones (the key is the normalized email), so the
/// answers never reveal whether an account exists.
public final class SignInThrottle: Sendable {
    struct Entry {
        var failures = 0
        var inFlight = 0
        var lastFailure = Date.distantPast
        var lastSeen = Date.distantPast
    }

    struct Key: Hashable {
        let tenant: TenantID
        let account: String
        let ip: String?
    }

    private let entries = Mutex<[Key: Entry]>([:])
    let perIPThreshold: Int
    let perAccountThreshold: Int
    let maximumWait: TimeInterval

    public init(perIPThreshold: Int = 10, perAccountThreshold: Int = 50, maximumWait: TimeInterval = 900) {
        self.perIPThreshold = perIPThreshold
        self.perAccountThreshold = perAccountThreshold
        self.maximumWait = maximumWait
    }

    /// A permit for one password check.
    public struct Ticket: Sendable {
        let keys: [Key]
    }

    /// Refused: retry after this many seconds.
    public struct Refused: Error, Sendable {
        public let retryAfter: Int
    }

    func wait(_ entry: Entry, threshold: Int, now: Date) -> TimeInterval {
        guard entry.failures >= threshold else { return 0 }
        let delay = min(maximumWait, pow(2, Double(entry.failures - threshold)))
        return max(0, entry.lastFailure.addingTimeInterval(delay).timeIntervalSince(now))
    }

    /// Whether one more check may start (its wait, if any, has passed). Below the threshold checks in
    /// flight count as failures; at or above it (after the wait) one check runs at a time, so that the
    /// account can still sign in and each failure lengthens the wait.
    func admits(_ entry: Entry, threshold: Int) -> Bool {
        entry.failures < threshold ? entry.failures + entry.inFlight < threshold : entry.inFlight == 0
    }

    /// Asks to check a password for `account` from `ip`.
    /// - Throws: `Refused` when the account is waiting or too many checks are in flight.
    public func begin(tenant: TenantID, account: String, ip: String?, now: Date) throws -> Ticket {
        let perIP = Key(tenant: tenant, account: account, ip: ClientAddressResolver.limitKey(ip))
        let perAccount = Key(tenant: tenant, account: account, ip: nil)
        return try entries.withLock { entries in
            if entries.count > 100_000 { entries = entries.filter { now.timeIntervalSince($0.value.lastSeen) < 3600 || $0.value.inFlight > 0 } }
            let a = entries[perIP] ?? Entry()
            let b = entries[perAccount] ?? Entry()
            let waitIP = wait(a, threshold: perIPThreshold, now: now)
            let waitAccount = wait(b, threshold: perAccountThreshold, now: now)
            let pending = max(waitIP, waitAccount)
            if pending > 0 { throw Refused(retryAfter: Int(pending.rounded(.up))) }
            if !admits(a, threshold: perIPThreshold) || !admits(b, threshold: perAccountThreshold) {
                throw Refused(retryAfter: 1)
            }
            for key in [perIP, perAccount] {
                entries[key, default: Entry()].inFlight += 1
                entries[key]!.lastSeen = now
            }
            return Ticket(keys: [perIP, perAccount])
        }
    }

    /// Records the outcome of a permitted check.
    public func finish(_ ticket: Ticket, success: Bool, now: Date) {
        finish(ticket, outcome: success ? .success : .failure, now: now)
    }

    /// How a permitted check ended: `abandoned` when it never ran (e.g. the hashing pool was full),
    /// which counts neither way.
    public enum Outcome: Sendable { case success, failure, abandoned }

    public func finish(_ ticket: Ticket, outcome: Outcome, now: Date) {
        entries.withLock { entries in
            for key in ticket.keys {
                guard var entry = entries[key] else { continue }
                entry.inFlight = max(0, entry.inFlight - 1)
                if outcome == .abandoned {
                    // Nothing learned about the password.
                } else if outcome == .success {
                    entry.failures = 0
                } else {
                    entry.failures += 1
                    entry.lastFailure = now
                }
                entry.lastSeen = now
                entries[key] = entry
            }
        }
    }
}

/// Per-IP rate limits on actions that send email or create accounts (sign-up, password reset,
/// magic links, email codes), keyed by tenant: a token bucket of `burst` requests refilled at one
/// per `interval` seconds.
public final class ActionRateLimiter: Sendable {
    struct Key: Hashable {
        let tenant: TenantID
        let action: String
        let ip: String
    }

    private let buckets = Mutex<[Key: (tokens: Double, at: Date)]>([:])
    let burst: Double
    let interval: TimeInterval

    public init(burst: Int = 5, interval: TimeInterval = 60) {
        self.burst = Double(burst)
        self.interval = interval
    }

    /// Takes a token. - Returns: nil when allowed, else the seconds to wait.
    public func take(tenant: TenantID, action: String, ip: String?, now: Date) -> Int? {
        let key = Key(tenant: tenant, action: action, ip: ClientAddressResolver.limitKey(ip))
        return buckets.withLock { buckets in
            if buckets.count > 100_000 { buckets = buckets.filter { now.timeIntervalSince($0.value.at) < 3600 } }
            var bucket = buckets[key] ?? (burst, now)
            bucket.tokens = min(burst, bucket.tokens + now.timeIntervalSince(bucket.at) / interval)
            bucket.at = now
            guard bucket.tokens >= 1 else {
                buckets[key] = bucket
                return Int(((1 - bucket.tokens) * interval).rounded(.up))
            }
            bucket.tokens -= 1
            buckets[key] = bucket
            return nil
        }
    }
}
