import Foundation
import GatehouseCore
@testable import GatehouseWeb
import GatehouseStore
import Logging
import Testing

/// EmailService: rendering (overrides, escaping), MIME output, the durable outbox and delivery to
/// the outbox folder.
@Suite("Web: email rendering and outbox")
struct EmailServiceTests {
    /// A store with one tenant and an EmailService without SMTP, in a fresh folder.
    struct Fixture {
        let directory: URL
        let store: InstanceStore
        let database: TenantDatabase
        let mail: EmailService

        static func make(from: String? = nil, retryBase: Int = 30) async throws -> Fixture {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-mail-\(UUID().uuidString)")
            var configuration = GatehouseConfiguration()
            configuration.publicURL = "https://id.example.com"
            configuration.mailFrom = from
            configuration.mailRetryBaseSeconds = retryBase
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let store = try InstanceStore(
                configuration: StoreConfiguration(dataDirectory: directory), masterKey: Array(repeating: 7, count: 32),
                clock: SystemClock(), logger: logger)
            let tenant = try await store.createTenant(slug: "acme", name: "Acme <Production>", environment: .dev, settings: TenantSettings())
            let mail = try EmailService(
                settings: try MailSettings(configuration: configuration, dataDirectory: directory),
                directory: repositoryRoot.appendingPathComponent("templates/email").path, store: store,
                clock: SystemClock(), logger: logger, publicURL: "https://id.example.com")
            return Fixture(directory: directory, store: store, database: try await store.database(for: tenant), mail: mail)
        }

        func cleanUp() { try? FileManager.default.removeItem(at: directory) }
    }

    /// The parts of an RFC 5322 message: headers (unfolded) and the decoded text/plain and text/html bodies.
    struct Parsed {
        var headers: [String: String] = [:]
        var text = ""
        var html: String?

        init(_ bytes: [UInt8]) {
            let message = String(decoding: bytes, as: UTF8.self)
            let split = message.range(of: "\r\n\r\n")!
            let head = message[..<split.lowerBound].replacingOccurrences(of: "\r\n ", with: " ")
            for line in head.components(separatedBy: "\r\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[String(line[..<colon]).lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            let body = String(message[split.upperBound...])
            for part in body.components(separatedBy: "\r\n--") {
                guard let blank = part.range(of: "\r\n\r\n") else { continue }
                let partHead = part[..<blank.lowerBound].lowercased()
                let decoded = Self.quotedPrintable(String(part[blank.upperBound...]))
                if partHead.contains("content-type: text/plain") { text = decoded }
                if partHead.contains("content-type: text/html") { html = decoded }
            }
        }

        static func quotedPrintable(_ s: String) -> String {
            var bytes: [UInt8] = []
            let input = Array(s.replacingOccurrences(of: "=\r\n", with: "").utf8)
            var i = 0
            while i < input.count {
                if input[i] == UInt8(ascii: "="), i + 2 < input.count, let v = UInt8(String(decoding: input[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) {
                    bytes.append(v)
                    i += 3
                } else {
                    bytes.append(input[i])
                    i += 1
                }
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    @Test("a queued email is a multipart message with From, To, Subject, Date and Message-ID, stored in the outbox")
    func mimeMessage() async throws {
        let f = try await Fixture.make()
        defer { f.cleanUp() }
        let id = try await f.mail.send(
            .verifyEmail, to: "ada@example.org",
            values: [
                "user_email": "ada@example.org", "user_name": "Ada", "link": "https://id.example.com/t/acme/verify-email?token=abc&x=1",
                "code": "482910", "expires_minutes": "60",
            ], database: f.database)
        #expect(id.hasPrefix("msg_"))
        let due = try await f.database.dueMail(at: Date().addingTimeInterval(1))
        #expect(due.map(\.id) == [id])
        let stored = try #require(due.first)
        #expect(stored.recipient == "ada@example.org" && stored.envelopeFrom == "no-reply@id.example.com")
        #expect(stored.template == "email/verify" && stored.attempts == 0)
        let parsed = Parsed(stored.message)
        #expect(parsed.headers["from"] == "\"Acme <Production>\" <no-reply@id.example.com>")
        #expect(parsed.headers["to"] == "ada@example.org")
        #expect(parsed.headers["subject"] == "Confirm your email address for Acme <Production>")
        #expect(parsed.headers["message-id"] == "<\(id)@id.example.com>")
        #expect(parsed.headers["date"]?.hasSuffix("+0000") == true)
        #expect(parsed.headers["auto-submitted"] == "auto-generated")
        #expect(parsed.headers["content-type"]?.hasPrefix("multipart/alternative") == true)
        // The text part is not HTML: the link keeps its '&'. The HTML part escapes it in the attribute.
        #expect(parsed.text.contains("https://id.example.com/t/acme/verify-email?token=abc&x=1"))
        #expect(parsed.text.contains("482910") && parsed.text.contains("Hi Ada,") && parsed.text.contains("60 minutes"))
        let html = try #require(parsed.html)
        #expect(html.contains("href=\"https://id.example.com/t/acme/verify-email?token=abc&amp;x=1\""))
        #expect(html.contains("Acme &lt;Production&gt;"))
        // Lines are CRLF and short.
        let raw = String(decoding: stored.message, as: UTF8.self)
        #expect(!raw.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(raw.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })
        // The index knows the tenant has mail.
        let pending = try await f.store.tenantsWithPendingMail(dueBy: Date().addingTimeInterval(1))
        #expect(pending.map(\.tenant.slug) == ["acme"])
    }

    static let hostile = "<script>alert(1)</script>\"'&{{x}}"

    @Test("every variable of every default email is escaped in the HTML part", arguments: EmailTemplate.allCases)
    func escaping(_ template: EmailTemplate) async throws {
        let f = try await Fixture.make()
        defer { f.cleanUp() }
        let keys = ["user_email", "user_name", "link", "code", "expires_minutes", "change", "remaining", "account_url"]
        let rendered = try f.mail.render(
            named: template.rawValue, values: Dictionary(uniqueKeysWithValues: keys.map { ($0, Self.hostile) }),
            database: f.database)
        let html = try #require(rendered.html)
        #expect(!html.contains("<script"), "\(template)")
        #expect(html.contains("&lt;script&gt;"), "\(template) shows some value")
        #expect(!rendered.subject.contains("\n"))
    }

    @Test("a name with a line break cannot add a header: the subject stays one line")
    func subjectIsOneLine() async throws {
        let f = try await Fixture.make()
        defer { f.cleanUp() }
        try await f.database.saveTemplateOverride(
            TemplateOverride(
                name: "email/code", subject: "Hi {{user_name}}", text: "{{code}}",
                updatedAt: Date()), author: "test")
        let id = try await f.mail.send(
            .oneTimeCode, to: "a@example.org", values: ["user_name": "Eve\r\nBcc: victim@example.org", "code": "1"],
            database: f.database)
        let message = try #require(try await f.database.dueMail(at: Date().addingTimeInterval(1)).first { $0.id == id })
        let parsed = Parsed(message.message)
        #expect(parsed.headers["subject"] == "Hi Eve Bcc: victim@example.org")
        #expect(parsed.headers["bcc"] == nil)
        #expect(parsed.html == nil, "an override without html is text only")
        #expect(parsed.headers["content-type"]?.hasPrefix("text/plain") == true)
    }

    @Test("an override replaces the default at once; removing it brings the default back")
    func overrides() async throws {
        let f = try await Fixture.make(from: "Identity Team <id@mail.example.com>")
        defer { f.cleanUp() }
        let before = try f.mail.render(named: "email/reset", values: ["link": "L"], database: f.database)
        #expect(before.subject == "Reset your Acme <Production> password")
        try await f.database.saveTemplateOverride(
            TemplateOverride(
                name: "email/reset", subject: "{{tenant_name}}: new password", text: "Go to {{link}}", html: "<a href=\"{{link}}\">reset</a>",
                updatedAt: Date()), author: "test")
        let after = try f.mail.render(named: "email/reset", values: ["link": "L"], database: f.database)
        #expect(after == RenderedEmail(subject: "Acme <Production>: new password", text: "Go to L", html: "<a href=\"L\">reset</a>"))
        #expect(try await f.database.deleteTemplateOverride(named: "email/reset", author: "test", at: Date()))
        #expect(try f.mail.render(named: "email/reset", values: ["link": "L"], database: f.database) == before)
        #expect(throws: EmailError.unknownTemplate("email/nope")) { try f.mail.render(named: "email/nope", values: [:], database: f.database) }
        // The configured From display name wins over the tenant name.
        let id = try await f.mail.send(.resetPassword, to: "a@example.org", values: ["link": "L"], database: f.database)
        let message = try #require(try await f.database.dueMail(at: Date().addingTimeInterval(1)).first { $0.id == id })
        #expect(Parsed(message.message).headers["from"] == "\"Identity Team\" <id@mail.example.com>")
    }

    @Test(
        "recipients that are not plain ASCII addresses are refused before anything is stored",
        arguments: [
            "not-an-address", "a@b@c", "ada@exa mple.org", "ünï@example.org", "a@example.org\r\nBcc: x@y.z",
        ])
    func badRecipients(_ to: String) async throws {
        let f = try await Fixture.make()
        defer { f.cleanUp() }
        await #expect(throws: EmailError.self) { try await f.mail.send(.oneTimeCode, to: to, values: ["code": "1"], database: f.database) }
        #expect(try await f.database.outbox().isEmpty)
    }

    @Test("without SMTP the worker writes <data>/outbox/<id>.eml (0600), marks it sent, drops its content and clears the index")
    func outboxFolder() async throws {
        let f = try await Fixture.make()
        defer { f.cleanUp() }
        let id = try await f.mail.send(.magicLink, to: "ada@example.org", values: ["link": "https://x.example/m?token=secret"], database: f.database)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let worker = MailDeliveryService(mail: f.mail, store: f.store, logger: logger)
        await worker.deliverDue()
        let file = f.directory.appendingPathComponent("outbox/\(id).eml")
        let data = try #require(FileManager.default.contents(atPath: file.path))
        #expect(Parsed(Array(data)).text.contains("https://x.example/m?token=secret"))
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let entry = try #require(try await f.database.outbox().first)
        #expect(entry.sentAt != nil && entry.failedAt == nil && entry.attempts == 0)
        #expect(try await f.database.dueMail(at: .distantFuture).isEmpty)
        #expect(try await f.store.tenantsWithPendingMail(dueBy: nil).isEmpty)
    }

    @Test("retries wait base · 2^(n−1), capped; SMTP 5xx and bad addresses are permanent, the rest is retried")
    func retryPolicy() async throws {
        var configuration = GatehouseConfiguration()
        configuration.mailRetryBaseSeconds = 30
        let settings = try MailSettings(configuration: configuration, dataDirectory: URL(fileURLWithPath: "/tmp"))
        #expect((1...9).map { settings.retryDelay(afterFailures: $0) } == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600])
        #expect(settings.maxAttempts == 10)
        #expect(MailDeliveryService.isPermanent(SMTPErrorCase.rejected550))
        #expect(!MailDeliveryService.isPermanent(SMTPErrorCase.rejected451))
        #expect(!MailDeliveryService.isPermanent(CancellationError()))
    }

    @Test("a failed attempt is rescheduled, then given up after max_attempts with its content dropped")
    func failures() async throws {
        let f = try await Fixture.make()
        defer { f.cleanUp() }
        let id = try await f.mail.send(.oneTimeCode, to: "a@example.org", values: ["code": "1"], database: f.database)
        let now = Date()
        try await f.database.markMailAttemptFailed(id: id, error: "connection refused", retryAt: now.addingTimeInterval(30), at: now)
        #expect(try await f.database.dueMail(at: now).isEmpty)
        let next = try #require(try await f.database.nextMailDue())
        #expect(abs(next.timeIntervalSince(now) - 30) < 0.01)
        try await f.database.markMailAttemptFailed(id: id, error: "connection refused", retryAt: nil, at: now)
        let entry = try #require(try await f.database.outbox().first)
        #expect(entry.attempts == 2 && entry.failedAt != nil && entry.lastError == "connection refused")
        #expect(try await f.database.nextMailDue() == nil)
    }

    @Test("SMTP settings: loopback needs no TLS, credentials move out of the URL, bad values are reported")
    func settings() throws {
        var c = GatehouseConfiguration()
        c.smtpURL = "smtp://user:p%40ss@127.0.0.1:2525"
        let loopback = try #require(try MailSettings(configuration: c, dataDirectory: URL(fileURLWithPath: "/tmp")).smtp)
        #expect(loopback.requireTLS == false && loopback.username == "user" && loopback.password == "p@ss")
        #expect(loopback.url == "smtp://127.0.0.1:2525")
        c.smtpURL = "smtp://mail.example.com:587"
        #expect(try MailSettings(configuration: c, dataDirectory: URL(fileURLWithPath: "/tmp")).smtp?.requireTLS == true)
        c.smtpRequireTLS = false
        c.smtpUsername = "u"
        c.smtpPassword = "p"
        #expect(throws: GatehouseConfiguration.Invalid.self) { try MailSettings(configuration: c, dataDirectory: URL(fileURLWithPath: "/tmp")) }
        var d = GatehouseConfiguration()
        #expect(d.effectiveMailFrom == "no-reply@localhost")
        d.publicURL = "https://login.acme.com"
        #expect(d.effectiveMailFrom == "no-reply@login.acme.com")
        // The host's ASCII form, lowercased, when it is a DNS name (a Unicode host becomes its
        // IDNA A-label, as a mailbox domain without SMTPUTF8 must be); IP literals and single
        // labels fall back to localhost.
        d.publicURL = "https://Login.Acme.com:8443/base"
        #expect(d.effectiveMailFrom == "no-reply@login.acme.com")
        for url in ["https://xn--mnchen-3ya.example", "https://münchen.example"] {
            d.publicURL = url
            #expect(d.effectiveMailFrom == "no-reply@xn--mnchen-3ya.example", "\(url)")
        }
        for url in ["https://10.0.0.1", "https://[::1]:8443", "http://localhost:8080"] {
            d.publicURL = url
            #expect(d.effectiveMailFrom == "no-reply@localhost", "\(url)")
        }
        d.mailFrom = "not an address"
        #expect(d.validate().contains { $0.key == "mail.from" })
    }
}

import GatehouseOutbound

enum SMTPErrorCase {
    static let rejected550: any Error = SMTPError.rejected(code: 550, message: "no such user")
    static let rejected451: any Error = SMTPError.rejected(code: 451, message: "try later")
}
