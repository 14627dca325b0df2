import Foundation
import GatehouseOutbound

/// The `[mail]` configuration, resolved: where mail goes and how delivery is retried.
public struct MailSettings: Sendable {
    /// The SMTP server, or nil: messages are written as `.eml` files to ``outboxDirectory``.
    public var smtp: SMTPConfiguration?
    /// The `From` address (and envelope sender).
    public var fromAddress: String
    /// The `From` display name; nil uses the tenant's name.
    public var fromName: String?
    /// `<data>/outbox/`: where messages go without SMTP.
    public var outboxDirectory: URL
    /// Seconds before the first retry; each further retry waits twice as long.
    public var retryBase: TimeInterval
    /// The longest wait between two attempts, in seconds.
    public var retryMax: TimeInterval
    /// Attempts before a message is given up (marked failed).
    public var maxAttempts: Int

    /// The wait after the `failures`-th failed attempt (1-based): `retryBase · 2^(failures−1)`, at most `retryMax`.
    public func retryDelay(afterFailures failures: Int) -> TimeInterval {
        let exponent = max(0, min(failures - 1, 30))
        return min(retryBase * Double(1 << exponent), retryMax)
    }

    /// Resolves the configuration.
    /// - Throws: `GatehouseConfiguration.Invalid` when the SMTP URL or the `from` address is unusable.
    public init(configuration c: GatehouseConfiguration, dataDirectory: URL) throws {
        outboxDirectory = dataDirectory.appendingPathComponent("outbox", isDirectory: true)
        retryBase = TimeInterval(c.mailRetryBaseSeconds)
        retryMax = TimeInterval(max(c.mailRetryMaxSeconds, c.mailRetryBaseSeconds))
        maxAttempts = c.mailMaxAttempts
        guard let from = Self.parseMailbox(c.effectiveMailFrom) else {
            throw GatehouseConfiguration.Invalid(problems: [.init(key: "mail.from", message: "'\(c.effectiveMailFrom)' is not an address")])
        }
        fromAddress = from.address
        fromName = from.name
        guard let raw = c.smtpURL else {
            smtp = nil
            return
        }
        guard var components = URLComponents(string: raw), let host = components.host, !host.isEmpty else {
            throw GatehouseConfiguration.Invalid(problems: [.init(key: "mail.smtp_url", message: "is not a URL with a host")])
        }
        // Credentials in the URL (smtp://user:pass@host) are moved to the configuration, so the
        // URL curl sees (and any error message) carries none.
        var username = c.smtpUsername, password = c.smtpPassword
        if let user = components.percentEncodedUser, !user.isEmpty {
            username = user.removingPercentEncoding ?? user
            password = components.percentEncodedPassword.map { $0.removingPercentEncoding ?? $0 } ?? password
        }
        components.percentEncodedUser = nil
        components.percentEncodedPassword = nil
        let loopback = MailSettings.isLoopback(host)
        let config = SMTPConfiguration(
            url: components.string ?? raw, username: username, password: password,
            requireTLS: c.smtpRequireTLS ?? !loopback, caBundlePath: c.smtpCABundle, timeout: 30,
            allowInsecureForTesting: loopback)
        do {
            try config.validate()
        } catch {
            throw GatehouseConfiguration.Invalid(problems: [.init(key: "mail", message: "\(error)")])
        }
        smtp = config
    }

    /// `127.0.0.0/8`, `::1` and `localhost`: SMTP there needs no TLS by default.
    static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return h == "localhost" || h == "::1" || h.hasPrefix("127.")
    }

    /// `"Name <local@domain>"` or `"local@domain"`; nil when the address is not plain `local@domain`.
    static func parseMailbox(_ text: String) -> (address: String, name: String?)? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var address = trimmed, name: String?
        if trimmed.hasSuffix(">"), let lt = trimmed.lastIndex(of: "<") {
            address = String(trimmed[trimmed.index(after: lt)..<trimmed.index(before: trimmed.endIndex)])
            var display = trimmed[..<lt].trimmingCharacters(in: .whitespaces)
            if display.hasPrefix("\""), display.hasSuffix("\""), display.count >= 2 { display = String(display.dropFirst().dropLast()) }
            name = display.isEmpty ? nil : display
        }
        guard (try? MailAddress.validate(address)) != nil else { return nil }
        if let name, name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) { return nil }
        return (address, name)
    }
}
