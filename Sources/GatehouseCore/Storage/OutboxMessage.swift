import Foundation

/// A message waiting in a tenant's outbox (`mail_outbox`).
public struct OutboxMessage: Sendable, Equatable {
    /// `msg_<ULID>`; also the local part of its `Message-ID`.
    public var id: String
    /// The template it was rendered from (`email/verify`), or nil.
    public var template: String?
    /// The envelope recipient (`RCPT TO`).
    public var recipient: String
    /// The envelope sender (`MAIL FROM`).
    public var envelopeFrom: String
    public var subject: String
    /// The complete RFC 5322 message (CRLF line endings); empty once sent or failed.
    public var message: [UInt8]
    /// Failed delivery attempts so far.
    public var attempts: Int
    public var nextAttemptAt: Date
    public var sentAt: Date?
    public var failedAt: Date?
    /// The last delivery error (never message content).
    public var lastError: String?
    public var createdAt: Date

    public init(
        id: String, template: String?, recipient: String, envelopeFrom: String, subject: String, message: [UInt8],
        attempts: Int = 0, nextAttemptAt: Date, sentAt: Date? = nil, failedAt: Date? = nil, lastError: String? = nil,
        createdAt: Date
    ) {
        self.id = id
        self.template = template
        self.recipient = recipient
        self.envelopeFrom = envelopeFrom
        self.subject = subject
        self.message = message
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.sentAt = sentAt
        self.failedAt = failedAt
        self.lastError = lastError
        self.createdAt = createdAt
    }
}
