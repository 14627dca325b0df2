import Foundation
import GatehouseOutbound
import Testing

/// Deliveries to real aiosmtpd servers, checked by Python's own MIME parser on the other side.
@Suite(.enabled(if: LocalSMTPServer.python != nil, LocalSMTPServer.skipReason), .localSMTPServer)
struct SMTPSenderTests {
    let server = LocalSMTPServer.running

    func message(to recipients: [String], subject: String = "Grüße – your sign-in code 🔐") throws -> MailMessage {
        try MIMEMessageBuilder(
            from: MailAddress("noreply@gatehouse.test", displayName: "Gatehouse Café"),
            to: recipients.map { MailAddress($0) },
            subject: subject,
            textBody: "Your code is 123456.\n\nIt expires in 10 minutes. Ünïcödé survives.",
            htmlBody: "<p>Your code is <b>123456</b>.</p>\n<p style=\"color:#333\">Ünïcödé survives.</p>"
        ).build()
    }

    @Test("a multipart message over smtp:// (opportunistic TLS, none offered) arrives with subject, both parts and every recipient")
    func deliversMultipartInClear() async throws {
        let sender = SMTPSender(configuration: SMTPConfiguration(url: "smtp://127.0.0.1:\(server.plainPort)", requireTLS: false))
        let recipients = ["alice.\(UUID().uuidString.prefix(8))@example.test", "bob@example.test"]
        try await sender.send(try message(to: recipients))

        let delivery = try #require(await server.delivery(to: recipients[0]))
        #expect(delivery.mailFrom == "noreply@gatehouse.test")
        #expect(delivery.rcptTos == recipients)
        #expect(delivery.subject == "Grüße – your sign-in code 🔐")
        #expect(delivery.from == "Gatehouse Café <noreply@gatehouse.test>")
        #expect(delivery.to == recipients.joined(separator: ", "))
        #expect(delivery.contentType == "multipart/alternative")
        #expect(delivery.text == "Your code is 123456.\n\nIt expires in 10 minutes. Ünïcödé survives.")
        #expect(delivery.html == "<p>Your code is <b>123456</b>.</p>\n<p style=\"color:#333\">Ünïcödé survives.</p>")
        #expect(delivery.tls == false)
        #expect(delivery.defects.isEmpty)
        #expect(delivery.raw.unicodeScalars.allSatisfy { $0.isASCII }, "the message on the wire is 7-bit")
    }

    @Test("a line starting with a dot survives SMTP transparency")
    func leadingDotSurvives() async throws {
        let sender = SMTPSender(configuration: SMTPConfiguration(url: "smtp://127.0.0.1:\(server.plainPort)", requireTLS: false))
        let recipient = "dots.\(UUID().uuidString.prefix(8))@example.test"
        let rfc822 = "From: a@gatehouse.test\r\nTo: \(recipient)\r\nSubject: dots\r\n\r\n.\r\n..two\r\nend\r\n"
        try await sender.send(MailMessage(from: "a@gatehouse.test", to: [recipient], rfc822: Array(rfc822.utf8)))
        let delivery = try #require(await server.delivery(to: recipient))
        #expect(delivery.text == ".\n..two\nend\n")
    }

    @Test("requireTLS refuses a server that does not offer STARTTLS, delivering nothing")
    func requireTLSRefusesPlainServer() async throws {
        let sender = SMTPSender(configuration: SMTPConfiguration(url: "smtp://127.0.0.1:\(server.plainPort)", requireTLS: true))
        let recipient = "never.\(UUID().uuidString.prefix(8))@example.test"
        #expect(await errorKind { try await sender.send(try message(to: [recipient])) } == .tlsFailure)
        #expect(try await server.deliveriesCount(to: recipient) == 0)
    }

    @Test("a refused recipient surfaces the SMTP reply code and nothing is delivered")
    func rejectedRecipientSurfacesReplyCode() async throws {
        let sender = SMTPSender(configuration: SMTPConfiguration(url: "smtp://127.0.0.1:\(server.plainPort)", requireTLS: false))
        let good = "good.\(UUID().uuidString.prefix(8))@example.test"
        do {
            try await sender.send(try message(to: [good, "nobody@rejected.test"]))
            Issue.record("expected a rejection")
        } catch let SMTPError.rejected(code, _) {
            #expect(code == 550)
        }
        #expect(try await server.deliveriesCount(to: good) == 0)
    }

    @Test("STARTTLS with the server's CA delivers encrypted and authenticates", .enabled(if: TestProcess.hasOpenSSL, TestProcess.noOpenSSL))
    func startTLSWithAuthentication() async throws {
        let port = try #require(server.startTLSPort)
        let sender = SMTPSender(
            configuration: SMTPConfiguration(
                url: "smtp://127.0.0.1:\(port)", username: "mailer", password: "s3cret", requireTLS: true,
                caBundlePath: server.certificatePath))
        let recipient = "tls.\(UUID().uuidString.prefix(8))@example.test"
        try await sender.send(try message(to: [recipient]))
        let delivery = try #require(await server.delivery(to: recipient))
        #expect(delivery.tls)
        #expect(delivery.login == "mailer")
    }

    @Test("opportunistic TLS upgrades when the server offers STARTTLS", .enabled(if: TestProcess.hasOpenSSL, TestProcess.noOpenSSL))
    func opportunisticTLSUpgrades() async throws {
        let port = try #require(server.startTLSPort)
        let sender = SMTPSender(
            configuration: SMTPConfiguration(
                url: "smtp://127.0.0.1:\(port)", requireTLS: false, caBundlePath: server.certificatePath))
        let recipient = "upgrade.\(UUID().uuidString.prefix(8))@example.test"
        try await sender.send(try message(to: [recipient]))
        #expect(try #require(await server.delivery(to: recipient)).tls)
    }

    @Test("a wrong password is authenticationFailed", .enabled(if: TestProcess.hasOpenSSL, TestProcess.noOpenSSL))
    func wrongPasswordFails() async throws {
        let port = try #require(server.startTLSPort)
        let sender = SMTPSender(
            configuration: SMTPConfiguration(
                url: "smtp://127.0.0.1:\(port)", username: "mailer", password: "wrong", caBundlePath: server.certificatePath))
        await #expect(throws: SMTPError.authenticationFailed) {
            try await sender.send(try message(to: ["x@example.test"]))
        }
    }

    @Test("STARTTLS to a server whose certificate is not trusted is a tlsFailure", .enabled(if: TestProcess.hasOpenSSL, TestProcess.noOpenSSL))
    func untrustedStartTLSFails() async throws {
        let port = try #require(server.startTLSPort)
        let sender = SMTPSender(configuration: SMTPConfiguration(url: "smtp://127.0.0.1:\(port)", requireTLS: true))
        #expect(await errorKind { try await sender.send(try message(to: ["x@example.test"])) } == .tlsFailure)
    }

    @Test("smtps:// delivers over implicit TLS", .enabled(if: TestProcess.hasOpenSSL, TestProcess.noOpenSSL))
    func implicitTLSDelivers() async throws {
        let port = try #require(server.implicitTLSPort)
        let sender = SMTPSender(configuration: SMTPConfiguration(url: "smtps://127.0.0.1:\(port)", caBundlePath: server.certificatePath))
        let recipient = "smtps.\(UUID().uuidString.prefix(8))@example.test"
        try await sender.send(try message(to: [recipient]))
        #expect(try #require(await server.delivery(to: recipient)).tls)
    }

    @Test("a closed port is connectionFailed")
    func closedPortFails() async throws {
        let port = try ClosedPort.make()
        let sender = SMTPSender(configuration: SMTPConfiguration(url: "smtp://127.0.0.1:\(port)", requireTLS: false))
        #expect(await errorKind { try await sender.send(try message(to: ["x@example.test"])) } == .connectionFailed)
    }
}

extension LocalSMTPServer {
    /// How many deliveries list `recipient`, after giving a stray one time to land.
    func deliveriesCount(to recipient: String) async throws -> Int {
        try await Task.sleep(for: .milliseconds(200))
        let files = try FileManager.default.contentsOfDirectory(at: deliveries, includingPropertiesForKeys: nil)
        return try files.filter { $0.pathExtension == "json" }.count {
            try JSONDecoder().decode(Delivery.self, from: Data(contentsOf: $0)).rcptTos.contains(recipient)
        }
    }
}
