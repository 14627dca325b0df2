/// Why a message could not be built or delivered.
///
/// Transport-level failures of a delivery (connect, TLS, timeout) are thrown as
/// ``OutboundError``; these cases are about the configuration, the message and the SMTP dialogue.
public enum SMTPError: Error, Equatable, Sendable {
    /// The ``SMTPConfiguration`` is unusable (bad URL, credentials that would travel in clear, …).
    case invalidConfiguration(String)
    /// An envelope or header address is not a plain `local@domain` address (RFC 5321 §4.1.2).
    case invalidAddress(String)
    /// The message violates RFC 5322 framing (bare CR/LF, a line over 998 octets, header injection).
    case invalidMessage(String)
    /// The server refused the credentials (SMTP 535).
    case authenticationFailed
    /// The server answered MAIL, RCPT or DATA with a failure reply.
    /// - `code`: the SMTP reply code, e.g. 550.
    case rejected(code: Int, message: String)
}
