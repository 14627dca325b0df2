import Foundation

/// Dedicated threads for blocking work, with a bounded queue: Argon2id hashing (CPU-heavy, 19 MiB
/// per hash) and libcurl transfers (a `curl_easy_perform` blocks its thread for up to its timeout).
///
/// Neither may run on Swift's cooperative pool (one thread per core: blocking it stalls every
/// request) nor on an unbounded pool (a login burst would exhaust memory; GCD's global queues grow
/// threads without bound). Threads start on demand up to `workers` and then stay; jobs run in FIFO
/// order. Work beyond `workers + queueLimit` jobs is refused at once with `ThreadPool.Busy`, so a
/// caller can answer 503 with `Retry-After` (docs/architecture.md, Durability and speed). When the
/// pool is released its threads finish the queued work and exit.
public final class ThreadPool: Sendable {
    /// Thrown when `workers + queueLimit` jobs are already queued or running.
    public struct Busy: Error, Sendable {}

    /// The shared state of the pool and its threads; the threads hold this, not the pool, so the
    /// pool can be released. All fields are guarded by `condition`'s lock.
    final class Queue: @unchecked Sendable {
        let condition = NSCondition()
        var jobs: [() -> Void] = []
        var head = 0
        var inFlight = 0
        var threads = 0
        var idle = 0
        var stopped = false

        func next() -> (() -> Void)? {
            condition.lock()
            defer { condition.unlock() }
            while head == jobs.count {
                if stopped { return nil }
                idle += 1
                condition.wait()
                idle -= 1
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
    /// Most threads, and so most jobs running at once.
    public let workers: Int
    /// Jobs that may wait beyond the running ones (`Int.max`: no limit).
    public let queueLimit: Int
    let capacity: Int
    let name: String

    /// - Parameters:
    ///   - workers: most threads (at least 1); for CPU work the number of cores.
    ///   - queueLimit: jobs waiting beyond the running ones; default no limit.
    ///   - name: thread name prefix, for debuggers and `top -H`.
    public init(workers: Int, queueLimit: Int = .max, name: String = "gatehouse-worker") {
        self.workers = max(1, workers)
        self.queueLimit = max(0, queueLimit)
        let (sum, overflow) = self.workers.addingReportingOverflow(self.queueLimit)
        self.capacity = overflow ? .max : sum
        self.name = name
    }

    deinit { queue.stop() }

    /// Jobs queued or running.
    public var load: Int {
        queue.condition.lock()
        defer { queue.condition.unlock() }
        return queue.inFlight
    }

    /// Runs `body` on one of the pool's threads and returns its result.
    /// - Throws: `Busy` when `workers + queueLimit` jobs are already queued or running; otherwise
    ///   whatever `body` throws.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let queue = self.queue
        let capacity = self.capacity
        let workers = self.workers
        let name = self.name
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            queue.condition.lock()
            guard queue.inFlight < capacity, !queue.stopped else {
                queue.condition.unlock()
                continuation.resume(throwing: Busy())
                return
            }
            queue.inFlight += 1
            queue.jobs.append { continuation.resume(with: Result { try body() }) }
            let start = queue.jobs.count - queue.head > queue.idle && queue.threads < workers
            if start { queue.threads += 1 }
            let index = queue.threads
            queue.condition.signal()
            queue.condition.unlock()
            if start {
                let thread = Thread {
                    while let job = queue.next() {
                        job()
                        queue.finished()
                    }
                }
                thread.name = "\(name)-\(index)"
                thread.start()
            }
        }
    }
}
