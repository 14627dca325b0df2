/// Where and how ``SMTPSender`` delivers mail.
///
/// TLS certificates are always verified. `description` hides the password.
public struct SMTPConfiguration: Sendable {
    /// `smtp://host:port` (STARTTLS, see ``requireTLS``) or `smtps://host:port` (implicit TLS).
    /// An optional path names the EHLO domain (`smtp://mail.example:587/gatehouse.example`).
    public var url: String
    /// SMTP AUTH user name, or `nil` for no authentication.
    public var username: String?
    /// SMTP AUTH password.
    public var password: String?
    /// For `smtp://`: `true` (default) requires STARTTLS and fails if the server does not offer
    /// it (CURLUSESSL_ALL); `false` upgrades when offered and otherwise sends in clear
    /// (CURLUSESSL_TRY). `smtps://` is always TLS.
    public var requireTLS: Bool
    /// A PEM file of trusted CA certificates; `nil` uses the system store.
    public var caBundlePath: String?
    /// Seconds allowed for the whole delivery, connection included. Default 30.
    public var timeout: Double
    /// Allows credentials over a connection that may not be encrypted (`smtp://` with
    /// `requireTLS == false`). Off by default: only for test servers on loopback.
    public var allowInsecureForTesting: Bool

    /// Creates a configuration; see each property for its meaning and default.
    public init(
        url: String,
        username: String? = nil,
        password: String? = nil,
        requireTLS: Bool = true,
        caBundlePath: String? = nil,
        timeout: Double = 30,
        allowInsecureForTesting: Bool = false
    ) {
        self.url = url
        self.username = username
        self.password = password
        self.requireTLS = requireTLS
        self.caBundlePath = caBundlePath
        self.timeout = timeout
        self.allowInsecureForTesting = allowInsecureForTesting
    }

    /// `true` when every byte of the SMTP dialogue is encrypted or the delivery fails.
    var tlsGuaranteed: Bool { url.lowercased().hasPrefix("smtps://") || requireTLS }

    /// Checks the configuration, reporting every problem at once.
    /// - Throws: ``SMTPError/invalidConfiguration(_:)`` listing all problems.
    public func validate() throws(SMTPError) {
        var problems: [String] = []
        let scheme = url.split(separator: ":", maxSplits: 1).first.map { $0.lowercased() } ?? ""
        if scheme != "smtp" && scheme != "smtps" { problems.append("url must start with smtp:// or smtps://") }
        if url.utf8.contains(where: { $0 < 0x21 || $0 == 0x7F }) { problems.append("url contains whitespace or control characters") }
        if !(timeout > 0) { problems.append("timeout must be positive") }
        if (username != nil || password != nil), !tlsGuaranteed, !allowInsecureForTesting {
            problems.append("credentials would be sent without TLS: use smtps:// or requireTLS")
        }
        if username == nil, password != nil { problems.append("password given without username") }
        for (field, value) in [("username", username), ("password", password)] {
            if let value, value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) {
                problems.append("\(field) contains CR, LF or NUL")
            }
        }
        if !problems.isEmpty { throw .invalidConfiguration(problems.joined(separator: "; ")) }
    }
}

extension SMTPConfiguration: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String {
        "SMTPConfiguration(url: \(Redaction.url(url)), username: \(username ?? "none"), password: \(password == nil ? "none" : "<redacted>"), requireTLS: \(requireTLS))"
    }

    public var debugDescription: String { description }
}
