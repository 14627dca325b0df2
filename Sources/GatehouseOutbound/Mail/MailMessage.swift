/// A message ready for ``SMTPSender``: the SMTP envelope plus the RFC 5322 message.
///
/// The envelope (`from`, `to`) is what the server delivers by; the headers inside `rfc822` are
/// what the reader sees. ``MIMEMessageBuilder`` makes both agree.
public struct MailMessage: Sendable {
    /// Envelope sender (`MAIL FROM`), a bare address: `"noreply@example.com"`.
    public var from: String
    /// Envelope recipients (`RCPT TO`), bare addresses; at least one.
    public var to: [String]
    /// The full message, headers and body, with CRLF line endings and lines of at most 998 octets.
    public var rfc822: [UInt8]

    public init(from: String, to: [String], rfc822: [UInt8]) {
        self.from = from
        self.to = to
        self.rfc822 = rfc822
    }

    /// Checks the envelope addresses and the message framing.
    /// - Throws: ``SMTPError/invalidAddress(_:)`` or ``SMTPError/invalidMessage(_:)``.
    func validate() throws(SMTPError) {
        try MailAddress.validate(from)
        guard !to.isEmpty else { throw .invalidAddress("no recipients") }
        for recipient in to { try MailAddress.validate(recipient) }
        guard !rfc822.isEmpty else { throw .invalidMessage("empty message") }
        try Self.validateFraming(rfc822)
    }

    /// RFC 5322 §2.1, §2.1.1 and §2.3: CR and LF only as CRLF; at most 998 octets per line.
    static func validateFraming(_ bytes: [UInt8]) throws(SMTPError) {
        var lineLength = 0
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case 0x0D:
                guard index + 1 < bytes.count, bytes[index + 1] == 0x0A else { throw .invalidMessage("bare CR at byte \(index)") }
                lineLength = 0
                index += 2
                continue
            case 0x0A:
                throw .invalidMessage("bare LF at byte \(index)")
            case 0x00:
                throw .invalidMessage("NUL at byte \(index)")
            default:
                lineLength += 1
                if lineLength > 998 { throw .invalidMessage("line longer than 998 octets at byte \(index)") }
            }
            index += 1
        }
    }
}

/// A mailbox: an address with an optional display name, as in `"Gatehouse" <noreply@example.com>`.
public struct MailAddress: Sendable, Hashable {
    /// The bare address, `local@domain` (ASCII; no quoted local parts, no address literals).
    public var address: String
    /// A human-readable name; any Unicode (RFC 2047-encoded when not ASCII).
    public var displayName: String?

    public init(_ address: String, displayName: String? = nil) {
        self.address = address
        self.displayName = displayName
    }

    /// RFC 5322 §3.2.3 `atext`, the characters of a dot-atom local part.
    private static let atextSymbols = Set("!#$%&'*+-/=?^_`{|}~".utf8)

    /// Accepts `dot-atom@domain` with a local part of 1–64 octets, LDH domain labels of 1–63
    /// octets, 254 octets in all (RFC 5321 §4.5.3.1). Anything else (CR, LF, `<`, `>`, spaces,
    /// quotes, non-ASCII) is refused, so an address can never inject SMTP commands or headers.
    /// - Throws: ``SMTPError/invalidAddress(_:)``.
    public static func validate(_ address: String) throws(SMTPError) {
        let shown = String(reflecting: address)
        guard address.utf8.count <= 254, let at = address.utf8.lastIndex(of: UInt8(ascii: "@")) else {
            throw .invalidAddress("\(shown) is not local@domain")
        }
        let local = address.utf8[..<at], domain = address.utf8[address.utf8.index(after: at)...]
        let localOK =
            (1...64).contains(local.count)
            && local.first != UInt8(ascii: ".") && local.last != UInt8(ascii: ".")
            && !String(decoding: local, as: UTF8.self).contains("..")
            && local.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: ".") || atextSymbols.contains($0) }
        let labels = domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        let domainOK =
            !domain.isEmpty
            && labels.allSatisfy { label in
                (1...63).contains(label.count) && label.first != UInt8(ascii: "-") && label.last != UInt8(ascii: "-")
                    && label.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") }
            }
        guard localOK, domainOK else { throw .invalidAddress("\(shown) is not a plain local@domain address") }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
