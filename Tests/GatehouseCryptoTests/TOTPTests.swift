import Foundation
import GatehouseCrypto
import Testing

@Suite("TOTP (RFC 6238) over HOTP (RFC 4226)")
struct TOTPTests {
    static let rfc = try! Vectors.rfc6238()

    @Test("RFC 6238 Appendix B, SHA-1, 8 digits: step and code", arguments: rfc.totpSHA1)
    func appendixB(_ row: RFC6238.TOTPRow) {
        let totp = TOTP(secret: Self.rfc.secret, digits: 8)
        #expect(totp.step(at: row.date) == row.step)
        #expect(totp.code(at: row.date) == row.code)
    }

    @Test("6 digits keep the last six digits of the same truncated value (RFC 4226 §5.3)", arguments: rfc.totpSHA1)
    func sixDigitTruncation(_ row: RFC6238.TOTPRow) {
        let totp = TOTP(secret: Self.rfc.secret)
        #expect(totp.code(at: row.date) == String(row.code.suffix(6)))
    }

    @Test("RFC 4226 Appendix D: HOTP values for counters 0 to 9", arguments: rfc.hotp)
    func hotp(_ row: RFC6238.HOTPRow) {
        #expect(TOTP(secret: Self.rfc.secret).code(forStep: row.counter) == row.code)
    }

    @Test("steps are floor(unix time / period), also before 1970 and with other periods")
    func steps() {
        let thirty = TOTP(secret: Self.rfc.secret)
        #expect(thirty.step(at: Date(timeIntervalSince1970: 0)) == 0)
        #expect(thirty.step(at: Date(timeIntervalSince1970: 29.999)) == 0)
        #expect(thirty.step(at: Date(timeIntervalSince1970: 30)) == 1)
        #expect(thirty.step(at: Date(timeIntervalSince1970: -0.5)) == -1)
        #expect(thirty.step(at: Date(timeIntervalSince1970: -30)) == -1)
        #expect(thirty.step(at: Date(timeIntervalSince1970: -31)) == -2)
        let sixty = TOTP(secret: Self.rfc.secret, period: 60)
        #expect(sixty.step(at: Date(timeIntervalSince1970: 119)) == 1)
        #expect(sixty.step(at: Date(timeIntervalSince1970: 120)) == 2)
    }

    @Test("codes are zero-padded to the digit count")
    func zeroPadding() {
        // RFC 6238 Appendix B: T = 1111111109 gives 07081804, with a leading zero.
        let totp = TOTP(secret: Self.rfc.secret, digits: 8)
        #expect(totp.code(at: Date(timeIntervalSince1970: 1_111_111_109)) == "07081804")
        // RFC 4226 Appendix D, counter 0 truncated to 6: 755224 (no padding); all lengths exact.
        for digits in 6...8 {
            for step in Int64(0)..<200 {
                #expect(TOTP(secret: Self.rfc.secret, digits: digits).code(forStep: step).utf8.count == digits)
            }
        }
    }

    // MARK: match: window and replay rules

    struct MatchRow: Sendable, CustomStringConvertible {
        let description: String
        /// The code submitted is the one for step `now + codeOffset`.
        let codeOffset: Int64
        let window: Int
        /// `lastUsedStep` relative to the current step; nil for none.
        let lastUsedOffset: Int64?
        /// Expected matched step relative to the current step; nil for refused.
        let expectedOffset: Int64?
    }

    static let matchRows: [MatchRow] = [
        .init(description: "the current step's code is accepted", codeOffset: 0, window: 1, lastUsedOffset: nil, expectedOffset: 0),
        .init(
            description: "the previous step's code is accepted with window 1 (clock drift, RFC 6238 §5.2)", codeOffset: -1, window: 1, lastUsedOffset: nil,
            expectedOffset: -1),
        .init(description: "the next step's code is accepted with window 1", codeOffset: 1, window: 1, lastUsedOffset: nil, expectedOffset: 1),
        .init(description: "two steps behind is refused with window 1", codeOffset: -2, window: 1, lastUsedOffset: nil, expectedOffset: nil),
        .init(description: "two steps ahead is refused with window 1", codeOffset: 2, window: 1, lastUsedOffset: nil, expectedOffset: nil),
        .init(description: "two steps behind is accepted with window 2", codeOffset: -2, window: 2, lastUsedOffset: nil, expectedOffset: -2),
        .init(description: "window 0 accepts the current step", codeOffset: 0, window: 0, lastUsedOffset: nil, expectedOffset: 0),
        .init(description: "window 0 refuses the previous step", codeOffset: -1, window: 0, lastUsedOffset: nil, expectedOffset: nil),
        .init(description: "a code is refused at the step it was already used (replay)", codeOffset: 0, window: 1, lastUsedOffset: 0, expectedOffset: nil),
        .init(description: "an earlier step's code is refused once a later step was used", codeOffset: -1, window: 1, lastUsedOffset: 0, expectedOffset: nil),
        .init(description: "the current code is refused when the next step was already used", codeOffset: 0, window: 1, lastUsedOffset: 1, expectedOffset: nil),
        .init(description: "a later step's code is accepted after an earlier step was used", codeOffset: 1, window: 1, lastUsedOffset: 0, expectedOffset: 1),
        .init(description: "the current code is accepted after the previous step was used", codeOffset: 0, window: 1, lastUsedOffset: -1, expectedOffset: 0),
        .init(description: "an old lastUsedStep outside the window does not matter", codeOffset: 0, window: 1, lastUsedOffset: -100, expectedOffset: 0),
    ]

    @Test("match applies the window and refuses every step ≤ lastUsedStep", arguments: matchRows)
    func match(_ row: MatchRow) {
        let totp = TOTP(secret: Self.rfc.secret)
        let now = Date(timeIntervalSince1970: 1_234_567_890)
        let current = totp.step(at: now)
        let code = totp.code(forStep: current + row.codeOffset)
        let matched = totp.match(code, at: now, window: row.window, after: row.lastUsedOffset.map { current + $0 })
        #expect(matched == row.expectedOffset.map { current + $0 })
    }

    @Test("a code accepted once is refused when submitted again with the returned step")
    func noCodeTwice() throws {
        let totp = TOTP(secret: TOTP.generateSecret())
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let code = totp.code(at: now)
        let step = try #require(totp.match(code, at: now, after: nil))
        #expect(totp.match(code, at: now, after: step) == nil)
        // Still refused 30 s later, when the code is the previous step's and inside the window.
        #expect(totp.match(code, at: now.addingTimeInterval(30), after: step) == nil)
        // The next step's code is accepted then.
        let next = totp.code(at: now.addingTimeInterval(30))
        #expect(totp.match(next, at: now.addingTimeInterval(30), after: step) == step + 1)
    }

    struct InputRow: Sendable, CustomStringConvertible {
        let description: String
        let transform: @Sendable (String) -> String
        let accepted: Bool
    }

    static let inputRows: [InputRow] = [
        .init(description: "as generated", transform: { $0 }, accepted: true),
        .init(description: "with a space in the middle, as apps display it", transform: { String($0.prefix(3)) + " " + String($0.suffix(3)) }, accepted: true),
        .init(description: "with surrounding spaces", transform: { " \($0) " }, accepted: true),
        .init(description: "one digit short", transform: { String($0.dropLast()) }, accepted: false),
        .init(description: "one digit too many", transform: { $0 + "0" }, accepted: false),
        .init(description: "empty", transform: { _ in "" }, accepted: false),
        .init(description: "with a sign", transform: { "+" + String($0.dropFirst()) }, accepted: false),
        .init(description: "with a dash", transform: { String($0.prefix(3)) + "-" + String($0.suffix(3)) }, accepted: false),
        .init(
            description: "in Arabic-Indic digits", transform: { String($0.map { Character(Unicode.Scalar(0x0660 + UInt32($0.wholeNumberValue!))!) }) },
            accepted: false),
        .init(
            description: "with the last digit changed", transform: { String($0.dropLast()) + String(($0.last!.wholeNumberValue! + 1) % 10) }, accepted: false),
    ]

    @Test("match accepts only the code's digits, ignoring spaces", arguments: inputRows)
    func input(_ row: InputRow) {
        let totp = TOTP(secret: Self.rfc.secret)
        let now = Date(timeIntervalSince1970: 1_111_111_111)
        let submitted = row.transform(totp.code(at: now))
        #expect((totp.match(submitted, at: now, window: 0, after: nil) != nil) == row.accepted)
    }

    @Test("generated secrets are 20 random bytes")
    func generateSecret() {
        let a = TOTP.generateSecret(), b = TOTP.generateSecret()
        #expect(a.count == 20)
        #expect(TOTP.secretByteCount == 20)
        #expect(a != b)
    }

    // MARK: provisioning URI

    @Test("provisioning URI follows the Key Uri Format")
    func provisioningURI() {
        let totp = TOTP(secret: Self.rfc.secret)
        #expect(
            totp.provisioningURI(issuer: "Example Co", account: "alice@example.com")
                == "otpauth://totp/Example%20Co:alice@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example%20Co&algorithm=SHA1&digits=6&period=30"
        )
        #expect(
            TOTP(secret: Self.rfc.secret, digits: 8, period: 60).provisioningURI(issuer: "Acme", account: "bob")
                == "otpauth://totp/Acme:bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme&algorithm=SHA1&digits=8&period=60")
    }

    static let awkwardNames: [(issuer: String, account: String)] = [
        ("Ünïcode & Sons", "josé+tag@例え.jp"),
        ("A:B", "c:d"),
        ("100% #1?", "a/b=c&d e"),
        ("plus+sign", "~tilde._-"),
    ]

    @Test("issuer and account survive percent-encoding and parse back exactly", arguments: awkwardNames)
    func percentEncoding(_ names: (issuer: String, account: String)) throws {
        let uri = TOTP(secret: Self.rfc.secret).provisioningURI(issuer: names.issuer, account: names.account)
        #expect(uri.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 })
        #expect(!uri.contains("+"))
        let components = try #require(URLComponents(string: uri))
        #expect(components.scheme == "otpauth")
        #expect(components.host == "totp")
        // Exactly one unencoded colon separates issuer from account.
        let label = components.percentEncodedPath.dropFirst().split(separator: ":", omittingEmptySubsequences: false)
        #expect(label.count == 2)
        #expect(label.first?.removingPercentEncoding == names.issuer)
        #expect(label.last?.removingPercentEncoding == names.account)
        let query = Dictionary(uniqueKeysWithValues: (components.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        #expect(query["issuer"] == names.issuer)
        #expect(query["secret"].flatMap(Base32.decode) == Self.rfc.secret)
        #expect(query["algorithm"] == "SHA1")
        #expect(query["digits"] == "6")
        #expect(query["period"] == "30")
    }
}
