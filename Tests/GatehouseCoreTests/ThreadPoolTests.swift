import Dispatch
import Foundation
import GatehouseCore
import Testing
import GatehouseThreads

/// Worker pools live for the whole test run: the pool has no shutdown, and its threads hold it.
private enum Pools {
    static let general = ThreadPool(workers: 2, queueLimit: 64)
    static let bounded = ThreadPool(workers: 1, queueLimit: 1)
    static let pair = ThreadPool(workers: 2, queueLimit: 64)
}

/// The calling thread's pthread identity.
private func currentThreadID() -> UInt {
    #if canImport(Darwin)
        UInt(bitPattern: pthread_self())
    #else
        UInt(pthread_self())
    #endif
}

@Suite("Thread pool for blocking work (docs/architecture.md, Durability and speed)")
struct ThreadPoolTests {
    @Test("work runs on the pool's own fixed set of threads and its result comes back")
    func runsOnWorkerThreads() async throws {
        let results = try await withThrowingTaskGroup(of: (UInt, Int).self) { group in
            for i in 1...24 {
                group.addTask {
                    try await Pools.pair.run { () -> (UInt, Int) in
                        usleep(1000)
                        return (currentThreadID(), i * 2)
                    }
                }
            }
            return try await group.reduce(into: [(UInt, Int)]()) { $0.append($1) }
        }
        #expect(results.map(\.1).sorted() == (1...24).map { $0 * 2 })
        // Two workers: never more than two threads, whatever the cooperative pool does.
        #expect((1...2).contains(Set(results.map(\.0)).count))
    }

    @Test("an error thrown by the work is rethrown to the caller")
    func rethrowsWorkError() async {
        struct Failure: Error, Equatable {}
        await #expect(throws: Failure()) {
            try await Pools.general.run { () throws -> Int in throw Failure() }
        }
    }

    @Test("many concurrent jobs within the limit all complete")
    func concurrentJobs() async throws {
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<8 {
                group.addTask { try await Pools.general.run { i * i } }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(results.sorted() == (0..<8).map { $0 * $0 })
    }

    @Test("work beyond workers + queueLimit is refused at once with Busy (docs/architecture.md, Durability and speed: answer 503)")
    func busy() async throws {
        let pool = Pools.bounded
        let release = DispatchSemaphore(value: 0)
        // One job runs and one waits: the pool is full.
        let held = (0..<2).map { i in
            Task {
                try await pool.run {
                    release.wait(); return i
                }
            }
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while pool.load < 2, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(pool.load == 2)

        await #expect(throws: ThreadPool.Busy.self) { try await pool.run { 42 } }

        release.signal()
        release.signal()
        var finished: [Int] = []
        for task in held { finished.append(try await task.value) }
        #expect(finished.sorted() == [0, 1])

        // Capacity returns once the jobs are done.
        while pool.load > 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(try await pool.run { 7 } == 7)
    }

    @Test("a pool released right after creation does not crash: its threads must not outlive it unsafely")
    func releasedPool() async {
        await #expect(processExitsWith: .success) {
            for _ in 0..<200 { _ = ThreadPool(workers: 4, queueLimit: 0) }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }
}
