import Foundation

/// A fixed set of threads for CPU-heavy work (Argon2id), with a bounded queue.
///
/// Password hashing must not run on Swift's cooperative pool (it would starve every request) nor
/// on an unbounded pool (a login burst would exhaust memory at 19 MiB per hash). Work beyond
/// `workers + queueLimit` is refused at once with `WorkerPool.Busy`, so the caller can answer
/// 503 with `Retry-After` (ARCHITECTURE.md B4).
public final class WorkerPool: @unchecked Sendable {
    /// Thrown when the queue is full.
    public struct Busy: Error, Sendable {}

    private let condition = NSCondition()
    private var jobs: [() -> Void] = []
    private var head = 0
    private var inFlight = 0
    public let workers: Int
    public let queueLimit: Int

    /// - Parameters:
    ///   - workers: threads; typically the number of cores.
    ///   - queueLimit: jobs waiting beyond the running ones.
    public init(workers: Int, queueLimit: Int) {
        self.workers = max(1, workers)
        self.queueLimit = max(0, queueLimit)
        for index in 0..<self.workers {
            let thread = Thread { [unowned self] in self.run() }
            thread.name = "gatehouse-worker-\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Jobs queued or running.
    public var load: Int {
        condition.lock()
        defer { condition.unlock() }
        return inFlight
    }

    /// Runs `body` on a worker thread.
    /// - Throws: `Busy` when `workers + queueLimit` jobs are already queued or running; otherwise
    ///   whatever `body` throws.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            condition.lock()
            guard inFlight < workers + queueLimit else {
                condition.unlock()
                continuation.resume(throwing: Busy())
                return
            }
            inFlight += 1
            jobs.append {
                continuation.resume(with: Result { try body() })
            }
            condition.signal()
            condition.unlock()
        }
    }

    private func run() {
        while true {
            condition.lock()
            while head == jobs.count { condition.wait() }
            let job = jobs[head]
            head += 1
            if head > 1024, head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            condition.unlock()
            job()
            condition.lock()
            inFlight -= 1
            condition.unlock()
        }
    }
}
