import Foundation
import GatehouseCore
import Synchronization

/// Abuse controls for password and second-factor checks, keyed by tenant, kept in memory and
/// mirrored in each tenant's `sign_in_failures` table so that a restart forgives nothing.
///
/// - Per account and client IP: after `perIPThreshold` consecutive failures, each further attempt
///   waits 2^(failures − threshold) seconds, capped at 15 minutes; a success resets. Attempts in
///   flight count as failures, so 50 parallel wrong passwords for one account are processed at most
///   `perIPThreshold` times; the rest are refused at once, before any hashing or code check.
/// - Per account across all IPs: the same rule from `perAccountThreshold` failures, so a botnet
///   cannot take turns.
/// Unknown accounts are treated exactly like known ones (the key is the normalized email), so the
/// answers never reveal whether an account exists.
///
/// Persistence: the counters of a key are read from the tenant's database on its first use after a
/// start (`unloaded`/`load`, done by `Services.beginAttempt`), and every finished attempt writes them
/// back (a failure raises the stored count, a success deletes it). A counter whose last failure is
/// older than `persistedFor` is forgotten at a restart and purged from the table.
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
    /// Names this throttle's rows in `sign_in_failures` (`pwd`, `mfa`).
    let kind: String
    let perIPThreshold: Int
    let perAccountThreshold: Int
    let maximumWait: TimeInterval
    /// Persisted counters idle longer than this (seconds) are forgotten.
    static let persistedFor: TimeInterval = 86400

    public init(kind: String = "pwd", perIPThreshold: Int = 10, perAccountThreshold: Int = 50, maximumWait: TimeInterval = 900) {
        self.kind = kind
        self.perIPThreshold = perIPThreshold
        self.perAccountThreshold = perAccountThreshold
        self.maximumWait = maximumWait
    }

    /// A permit for one check.
    public struct Ticket: Sendable {
        let keys: [Key]
    }

    /// Refused: retry after this many seconds.
    public struct Refused: Error, Sendable {
        public let retryAfter: Int
    }

    func wait(_ entry: Entry, threshold: Int, now: Date) -> TimeInterval {
        guard entry.failures >= threshold else { return 0 }
        let delay = min(maximumWait, pow(2, Double(min(entry.failures - threshold, 30))))
        return max(0, entry.lastFailure.addingTimeInterval(delay).timeIntervalSince(now))
    }

    /// Whether one more check may start (its wait, if any, has passed). Below the threshold checks in
    /// flight count as failures; at or above it (after the wait) one check runs at a time, so that the
    /// account can still sign in and each failure lengthens the wait.
    func admits(_ entry: Entry, threshold: Int) -> Bool {
        entry.failures < threshold ? entry.failures + entry.inFlight < threshold : entry.inFlight == 0
    }

    /// The per-IP and per-account keys of an attempt.
    /// Per account+client (IPv6 clients by their /64) and per account.
    func keys(tenant: TenantID, account: String, ip: String?) -> [Key] {
        [Key(tenant: tenant, account: account, ip: ClientAddressResolver.limitKey(ip)), Key(tenant: tenant, account: account, ip: nil)]
    }

    /// The row name of a key in the tenant's `sign_in_failures` table.
    func storageKey(_ key: Key) -> String { "\(kind)|\(key.ip ?? "*")|\(key.account)" }

    /// The keys not in memory (never used since the start, or pruned): their counters must be read
    /// from the database before `begin`.
    func unloaded(_ keys: [Key]) -> [Key] {
        entries.withLock { entries in keys.filter { entries[$0] == nil } }
    }

    /// Takes persisted counters of keys not yet in memory (records by storage key; absent = none).
    func load(_ keys: [Key], records: [String: SignInFailureRecord], now: Date) {
        entries.withLock { entries in
            for key in keys where entries[key] == nil {
                var entry = Entry()
                if let record = records[storageKey(key)], now.timeIntervalSince(record.lastFailure) < Self.persistedFor {
                    entry.failures = record.failures
                    entry.lastFailure = record.lastFailure
                }
                entry.lastSeen = now
                entries[key] = entry
            }
        }
    }

    /// Asks to check a password or code for `account` from `ip`.
    /// - Throws: `Refused` when the account is waiting or too many checks are in flight.
    public func begin(tenant: TenantID, account: String, ip: String?, now: Date) throws -> Ticket {
        let keys = keys(tenant: tenant, account: account, ip: ip)
        let (perIP, perAccount) = (keys[0], keys[1])
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
            for key in keys {
                entries[key, default: Entry()].inFlight += 1
                entries[key]!.lastSeen = now
            }
            return Ticket(keys: keys)
        }
    }

    /// Records the outcome of a permitted check.
    public func finish(_ ticket: Ticket, success: Bool, now: Date) {
        finish(ticket, outcome: success ? .success : .failure, now: now)
    }

    /// How a permitted check ended: `abandoned` when it never ran (e.g. the hashing pool was full),
    /// which counts neither way.
    public enum Outcome: Sendable { case success, failure, abandoned }

    /// Records the outcome; returns the counters to persist (after a failure) and the storage keys
    /// to clear (after a success).
    @discardableResult
    public func finish(_ ticket: Ticket, outcome: Outcome, now: Date) -> (save: [SignInFailureRecord], clear: [String]) {
        entries.withLock { entries in
            var save: [SignInFailureRecord] = []
            var clear: [String] = []
            for key in ticket.keys {
                guard var entry = entries[key] else { continue }
                entry.inFlight = max(0, entry.inFlight - 1)
                if outcome == .abandoned {
                    // Nothing learned about the password.
                } else if outcome == .success {
                    // Only counters that had failures have a row (loaded at first use), so the
                    // common success costs no write.
                    if entry.failures > 0 { clear.append(storageKey(key)) }
                    entry.failures = 0
                } else {
                    entry.failures += 1
                    entry.lastFailure = now
                    save.append(SignInFailureRecord(key: storageKey(key), failures: entry.failures, lastFailure: now))
                }
                entry.lastSeen = now
                entries[key] = entry
            }
            return (save, clear)
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
        let wait: Int? = buckets.withLock { buckets in
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
        if wait != nil { GatehouseMetrics.shared.throttleRefusal(kind: action) }
        return wait
    }

    /// Whether a token is left, without taking it: for limits counted on failures only, checked
    /// first and taken (``take(tenant:action:ip:now:)``) when the attempt failed.
    /// - Returns: nil when a token is left, else the seconds to wait.
    public func wait(tenant: TenantID, action: String, ip: String?, now: Date) -> Int? {
        let key = Key(tenant: tenant, action: action, ip: ClientAddressResolver.limitKey(ip))
        let wait: Int? = buckets.withLock { buckets in
            guard let bucket = buckets[key] else { return nil }
            let tokens = min(burst, bucket.tokens + now.timeIntervalSince(bucket.at) / interval)
            return tokens >= 1 ? nil : Int(((1 - tokens) * interval).rounded(.up))
        }
        if wait != nil { GatehouseMetrics.shared.throttleRefusal(kind: action) }
        return wait
    }
}
