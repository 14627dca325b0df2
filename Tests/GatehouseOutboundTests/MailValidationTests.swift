import GatehouseOutbound
import Testing

/// Configuration, envelope and framing checks that run before any connection.
struct MailValidationTests {
    struct ConfigRow: Sendable, CustomTestStringConvertible {
        var rule: String
        var configuration: SMTPConfiguration
        var valid: Bool
        var testDescription: String { rule }
    }

    @Test(arguments: [
        ConfigRow(
            rule: "smtp:// with required STARTTLS and credentials is valid",
            configuration: SMTPConfiguration(url: "smtp://mail.example:587", username: "u", password: "p"), valid: true),
        ConfigRow(
            rule: "smtps:// with credentials is valid",
            configuration: SMTPConfiguration(url: "smtps://mail.example:465", username: "u", password: "p", requireTLS: false), valid: true),
        ConfigRow(
            rule: "opportunistic smtp:// without credentials is valid",
            configuration: SMTPConfiguration(url: "smtp://relay.internal:25", requireTLS: false), valid: true),
        ConfigRow(
            rule: "credentials over opportunistic smtp:// are refused",
            configuration: SMTPConfiguration(url: "smtp://mail.example:25", username: "u", password: "p", requireTLS: false), valid: false),
        ConfigRow(
            rule: "credentials over opportunistic smtp:// are allowed only with allowInsecureForTesting",
            configuration: SMTPConfiguration(url: "smtp://127.0.0.1:25", username: "u", password: "p", requireTLS: false, allowInsecureForTesting: true),
            valid: true),
        ConfigRow(
            rule: "an http:// URL is refused",
            configuration: SMTPConfiguration(url: "http://mail.example"), valid: false),
        ConfigRow(
            rule: "a URL with a newline is refused",
            configuration: SMTPConfiguration(url: "smtp://mail.example\r\n:25"), valid: false),
        ConfigRow(
            rule: "a zero timeout is refused",
            configuration: SMTPConfiguration(url: "smtp://mail.example", timeout: 0), valid: false),
        ConfigRow(
            rule: "a password with CR LF is refused",
            configuration: SMTPConfiguration(url: "smtps://mail.example", username: "u", password: "p\r\nRSET"), valid: false),
    ])
    func configuration(row: ConfigRow) {
        if row.valid {
            #expect(throws: Never.self) { try row.configuration.validate() }
        } else {
            let error = #expect(throws: SMTPError.self) { try row.configuration.validate() }
            if case .invalidConfiguration? = error {} else { Issue.record("expected invalidConfiguration, got \(String(describing: error))") }
        }
    }

    @Test("every configuration problem is reported at once")
    func reportsAllProblems() {
        #expect(
            throws: SMTPError.invalidConfiguration(
                "url must start with smtp:// or smtps://; timeout must be positive; password given without username")
        ) {
            try SMTPConfiguration(url: "ftp://x", password: "p", requireTLS: true, timeout: -1).validate()
        }
    }

    @Test("a configuration's description hides the password")
    func descriptionHidesPassword() {
        let configuration = SMTPConfiguration(url: "smtps://mail.example", username: "u", password: "hunter2")
        #expect(!"\(configuration)".contains("hunter2"))
        #expect(!String(reflecting: configuration).contains("hunter2"))
    }

    @Test(
        "plain addresses are accepted",
        arguments: [
            "a@b", "first.last@example.com", "user+tag@sub.example.co.uk", "x_y-z!#$%&'*/=?^`{|}~@example.com", "a@localhost",
        ])
    func acceptsAddress(address: String) throws {
        try MailAddress.validate(address)
    }

    @Test(
        "addresses that could inject or are not plain are refused",
        arguments: [
            "", "no-at-sign", "@example.com", "a@", "a@b\r\nRCPT TO:<evil@x>", "a@b>", "<a@b>", "a b@example.com",
            "\"quoted\"@example.com", "a..b@example.com", ".a@example.com", "a.@example.com", "a@-example.com",
            "a@example..com", "ü@example.com", "a@exämple.com", String(repeating: "a", count: 65) + "@example.com",
        ])
    func refusesAddress(address: String) {
        #expect(throws: SMTPError.self) { try MailAddress.validate(address) }
    }

    @Test(
        "raw messages must have CRLF line endings, no NUL and lines of at most 998 octets",
        arguments: [
            ("Subject: x\r\n\r\nok\r\n", true),
            ("Subject: x\n\nbare LF\n", false),
            ("Subject: x\r\n\r\nbare\rCR\r\n", false),
            ("Subject: x\r\n\r\nNUL\u{0}\r\n", false),
            ("Subject: x\r\n\r\n" + String(repeating: "a", count: 998) + "\r\n", true),
            ("Subject: x\r\n\r\n" + String(repeating: "a", count: 999) + "\r\n", false),
        ])
    func framing(rfc822: String, valid: Bool) async {
        // A sender pointing at the discard port on loopback: validation must fail before any connect.
        let sender = SMTPSender(configuration: SMTPConfiguration(url: "smtp://127.0.0.1:9", requireTLS: false, timeout: 2))
        let message = MailMessage(from: "a@example.test", to: ["b@example.test"], rfc822: Array(rfc822.utf8))
        do {
            try await sender.send(message)
            Issue.record("nothing listens on port 9; expected a failure")
        } catch let error as SMTPError {
            #expect(!valid, "unexpected \(error)")
        } catch {
            #expect(valid, "framing should have been refused before connecting, got \(error)")
        }
    }
}
