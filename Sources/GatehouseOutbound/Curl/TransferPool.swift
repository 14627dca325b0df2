import Foundation

/// A small pool of dedicated threads that run blocking curl transfers.
///
/// Why threads and not curl's multi interface: a `curl_easy_perform` per thread keeps every
/// transfer a straight line of code (set options, perform, read results), with no socket/timer
/// event loop to get right; the server's outbound traffic (federation fetches, webhooks, mail)
/// is low-concurrency, so a handful of threads costs little. Why dedicated threads and not
/// `Task.detached` or `DispatchQueue.global()`: a transfer blocks its thread for up to the total
/// timeout, and blocking threads of the Swift cooperative pool (one per core, two here) would
/// stall every other task in the process; GCD's global queues would grow threads without bound.
///
/// Threads start on demand up to `maxThreads`, and end after `idleTimeout` seconds without
/// work or once ``shutdown()`` is called and the queue has drained. Jobs run in FIFO order.
final class TransferPool: @unchecked Sendable {
    // All mutable state is guarded by `condition`'s lock.
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var threads = 0
    private var idleThreads = 0
    private var isShutDown = false

    let maxThreads: Int
    let idleTimeout: TimeInterval
    private let name: String

    /// - Parameters:
    ///   - maxThreads: most transfers that run at once (at least 1); later ones wait in line.
    ///   - idleTimeout: seconds an idle thread waits for work before it exits.
    ///   - name: thread name, for debuggers and `top -H`.
    init(maxThreads: Int, idleTimeout: TimeInterval = 30, name: String) {
        self.maxThreads = max(1, maxThreads)
        self.idleTimeout = idleTimeout
        self.name = name
    }

    /// Queues `job`; a thread runs it as soon as one is free.
    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        let startThread = jobs.count > idleThreads && threads < maxThreads
        if startThread { threads += 1 }
        condition.signal()
        condition.unlock()
        if startThread {
            let thread = Thread { [self] in work() }
            thread.name = name
            thread.start()
        }
    }

    /// Lets the threads exit once the jobs already queued have run.
    func shutdown() {
        condition.lock()
        isShutDown = true
        condition.broadcast()
        condition.unlock()
    }

    private func work() {
        condition.lock()
        while true {
            if !jobs.isEmpty {
                let job = jobs.removeFirst()
                condition.unlock()
                job()
                condition.lock()
                continue
            }
            if isShutDown { break }
            idleThreads += 1
            let woken = condition.wait(until: Date(timeIntervalSinceNow: idleTimeout))
            idleThreads -= 1
            if !woken, jobs.isEmpty { break }
        }
        threads -= 1
        condition.unlock()
    }
}
