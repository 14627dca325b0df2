import Foundation
import GatehouseOutbound
import Testing

/// The message format: RFC 5322 framing, RFC 2045 quoted-printable, RFC 2047 encoded-words,
/// RFC 2046 multipart/alternative — checked by rule, then read back by Python's `email` parser.
struct MIMEMessageBuilderTests {
    static let epoch = Date(timeIntervalSince1970: 0)

    @Test(
        "quoted-printable encodes by RFC 2045 §6.7",
        arguments: [
            ("plain text", "plain text"),
            ("héllo", "h=C3=A9llo"),
            ("a=b", "a=3Db"),
            ("trailing space ", "trailing space=20"),
            ("trailing tab\t", "trailing tab=09"),
            ("inner  spaces\tand tabs", "inner  spaces\tand tabs"),
            ("line1\nline2\r\nline3\rline4", "line1\r\nline2\r\nline3\r\nline4"),
            (".leading dot", "=2Eleading dot"),
            ("From the team", "=46rom the team"),
            ("Fromage", "Fromage"),
            ("tab\u{7F}del", "tab=7Fdel"),
        ])
    func quotedPrintable(input: String, encoded: String) {
        #expect(MIMEEncoding.quotedPrintable(input) == encoded)
    }

    @Test("quoted-printable soft-wraps at 76 characters without splitting an escape")
    func quotedPrintableWraps() {
        for input in [String(repeating: "a", count: 200), String(repeating: "é", count: 100), String(repeating: "ab=", count: 60)] {
            let encoded = MIMEEncoding.quotedPrintable(input)
            let lines = encoded.components(separatedBy: "\r\n")
            #expect(lines.count > 1)
            #expect(lines.allSatisfy { $0.count <= 76 })
            #expect(lines.dropLast().allSatisfy { $0.hasSuffix("=") && !$0.dropLast().hasSuffix("=") })
            let unwrapped = encoded.replacingOccurrences(of: "=\r\n", with: "")
            #expect(!unwrapped.contains(where: { $0 == "\r" || $0 == "\n" }))
        }
    }

    @Test(
        "encoded-words hold whole characters and stay within 75 characters",
        arguments: [
            "Grüße", "🔐🔐🔐🔐🔐🔐🔐🔐🔐🔐🔐🔐🔐🔐🔐🔐🔐🔐🔐🔐", String(repeating: "日本語", count: 30), "e\u{301}" + String(repeating: "x", count: 37) + "e\u{301}",
        ])
    func encodedWordsAreWhole(text: String) throws {
        let words = MIMEEncoding.encodedWords(text)
        var decoded = ""
        for word in words {
            #expect(word.count <= 75)
            #expect(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?="))
            let payload = try #require(Data(base64Encoded: String(word.dropFirst(10).dropLast(2))))
            let piece = try #require(String(data: payload, encoding: .utf8), "each word must be valid UTF-8 on its own")
            decoded += piece
        }
        #expect(decoded == text)
    }

    @Test(
        "the Date header is RFC 5322 date-time in UTC",
        arguments: [
            (0.0, "Thu, 01 Jan 1970 00:00:00 +0000"),
            (1_795_000_000, "Wed, 18 Nov 2026 11:06:40 +0000"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 +0000"),
        ])
    func dateHeader(seconds: Double, text: String) {
        #expect(MIMEEncoding.rfc5322Date(Date(timeIntervalSince1970: seconds)) == text)
    }

    func build(_ change: (inout MIMEMessageBuilder) -> Void = { _ in }) throws -> (MailMessage, String) {
        var builder = MIMEMessageBuilder(
            from: MailAddress("noreply@gatehouse.test", displayName: "Gatehouse"),
            to: [MailAddress("alice@example.test")], subject: "Hello", textBody: "Hi", htmlBody: "<p>Hi</p>", date: Self.epoch)
        change(&builder)
        let message = try builder.build()
        return (message, String(decoding: message.rfc822, as: UTF8.self))
    }

    @Test("the message is 7-bit, CRLF-only, with lines of at most 78 characters")
    func framing() throws {
        let (message, text) = try build {
            $0.subject = String(repeating: "Ünïcödé subject words ", count: 12)
            $0.to = (0..<12).map { MailAddress("recipient\($0)@example.test", displayName: "Recipient Number \($0)") }
            $0.textBody = String(repeating: "long line with ümlauts ", count: 40) + "\nshort\n"
        }
        #expect(message.rfc822.allSatisfy { $0 < 0x80 })
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains(where: { $0 == "\r" || $0 == "\n" }))
        #expect(text.hasSuffix("\r\n"))
        #expect(text.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })
        #expect(message.to.count == 12)
    }

    @Test("headers carry Date, From, To, Subject, Message-ID and MIME-Version")
    func headers() throws {
        let (message, text) = try build { $0.messageID = "fixed-id@gatehouse.test" }
        let headerBlock = text.components(separatedBy: "\r\n\r\n")[0]
        #expect(headerBlock.contains("Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"))
        #expect(headerBlock.contains("From: \"Gatehouse\" <noreply@gatehouse.test>\r\n"))
        #expect(headerBlock.contains("To: alice@example.test\r\n"))
        #expect(headerBlock.contains("Subject: Hello\r\n"))
        #expect(headerBlock.contains("Message-ID: <fixed-id@gatehouse.test>\r\n"))
        #expect(headerBlock.contains("MIME-Version: 1.0\r\n"))
        #expect(headerBlock.contains("Content-Type: multipart/alternative;\r\n boundary=\"=_gatehouse_"))
        #expect(message.from == "noreply@gatehouse.test")
        #expect(message.to == ["alice@example.test"])
    }

    @Test("a generated Message-ID is unique and uses the sender's domain")
    func generatedMessageID() throws {
        let first = try build().1, second = try build().1
        func messageID(_ text: String) -> String? {
            text.components(separatedBy: "\r\n").first { $0.hasPrefix("Message-ID: ") }
        }
        #expect(messageID(first) != messageID(second))
        #expect(messageID(first)?.hasSuffix("@gatehouse.test>") == true)
    }

    @Test("without an HTML body the message is a single text/plain part")
    func singlePart() throws {
        let (_, text) = try build { $0.htmlBody = nil }
        #expect(text.contains("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nHi\r\n"))
        #expect(!text.contains("multipart"))
    }

    struct RefusalRow: Sendable, CustomTestStringConvertible {
        var rule: String
        var change: @Sendable (inout MIMEMessageBuilder) -> Void
        var testDescription: String { rule }
    }

    @Test(arguments: [
        RefusalRow(rule: "a subject with CR LF is refused (header injection)") { $0.subject = "Hi\r\nBcc: evil@x.test" },
        RefusalRow(rule: "a display name with LF is refused") { $0.from.displayName = "Evil\nBcc: x@y.test" },
        RefusalRow(rule: "an invalid sender address is refused") { $0.from = MailAddress("not an address") },
        RefusalRow(rule: "no recipients is refused") { $0.to = [] },
        RefusalRow(rule: "an additional header may not replace a managed one") { $0.additionalHeaders = [("Bcc", "x@y.test")] },
        RefusalRow(rule: "an additional header value must be printable ASCII") { $0.additionalHeaders = [("X-Note", "a\r\nb")] },
        RefusalRow(rule: "a Message-ID with angle brackets is refused") { $0.messageID = "<id@x>" },
    ])
    func refuses(row: RefusalRow) {
        #expect(throws: SMTPError.self) { try build(row.change) }
    }

    struct RoundTripRow: Sendable, CustomTestStringConvertible {
        var rule: String
        var subject: String
        var displayName: String?
        var text: String
        var html: String?
        var testDescription: String { rule }
    }

    @Test(arguments: [
        RoundTripRow(
            rule: "ASCII subject and bodies read back unchanged", subject: "Your sign-in code", displayName: "Gatehouse",
            text: "Code: 123456", html: "<b>123456</b>"),
        RoundTripRow(
            rule: "a non-ASCII subject and display name read back via RFC 2047", subject: "Grüße – 🔐 Anmeldung",
            displayName: "Café Gatehouse", text: "Hallo", html: nil),
        RoundTripRow(
            rule: "a long subject is folded and reads back whole", subject: String(repeating: "word ", count: 40) + "end",
            displayName: nil, text: "x", html: nil),
        RoundTripRow(
            rule: "a subject that looks like an encoded-word is not decoded", subject: "=?UTF-8?B?SGk=?= literally",
            displayName: "=?x?", text: "x", html: nil),
        RoundTripRow(
            rule: "a display name with quotes and backslashes is escaped", subject: "s",
            displayName: #"O'Brien "Q" \ Co"#, text: "x", html: nil),
        RoundTripRow(
            rule: "dots, From lines, trailing spaces and long lines survive the body encoding", subject: "s", displayName: nil,
            text: ".\nFrom here \n" + String(repeating: "é", count: 300) + "\n\ttab", html: "<p>\n.\n</p>"),
    ])
    func pythonReadsItBack(row: RoundTripRow) throws {
        let (message, _) = try build {
            $0.subject = row.subject
            $0.from.displayName = row.displayName
            $0.textBody = row.text
            $0.htmlBody = row.html
        }
        let parsed = try PythonEmailParser.parse(message.rfc822)
        #expect(parsed.subject == row.subject)
        #expect(parsed.fromName == (row.displayName ?? ""))
        #expect(parsed.fromAddress == "noreply@gatehouse.test")
        // In a multipart body the CRLF before a boundary belongs to the boundary (RFC 2046 §5.1.1);
        // a single-part body keeps its final line break.
        #expect(parsed.text == row.text + (row.html == nil ? "\n" : ""))
        #expect(parsed.html == row.html)
        #expect(parsed.defects.isEmpty)
    }
}

/// Reads a message with Python's standard `email` package (always present with python3).
enum PythonEmailParser {
    struct Parsed: Decodable {
        var subject: String
        var fromName: String
        var fromAddress: String
        var text: String?
        var html: String?
        var defects: [String]
    }

    static let script = """
        import email, email.policy, json, sys
        m = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)
        def body(kind):
            p = m.get_body(preferencelist=(kind,))
            return p.get_content().replace("\\r\\n", "\\n") if p is not None and p.get_content_type() == "text/" + kind else None
        a = m["from"].addresses[0]
        print(json.dumps({"subject": str(m["subject"]), "fromName": a.display_name, "fromAddress": a.addr_spec,
            "text": body("plain"), "html": body("html"),
            "defects": [type(d).__name__ for p in m.walk() for d in p.defects] + [type(d).__name__ for h in m.values() for d in getattr(h, "defects", ())]}))
        """

    static func parse(_ rfc822: [UInt8]) throws -> Parsed {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        try input.fileHandleForWriting.write(contentsOf: Data(rfc822))
        try input.fileHandleForWriting.close()
        let data = try output.fileHandleForReading.readToEnd() ?? Data()
        process.waitUntilExit()
        return try JSONDecoder().decode(Parsed.self, from: data)
    }
}
