import Foundation
import GatehouseCore
import Synchronization

/// A clock that tests move by hand (docs/architecture.md H10: time is injected, never read from `Date()`).
final class TestClock: GatehouseCore.Clock {
    /// 2025-01-01T00:00:00Z, a whole second so `NumericDate` conversions are exact.
    static let start = Date(timeIntervalSince1970: 1_735_689_600)

    private let current: Mutex<Date>

    init(_ start: Date = TestClock.start) { current = Mutex(start) }

    var now: Date { current.withLock { $0 } }

    /// Moves the clock forward by `seconds`.
    func advance(_ seconds: TimeInterval) { current.withLock { $0 += seconds } }
}
