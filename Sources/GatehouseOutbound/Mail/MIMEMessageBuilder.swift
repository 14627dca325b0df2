public import Foundation

/// Builds an RFC 5322 / MIME message: a text part, optionally with an HTML alternative.
///
/// The output is 7-bit: headers are ASCII (non-ASCII subjects and display names become RFC 2047
/// encoded-words), bodies are UTF-8 in quoted-printable, lines end in CRLF and stay within 78
/// characters (the 998-octet limit is checked). With an HTML body the message is
/// `multipart/alternative` (RFC 2046 §5.1.4), plain text first; the boundary starts with `=_`,
/// which quoted-printable output can never contain, so no body can end a part early.
public struct MIMEMessageBuilder: Sendable {
    /// The author (`From`) and the envelope sender.
    public var from: MailAddress
    /// The recipients (`To`) and the envelope recipients; at least one.
    public var to: [MailAddress]
    /// `Reply-To`, if any.
    public var replyTo: MailAddress?
    /// The subject; any Unicode, no CR or LF.
    public var subject: String
    /// The plain-text body (any line endings; normalised to CRLF).
    public var textBody: String
    /// An HTML alternative, or `nil` for a single text/plain message.
    public var htmlBody: String?
    /// The `Date` header's value. Default: when the builder was made.
    public var date: Date
    /// The `Message-ID` without angle brackets; default: 128 random bits `@` the sender's domain.
    public var messageID: String?
    /// Extra header fields, e.g. `("Auto-Submitted", "auto-generated")`: token names, printable ASCII values.
    public var additionalHeaders: [(name: String, value: String)]

    public init(
        from: MailAddress,
        to: [MailAddress],
        subject: String,
        textBody: String,
        htmlBody: String? = nil,
        date: Date = Date(),
        additionalHeaders: [(name: String, value: String)] = []
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.textBody = textBody
        self.htmlBody = htmlBody
        self.date = date
        self.additionalHeaders = additionalHeaders
    }

    /// Header names the builder writes itself.
    private static let managedHeaders: Set<String> = [
        "from", "to", "cc", "bcc", "reply-to", "subject", "date", "message-id", "mime-version",
        "content-type", "content-transfer-encoding",
    ]

    /// Builds the message and its envelope.
    /// - Throws: ``SMTPError/invalidAddress(_:)`` for a bad address, ``SMTPError/invalidMessage(_:)``
    ///   for a subject or display name with CR/LF, or a bad additional header.
    public func build() throws(SMTPError) -> MailMessage {
        try MailAddress.validate(from.address)
        guard !to.isEmpty else { throw .invalidAddress("no recipients") }
        for recipient in to { try MailAddress.validate(recipient.address) }
        if let replyTo { try MailAddress.validate(replyTo.address) }
        for text in [subject, from.displayName, replyTo?.displayName].compactMap({ $0 }) + to.compactMap(\.displayName) {
            guard !text.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else {
                throw .invalidMessage("subject or display name contains CR, LF or NUL")
            }
        }
        for header in additionalHeaders {
            guard RequestValidation.isToken(header.name), !Self.managedHeaders.contains(header.name.lowercased()),
                MIMEEncoding.isPlainHeaderText(header.value)
            else { throw .invalidMessage("additional header \(String(reflecting: header.name)) is not allowed") }
        }
        if let messageID {
            guard MIMEEncoding.isPlainHeaderText(messageID), !messageID.contains(" "), !messageID.contains("<"),
                !messageID.contains(">"), messageID.contains("@")
            else { throw .invalidMessage("Message-ID must look like id@domain") }
        }

        var lines: [String] = []
        lines.append("Date: \(MIMEEncoding.rfc5322Date(date))")
        lines.append("From: \(Self.mailbox(from))")
        lines.append(Self.addressList(name: "To", to.map(Self.mailbox)))
        if let replyTo { lines.append("Reply-To: \(Self.mailbox(replyTo))") }
        lines.append("Subject: \(MIMEEncoding.unstructuredHeaderValue(subject, nameLength: "Subject: ".count))")
        lines.append("Message-ID: <\(messageID ?? Self.randomMessageID(for: from.address))>")
        lines.append("MIME-Version: 1.0")
        for header in additionalHeaders { lines.append("\(header.name): \(header.value)") }

        let text = Self.part(type: "text/plain", body: textBody)
        if let htmlBody {
            let boundary = "=_gatehouse_\(Self.randomHex(16))"
            lines.append("Content-Type: multipart/alternative;\r\n boundary=\"\(boundary)\"")
            lines.append("")
            lines.append("This is a multi-part message in MIME format.")
            lines.append("--\(boundary)")
            lines.append(contentsOf: text)
            lines.append("--\(boundary)")
            lines.append(contentsOf: Self.part(type: "text/html", body: htmlBody))
            lines.append("--\(boundary)--")
        } else {
            lines.append(contentsOf: text)
        }
        let bytes = Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
        try MailMessage.validateFraming(bytes)
        return MailMessage(from: from.address, to: to.map(\.address), rfc822: bytes)
    }

    /// A MIME entity: its two headers, a blank line, and the quoted-printable body.
    private static func part(type: String, body: String) -> [String] {
        [
            "Content-Type: \(type); charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            MIMEEncoding.quotedPrintable(body),
        ]
    }

    private static func mailbox(_ address: MailAddress) -> String {
        guard let name = address.displayName, !name.isEmpty else { return address.address }
        return "\(MIMEEncoding.phrase(name)) <\(address.address)>"
    }

    /// `Name: a, b, c` folded after commas to keep lines within 78 characters.
    private static func addressList(name: String, _ items: [String]) -> String {
        let pieces = items.enumerated().map { index, item in item + (index < items.count - 1 ? "," : "") }
        return "\(name): " + MIMEEncoding.fold(pieces, startingAt: name.count + 2)
    }

    private static func randomMessageID(for address: String) -> String {
        let domain = address.split(separator: "@").last.map(String.init) ?? "gatehouse.invalid"
        return "\(randomHex(16))@\(domain)"
    }

    private static func randomHex(_ byteCount: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<byteCount).map { _ in String(UInt8.random(in: 0...255, using: &generator), radix: 16).leftPadded(to: 2) }.joined()
    }
}
