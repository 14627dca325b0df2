public import Foundation

/// Time-based one-time passwords (RFC 6238) over HOTP with HMAC-SHA-1 (RFC 4226), as every
/// mainstream authenticator app implements them.
///
/// A value holds one shared secret and its parameters; it is immutable and `Sendable`. Time is
/// always passed in (`at:`); nothing here reads the clock.
///
/// - Time step: `T = ⌊(unixTime − T0) / X⌋` with `T0 = 0` and `X = period` seconds (RFC 6238 §4.2).
/// - Code: `HOTP(K, T) = Truncate(HMAC-SHA-1(K, T as 8-byte big-endian)) mod 10^digits`, left-padded
///   with zeros (RFC 4226 §5.3).
public struct TOTP: Sendable {
    /// The shared secret `K`, raw bytes. RFC 4226 §4 R6 requires at least 16 bytes (128 bits) and
    /// recommends 20 (160 bits), which ``generateSecret()`` produces. Shorter secrets imported from
    /// elsewhere still work; they are not rejected here.
    public let secret: [UInt8]
    /// Number of decimal digits in a code, 6...8 (RFC 4226 §5.3; the Key Uri Format's `digits`).
    public let digits: Int
    /// Length of a time step in seconds, `X` in RFC 6238 §4.1; 30 by default (RFC 6238 §5.2).
    public let period: Int

    /// Byte length of secrets made by ``generateSecret()``: 20 (160 bits, RFC 4226 §4 R6).
    public static let secretByteCount = 20

    /// Makes a TOTP generator and verifier.
    ///
    /// - Parameters:
    ///   - secret: the raw shared secret (decode a `secret=` value with ``Base32/decode(_:)``).
    ///   - digits: code length, 6...8; traps outside that range.
    ///   - period: time step in seconds, > 0; traps otherwise.
    public init(secret: [UInt8], digits: Int = 6, period: Int = 30) {
        precondition((6...8).contains(digits), "TOTP digits must be 6...8, got \(digits)")
        precondition(period > 0, "TOTP period must be positive, got \(period)")
        self.secret = secret
        self.digits = digits
        self.period = period
    }

    /// Returns 20 random bytes for a new TOTP secret (RFC 4226 §4 R6, §7.5: random, 160 bits).
    ///
    /// Store the secret encrypted (e.g. with ``SecretBox``); the server needs the raw value to
    /// compute codes, so a hash will not do.
    public static func generateSecret() -> [UInt8] {
        SecureRandom.bytes(secretByteCount)
    }

    /// The time step `T` containing `date`: `⌊seconds since 1970-01-01T00:00:00Z / period⌋`
    /// (RFC 6238 §4.2, T0 = 0), rounding toward negative infinity for dates before 1970.
    public func step(at date: Date) -> Int64 {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        // Dates beyond ±2^63 seconds (about 2.9e11 years) are clamped rather than trapping.
        let clamped: Int64 =
            if seconds.isNaN {
                0
            } else if seconds >= 9.223_372_036_854_775e18 {
                .max
            } else if seconds <= -9.223_372_036_854_775e18 {
                .min
            } else {
                Int64(seconds)
            }
        let period = Int64(period)
        let quotient = clamped / period
        return clamped % period < 0 ? quotient - 1 : quotient
    }

    /// The code for the time step containing `date`: ``digits`` ASCII decimal digits.
    public func code(at date: Date) -> String {
        code(forStep: step(at: date))
    }

    /// The HOTP value for counter `step` (RFC 4226 §5.3): ``digits`` ASCII decimal digits,
    /// left-padded with zeros. The counter is the step's 64-bit two's complement, big-endian.
    public func code(forStep step: Int64) -> String {
        let counter = UInt64(bitPattern: step)
        let message = (0..<8).map { UInt8(truncatingIfNeeded: counter >> (56 - 8 * $0)) }
        let hash = Digest.hmacSHA1(key: secret, message: message)
        // Dynamic truncation (RFC 4226 §5.3): the low 4 bits of the last byte pick an offset; the
        // 31-bit big-endian integer there, mod 10^digits, is the code.
        let offset = Int(hash[hash.count - 1] & 0x0F)
        let binary =
            UInt32(hash[offset] & 0x7F) << 24 | UInt32(hash[offset + 1]) << 16
            | UInt32(hash[offset + 2]) << 8 | UInt32(hash[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let value = String(binary % modulus)
        return String(repeating: "0", count: digits - value.utf8.count) + value
    }

    /// Checks a code typed by the user and returns the time step it belongs to.
    ///
    /// Accepts the codes of steps `T − window ... T + window` around the step `T` of `date`
    /// (RFC 6238 §5.2 recommends at most one step of delay). Every candidate step is computed and
    /// compared in constant time (`ConstantTime.equals`), so the running time does not reveal which
    /// step, if any, matched.
    ///
    /// A step ≤ `lastUsedStep` is never accepted, so no code (and no earlier code) verifies twice
    /// (RFC 6238 §5.2: "the verifier MUST NOT accept the second attempt of the OTP after the
    /// successful validation has been issued for the first OTP"). Persist the returned step as the
    /// new `lastUsedStep` atomically with accepting the login.
    ///
    /// - Parameters:
    ///   - code: the submitted code; spaces are ignored (apps show `123 456`). It must then be
    ///     exactly ``digits`` ASCII digits.
    ///   - date: the current time.
    ///   - window: the number of steps accepted on each side of the current one, ≥ 0.
    ///   - lastUsedStep: the step returned by the last successful match, or `nil` if none.
    /// - Returns: the matched step, or `nil` if the code is malformed, wrong, outside the window or
    ///   already used. If the code matches several candidate steps (a 10^-digits coincidence), the
    ///   latest one is returned so that none of them can be replayed.
    public func match(_ code: String, at date: Date, window: Int = 1, after lastUsedStep: Int64?) -> Int64? {
        precondition(window >= 0, "TOTP window must be ≥ 0, got \(window)")
        let submitted = Array(code.utf8.filter { $0 != UInt8(ascii: " ") })
        guard submitted.count == digits,
            submitted.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        let current = step(at: date)
        let window = Int64(window)
        let first = current.subtractingReportingOverflow(window)
        let last = current.addingReportingOverflow(window)
        let lower = first.overflow ? Int64.min : first.partialValue
        let upper = last.overflow ? Int64.max : last.partialValue
        var matched: Int64?
        for candidate in lower...upper {
            let equal = ConstantTime.equals(submitted, Array(self.code(forStep: candidate).utf8))
            if equal, lastUsedStep.map({ candidate > $0 }) ?? true {
                matched = candidate
            }
        }
        return matched
    }

    /// An `otpauth://` URI for enrolling this secret in an authenticator app by QR code, in the
    /// Key Uri Format (github.com/google/google-authenticator/wiki/Key-Uri-Format):
    ///
    ///     otpauth://totp/Issuer:account?secret=BASE32&issuer=Issuer&algorithm=SHA1&digits=6&period=30
    ///
    /// The label's issuer and account and the `issuer` parameter are percent-encoded as UTF-8
    /// (RFC 3986 §2.1), leaving only unreserved characters (`A–Z a–z 0–9 - . _ ~`) and, in the
    /// label, `@` as they are; a space becomes `%20`, never `+`. The Key Uri Format forbids a
    /// colon in either part; one that occurs anyway is encoded as `%3A` so the separator stays
    /// unambiguous. The secret is ``Base32`` without padding.
    ///
    /// The URI carries the secret: show it only to the enrolling user, over TLS, and never log it.
    public func provisioningURI(issuer: String, account: String) -> String {
        let label =
            PercentEncoding.encode(issuer, keeping: [UInt8(ascii: "@")]) + ":"
            + PercentEncoding.encode(account, keeping: [UInt8(ascii: "@")])
        return "otpauth://totp/\(label)?secret=\(Base32.encode(secret))"
            + "&issuer=\(PercentEncoding.encode(issuer))&algorithm=SHA1&digits=\(digits)&period=\(period)"
    }
}
