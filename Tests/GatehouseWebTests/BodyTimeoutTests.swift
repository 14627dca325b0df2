import Foundation
@testable import GatehouseWeb
import NIOCore
import NIOPosix
import Testing

/// The timer the request body is raced against (`RequestBodyLimitMiddleware.elapsed`): it fires
/// after its duration, and a cancelled wait ends at once.
@Suite("Request body timeout timer")
struct BodyTimeoutTests {
    @Test("elapses after its duration")
    func elapses() async {
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        let start = ContinuousClock.now
        #expect(await RequestBodyLimitMiddleware.elapsed(.milliseconds(50), on: loop))
        #expect(ContinuousClock.now - start >= .milliseconds(50))
    }

    @Test("a cancelled wait returns false without waiting for its timer, before or after the timer was scheduled")
    func cancelled() async {
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        let start = ContinuousClock.now
        let waiting = Task { await RequestBodyLimitMiddleware.elapsed(.seconds(3600), on: loop) }
        try? await Task.sleep(for: .milliseconds(20))
        waiting.cancel()
        #expect(await waiting.value == false)
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await RequestBodyLimitMiddleware.elapsed(.seconds(3600), on: loop)
        }
        #expect(await early.value == false)
        // Far below the timers' hour; generous, as a parallel test run can keep tasks waiting for a thread.
        #expect(ContinuousClock.now - start < .seconds(120))
    }
}
