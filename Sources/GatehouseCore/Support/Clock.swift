import Foundation

/// The source of "now" for every protocol decision (expiry, `iat`, `auth_time`).
///
/// Injected so that the core never calls `Date()` directly and tests can move time
/// (docs/architecture.md H10, after jwt-kit's `currentDate`).
public protocol Clock: Sendable {
    /// The current instant.
    var now: Date { get }
}

/// The wall clock.
public struct SystemClock: Clock {
    public init() {}
    public var now: Date { Date() }
}

extension Date {
    /// Whole seconds since 1970-01-01T00:00:00Z, the JWT `NumericDate` (RFC 7519 §2).
    public var numericDate: Int64 { Int64(timeIntervalSince1970.rounded(.down)) }

    /// Creates a date from a JWT `NumericDate` (seconds since the epoch).
    public init(numericDate: Int64) { self.init(timeIntervalSince1970: TimeInterval(numericDate)) }
}
