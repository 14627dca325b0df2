import Foundation

/// A fixed set of threads for CPU-heavy work (Argon2id), with a bounded queue.
///
/// Password hashing must not run on Swift's cooperative pool (it would starve every request) nor
/// on an unbounded pool (a login burst would exhaust memory at 19 MiB per hash). Work beyond
/// `workers + queueLimit` is refused at once with `WorkerPool.Busy`, so the caller can answer
/// 503 with `Retry-After` (docs/architecture.md, Durability and speed). When the pool is released its threads finish the
/// queued work and exit.
public final class WorkerPool: Sendable {
    /// Thrown when the queue is full.
    public struct Busy: Error, Sendable {}

    /// The shared state of the pool and its threads; the threads hold this, not the pool, so the
    /// pool can be released.
    final class Queue: @unchecked Sendable {
        let condition = NSCondition()
        var jobs: [() -> Void] = []
        var head = 0
        var inFlight = 0
        var stopped = false

        func next() -> (() -> Void)? {
            condition.lock()
            defer { condition.unlock() }
            while head == jobs.count {
                if stopped { return nil }
                condition.wait()
            }
            let job = jobs[head]
            head += 1
            if head > 1024, head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            return job
        }

        func finished() {
            condition.lock()
            inFlight -= 1
            condition.unlock()
        }

        func stop() {
            condition.lock()
            stopped = true
            condition.broadcast()
            condition.unlock()
        }
    }

    let queue = Queue()
    public let workers: Int
    public let queueLimit: Int

    /// - Parameters:
    ///   - workers: threads; typically the number of cores.
    ///   - queueLimit: jobs waiting beyond the running ones.
    public init(workers: Int, queueLimit: Int) {
        self.workers = max(1, workers)
        self.queueLimit = max(0, queueLimit)
        for index in 0..<self.workers {
            let queue = self.queue
            let thread = Thread {
                while let job = queue.next() {
                    job()
                    queue.finished()
                }
            }
            thread.name = "gatehouse-worker-\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    deinit { queue.stop() }

    /// Jobs queued or running.
    public var load: Int {
        queue.condition.lock()
        defer { queue.condition.unlock() }
        return queue.inFlight
    }

    /// Whether new work would be refused with `Busy` now.
    public var isSaturated: Bool { load >= workers + queueLimit }

    /// Runs `body` on a worker thread.
    /// - Throws: `Busy` when `workers + queueLimit` jobs are already queued or running; otherwise
    ///   whatever `body` throws.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let queue = self.queue
        let capacity = workers + queueLimit
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            queue.condition.lock()
            guard queue.inFlight < capacity, !queue.stopped else {
                queue.condition.unlock()
                continuation.resume(throwing: Busy())
                return
            }
            queue.inFlight += 1
            queue.jobs.append { continuation.resume(with: Result { try body() }) }
            queue.condition.signal()
            queue.condition.unlock()
        }
    }
}
