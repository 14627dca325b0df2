import Foundation
import GatehouseCore
import GatehouseOutbound
import GatehouseStore
import Logging
import Metrics
import ServiceLifecycle

/// Delivers the tenants' outboxes: through SMTP (`[mail] smtp_url`), or as `.eml` files in
/// `<data>/outbox/` when no SMTP server is configured (docs/contract.md A2).
///
/// The worker wakes when a message is queued (``EmailService/wake()``) and on a timer, reads the
/// instance's index of tenants with due mail (never every tenant), and sends each due message.
/// A failed attempt is retried after `retry_base_seconds · 2^(n−1)` (at most `retry_max_seconds`);
/// after `max_attempts`, or at once for a permanent refusal (an SMTP 5xx reply, an invalid
/// address), the message is marked failed. Messages are handled one at a time.
///
/// Delivery is **at least once**: the state lives in the tenant databases, so a crash or restart
/// loses nothing, but a message handed to the SMTP server just before a crash, and not yet marked
/// sent, is sent again after the restart (with the same `Message-ID`, so receivers may drop the
/// duplicate). Logs carry message ids, tenants and errors, never content, links or codes.
struct MailDeliveryService: Service {
    let mail: EmailService
    let store: any InstanceStorage
    let logger: Logger

    /// Timer period: often enough for the retry schedule, at most every 15 s, at least every 0.25 s.
    var tick: Duration { .milliseconds(Int(min(max(mail.settings.retryBase / 2, 0.25), 15) * 1000)) }

    func run() async throws {
        let mail = self.mail, tick = self.tick
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: tick)
                        mail.wake()
                    }
                }
                group.addTask {
                    await self.deliverDue()
                    for await _ in mail.wakeups {
                        if Task.isCancelled { break }
                        await self.deliverDue()
                    }
                }
            }
        }
    }

    /// One pass: every due message of every tenant in the pending-mail index.
    func deliverDue() async {
        let now = mail.clock.now
        let pending: [PendingMail]
        do {
            pending = try await store.tenantsWithPendingMail(dueBy: now)
        } catch {
            logger.error("cannot read the pending-mail index", metadata: ["error": "\(error)"])
            return
        }
        for entry in pending {
            if Task.isCancelled { return }
            do {
                let database = try await store.storage(for: entry.tenant)
                var batch = try await database.dueMail(at: now, limit: 50)
                while !batch.isEmpty {
                    for message in batch {
                        if Task.isCancelled { return }
                        await deliver(message, database: database)
                    }
                    batch = batch.count < 50 ? [] : try await database.dueMail(at: now, limit: 50)
                }
                try await store.finishMailPass(entry, nextDue: try await database.nextMailDue())
                try await database.purgeMail(before: now.addingTimeInterval(-30 * 86400))
            } catch {
                logger.error("mail delivery pass failed", metadata: ["tenant": "\(entry.tenant.slug)", "error": "\(error)"])
                try? await store.postponeMail(entry, until: now.addingTimeInterval(60))
            }
        }
    }

    /// Sends one message and records the outcome.
    func deliver(_ message: OutboxMessage, database: any TenantHandle) async {
        let metadata: Logger.Metadata = ["id": "\(message.id)", "tenant": "\(database.tenant.slug)", "attempt": "\(message.attempts + 1)"]
        do {
            if let sender = mail.sender {
                try await sender.send(MailMessage(from: message.envelopeFrom, to: [message.recipient], rfc822: message.message))
            } else {
                try writeToOutboxFolder(message)
            }
            try await database.markMailSent(id: message.id, at: mail.clock.now)
            GatehouseMetrics.shared.mail(.delivered)
            logger.info("email sent", metadata: metadata)
        } catch is CancellationError {
            return  // shutting down: not an attempt; the message stays due
        } catch {
            let failures = message.attempts + 1
            let permanent = Self.isPermanent(error)
            let giveUp = permanent || failures >= mail.settings.maxAttempts
            let now = mail.clock.now
            let retryAt = giveUp ? nil : now.addingTimeInterval(mail.settings.retryDelay(afterFailures: failures))
            do {
                try await database.markMailAttemptFailed(id: message.id, error: "\(error)", retryAt: retryAt, at: now)
            } catch {
                logger.error("cannot record a delivery failure", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            }
            var details = metadata
            details["error"] = "\(error)"
            if giveUp {
                GatehouseMetrics.shared.mail(.givenUp)
                logger.error("email failed; giving up", metadata: details)
            } else {
                GatehouseMetrics.shared.mail(.failedAttempt)
                details["retry_in_seconds"] = "\(Int(retryAt!.timeIntervalSince(now)))"
                logger.warning("email delivery failed; will retry", metadata: details)
            }
        }
    }

    /// A refusal that retrying cannot fix: an SMTP 5xx reply, a bad address or message.
    static func isPermanent(_ error: any Error) -> Bool {
        guard let smtp = error as? SMTPError else { return false }
        switch smtp {
        case .rejected(let code, _): return (500..<600).contains(code)
        case .invalidAddress, .invalidMessage: return true
        case .authenticationFailed, .invalidConfiguration: return false
        }
    }

    /// Writes `<data>/outbox/<id>.eml` (mode 0600: it holds links and codes), atomically.
    func writeToOutboxFolder(_ message: OutboxMessage) throws {
        let fm = FileManager.default
        let directory = mail.settings.outboxDirectory
        try fm.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let final = directory.appendingPathComponent("\(message.id).eml")
        let temporary = directory.appendingPathComponent(".\(message.id).eml.tmp")
        guard fm.createFile(atPath: temporary.path, contents: Data(message.message), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary.path])
        }
        if fm.fileExists(atPath: final.path) { try fm.removeItem(at: final) }
        try fm.moveItem(at: temporary, to: final)
    }
}
