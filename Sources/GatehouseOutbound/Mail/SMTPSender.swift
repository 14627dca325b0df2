internal import CCurl
import GatehouseThreads

/// Delivers ``MailMessage``s to one SMTP server with libcurl (RFC 5321; STARTTLS RFC 3207).
///
/// Each ``send(_:)`` opens a connection, optionally upgrades it with STARTTLS or starts in TLS
/// (`smtps://`), authenticates when credentials are configured, sends MAIL FROM, one RCPT TO per
/// recipient, and the message (curl performs the dot-stuffing of RFC 5321 §4.5.2), then quits.
/// Deliveries run on a private pool of two threads, like ``HTTPClient``'s transfers.
///
/// The SSRF guard does not apply: the SMTP server is operator configuration, not user input.
public final class SMTPSender: Sendable {
    /// Where and how to deliver.
    public let configuration: SMTPConfiguration
    private let pool = ThreadPool(workers: 2, name: "gatehouse-smtp")

    public init(configuration: SMTPConfiguration) {
        self.configuration = configuration
    }

    /// Delivers `message` to every recipient in its envelope, or to none.
    /// - Throws: ``SMTPError`` for configuration, address, message, authentication and SMTP
    ///   reply failures; ``OutboundError`` (`connectionFailed`, `tlsFailure`, `timedOut`,
    ///   `transport`) for transport failures; `CancellationError` when the task is cancelled.
    public func send(_ message: MailMessage) async throws {
        try configuration.validate()
        try message.validate()
        try Task.checkCancellation()
        let cancellation = CancellationFlag()
        let configuration = self.configuration
        try await withTaskCancellationHandler {
            try await pool.run { try Self.deliver(message, configuration: configuration, cancellation: cancellation) }
        } onCancel: {
            cancellation.raise()
        }
    }

    private static func deliver(_ message: MailMessage, configuration: SMTPConfiguration, cancellation: CancellationFlag) throws {
        if cancellation.isRaised { throw CancellationError() }
        let url = try CurlURL(configuration.url)
        guard url.scheme == "smtp" || url.scheme == "smtps" else { throw SMTPError.invalidConfiguration("url must be smtp:// or smtps://") }
        guard let host = url.host, !host.isEmpty else { throw SMTPError.invalidConfiguration("url has no host") }

        let easy = try CurlEasy()
        let context = TransferContext(maxBodyBytes: 64 * 1024, cancellation: cancellation)
        context.upload = message.rfc822
        try easy.attach(context, upload: true)
        try easy.set(CURLOPT_CURLU, url: url)
        try easy.set(CURLOPT_PROTOCOLS_STR, "smtp,smtps")

        let milliseconds = max(1, Milliseconds.from(seconds: configuration.timeout))
        try easy.set(CURLOPT_TIMEOUT_MS, milliseconds)
        try easy.set(CURLOPT_CONNECTTIMEOUT_MS, milliseconds)

        let useSSL = url.scheme == "smtps" || configuration.requireTLS ? CURLUSESSL_ALL : CURLUSESSL_TRY
        try easy.set(CURLOPT_USE_SSL, Int(useSSL.rawValue))
        try easy.set(CURLOPT_SSL_VERIFYPEER, 1)
        try easy.set(CURLOPT_SSL_VERIFYHOST, 2)
        try easy.set(CURLOPT_SSLVERSION, Int(CURL_SSLVERSION_TLSv1_2))
        if let caBundlePath = configuration.caBundlePath { try easy.set(CURLOPT_CAINFO, caBundlePath) }

        if let username = configuration.username { try easy.set(CURLOPT_USERNAME, username) }
        if let password = configuration.password { try easy.set(CURLOPT_PASSWORD, password) }

        try easy.set(CURLOPT_MAIL_FROM, "<\(message.from)>")
        try easy.set(CURLOPT_MAIL_RCPT, list: message.to.map { "<\($0)>" })
        try easy.set(CURLOPT_UPLOAD, 1)
        try easy.set(CURLOPT_INFILESIZE_LARGE, offset: message.rfc822.count)

        let result = easy.perform(context)
        guard !result.succeeded else { return }
        let reply = easy.infoLong(CURLINFO_RESPONSE_CODE)
        if result.code == CURLE_LOGIN_DENIED { throw SMTPError.authenticationFailed }
        // MAIL/RCPT/DATA failures come back as send errors or "weird" replies; the reply code tells.
        let replyFailures = [CURLE_SEND_ERROR, CURLE_WEIRD_SERVER_REPLY, CURLE_RECV_ERROR]
        if replyFailures.contains(result.code), reply >= 400 {
            throw SMTPError.rejected(code: reply, message: result.detail)
        }
        throw result.error(context: context)
    }
}
