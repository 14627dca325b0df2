import Foundation
import GatehouseCore
import GatehouseCrypto
import Testing

@Suite("Email address normalization (RFC 5321 §4.5.3.1)")
struct EmailAddressTests {
    struct Row: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let raw: String
        /// nil when the address must be refused.
        let normalized: String?
    }

    @Test(
        "addresses are trimmed, NFC-normalized and lowercased; malformed ones are refused",
        arguments: [
            Row(testDescription: "a plain address is kept", raw: "alice@example.com", normalized: "alice@example.com"),
            Row(
                testDescription: "local part and domain are lowercased", raw: "Alice.Smith@Example.COM",
                normalized: "alice.smith@example.com"),
            Row(
                testDescription: "surrounding whitespace and newlines are trimmed", raw: "  alice@example.com\n",
                normalized: "alice@example.com"),
            Row(
                testDescription: "a decomposed accent is composed (NFC)", raw: "Jose\u{0301}@example.com",
                normalized: "jos\u{00E9}@example.com"),
            Row(
                testDescription: "a precomposed accent is unchanged", raw: "jos\u{00E9}@example.com",
                normalized: "jos\u{00E9}@example.com"),
            Row(testDescription: "plus addressing is kept", raw: "alice+tag@example.com", normalized: "alice+tag@example.com"),
            Row(testDescription: "a dot-free domain is accepted", raw: "root@localhost", normalized: "root@localhost"),
            Row(testDescription: "the empty string is refused", raw: "", normalized: nil),
            Row(testDescription: "an address without @ is refused", raw: "alice.example.com", normalized: nil),
            Row(testDescription: "an empty local part is refused", raw: "@example.com", normalized: nil),
            Row(testDescription: "an empty domain is refused", raw: "alice@", normalized: nil),
            Row(testDescription: "a domain starting with a dot is refused", raw: "alice@.example.com", normalized: nil),
            Row(testDescription: "a domain ending with a dot is refused", raw: "alice@example.com.", normalized: nil),
            Row(testDescription: "inner whitespace is refused", raw: "al ice@example.com", normalized: nil),
            Row(testDescription: "a tab inside is refused", raw: "alice@exa\tmple.com", normalized: nil),
            Row(testDescription: "angle brackets are refused", raw: "<alice@example.com>", normalized: nil),
            Row(testDescription: "a control character is refused", raw: "ali\u{07}ce@example.com", normalized: nil),
            Row(testDescription: "a zero-width space is refused", raw: "ali\u{200B}ce@example.com", normalized: nil),
            Row(testDescription: "a zero-width joiner is refused", raw: "alice@exam\u{200D}ple.com", normalized: nil),
            Row(testDescription: "a soft hyphen is refused", raw: "ali\u{00AD}ce@example.com", normalized: nil),
            Row(testDescription: "a right-to-left override is refused", raw: "alice\u{202E}@example.com", normalized: nil),
            Row(testDescription: "a byte order mark is refused", raw: "\u{FEFF}alice@example.com", normalized: nil),
            Row(testDescription: "a private-use character is refused", raw: "alice\u{E000}@example.com", normalized: nil),
            Row(
                testDescription: "a local part of 64 characters is accepted",
                raw: String(repeating: "a", count: 64) + "@example.com", normalized: String(repeating: "a", count: 64) + "@example.com"),
            Row(
                testDescription: "a local part over 64 characters is refused (RFC 5321 §4.5.3.1.1)",
                raw: String(repeating: "a", count: 65) + "@example.com", normalized: nil),
            Row(
                testDescription: "an address over 254 characters is refused",
                raw: "alice@" + String(repeating: "d", count: 245) + ".com", normalized: nil),
        ])
    func normalize(_ row: Row) {
        #expect(EmailAddress.normalize(row.raw) == row.normalized)
    }

    @Test(
        "an address with a second unquoted @ is refused: it is not local@domain (RFC 5322 §3.4.1)",
        arguments: ["alice@corp.example@evil.example", "a@b@example.com"])
    func twoAtSigns(_ raw: String) {
        #expect(EmailAddress.normalize(raw) == nil)
    }
}

@Suite("Tenant slugs and settings")
struct TenantTests {
    @Test(
        "a slug is 2–63 characters of a-z, 0-9 and '-', not starting or ending with '-'",
        arguments: [
            ("ab", true), ("acme", true), ("acme-corp", true), ("a1", true), ("12", true), ("a--b", true),
            (String(repeating: "a", count: 63), true),
            ("a", false), ("", false), (String(repeating: "a", count: 64), false),
            ("-acme", false), ("acme-", false), ("Acme", false), ("ac_me", false), ("ac.me", false), ("ac me", false),
            ("acmé", false), ("ａｃｍｅ", false), ("acme/", false),
        ])
    func slug(_ slug: String, _ valid: Bool) {
        #expect(Tenant.isValidSlug(slug) == valid)
    }

    @Test("the issuer is {publicURL}/t/{slug} (docs/contract.md A3)")
    func issuer() {
        let tenant = Tenant(
            id: .generate(at: TestClock.start), slug: "acme", name: "Acme", environment: .live,
            settings: TenantSettings(), createdAt: TestClock.start)
        #expect(tenant.issuer(publicURL: "https://id.example.com") == "https://id.example.com/t/acme")
    }

    @Test("default settings are valid and documented defaults decode from an empty object")
    func defaults() throws {
        let settings = TenantSettings()
        #expect(settings.validate().isEmpty)
        #expect(settings.accessTokenTTL == 900)
        #expect(settings.idTokenTTL == 3600)
        #expect(settings.refreshTokenTTL == 30 * 86400)
        #expect(settings.sessionTTL == 14 * 86400)
        #expect(settings.authorizationCodeTTL == 60)
        #expect(settings.signingAlgorithms == [.eddsa])
        #expect(try JSONDecoder().decode(TenantSettings.self, from: Data("{}".utf8)) == settings)
        let partial = try JSONDecoder().decode(TenantSettings.self, from: Data(#"{"access_token_ttl":300}"#.utf8))
        #expect(partial.accessTokenTTL == 300)
        #expect(partial.idTokenTTL == 3600)
    }

    @Test("validate reports every problem at once, naming each field (docs/architecture.md H20)")
    func everyProblemAtOnce() throws {
        var settings = try JSONDecoder().decode(
            TenantSettings.self,
            from: Data(
                #"""
                {
                  "webhooks": [
                    {"url": "https://hooks.example/ok", "events": ["user.created"], "enabled": true},
                    {"url": "http://hooks.example/plain", "events": [], "enabled": true}
                  ],
                  "custom_claims": {"department": "sales", "sub": "admin", "iss": "https://evil.example"}
                }
                """#.utf8))
        settings.accessTokenTTL = 0
        settings.idTokenTTL = 86401
        settings.refreshTokenTTL = 59
        settings.sessionTTL = 365 * 86400 + 1
        settings.authorizationCodeTTL = 601
        settings.signingAlgorithms = [.eddsa, .eddsa]
        settings.allowedOrigins = ["https://app.example", "https://app.example/path", "ftp://files.example"]
        let fields = settings.validate().map(\.field)
        #expect(
            fields.sorted() == [
                "access_token_ttl", "allowed_origins[1]", "allowed_origins[2]", "authorization_code_ttl", "custom_claims.iss",
                "custom_claims.sub", "id_token_ttl", "refresh_token_ttl", "session_ttl", "signing_algorithms", "webhooks[1].url",
            ])
    }

    @Test(
        "a webhook URL must be https with a host",
        arguments: [
            ("https://hooks.example/gatehouse", true), ("https://hooks.example:8443/x?y=1", true),
            ("http://hooks.example/gatehouse", false), ("hooks.example", false), ("ftp://hooks.example", false), ("", false),
        ])
    func webhookURL(_ url: String, _ valid: Bool) throws {
        #expect(try Self.webhookProblems(url).isEmpty == valid)
    }

    @Test("a webhook URL with an empty host is refused", arguments: ["https:///no-host", "https://"])
    func webhookEmptyHost(_ url: String) throws {
        let problems = try Self.webhookProblems(url)
        #expect(problems == ["webhooks[0].url"])
    }

    static func webhookProblems(_ url: String) throws -> [String] {
        let json = #"{"webhooks":[{"url":"\#(url)","events":["user.created"],"enabled":true}]}"#
        return try JSONDecoder().decode(TenantSettings.self, from: Data(json.utf8)).validate().map(\.field)
    }

    @Test(
        "custom claims cannot override a registered claim (RFC 7519 §4.1, RFC 9068 §2.2, OIDC Core §2)",
        arguments: [
            "iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scope", "client_id", "sid", "tid", "auth_time", "amr", "acr", "azp",
            "nonce", "at_hash", "c_hash", "org_id", "org_role", "",
        ])
    func reservedClaim(_ name: String) throws {
        var settings = TenantSettings()
        settings.customClaims = [name: "x", "department": "sales"]
        #expect(settings.validate().map(\.field) == ["custom_claims.\(name)"])
    }

    @Test(
        "TTL bounds are inclusive",
        arguments: [
            ("access_token_ttl", 1, 86400), ("id_token_ttl", 1, 86400), ("refresh_token_ttl", 60, 365 * 86400),
            ("session_ttl", 60, 365 * 86400), ("authorization_code_ttl", 10, 600),
        ])
    func ttlBounds(_ field: String, _ low: Int, _ high: Int) {
        func problems(_ value: Int) -> [String] {
            var settings = TenantSettings()
            switch field {
            case "access_token_ttl": settings.accessTokenTTL = value
            case "id_token_ttl": settings.idTokenTTL = value
            case "refresh_token_ttl": settings.refreshTokenTTL = value
            case "session_ttl": settings.sessionTTL = value
            default: settings.authorizationCodeTTL = value
            }
            return settings.validate().map(\.field)
        }
        #expect(problems(low).isEmpty)
        #expect(problems(high).isEmpty)
        #expect(problems(low - 1) == [field])
        #expect(problems(high + 1) == [field])
    }

    @Test("signing_algorithms must name at least one algorithm")
    func emptyAlgorithms() {
        var settings = TenantSettings()
        settings.signingAlgorithms = []
        #expect(settings.validate().map(\.field) == ["signing_algorithms"])
    }

    @Test("passkey attestation: none or packed; packed needs webauthn, AAGUIDs and roots; the lists only under packed")
    func passkeyAttestation() {
        func fields(_ change: (inout TenantSettings) -> Void) -> [String] {
            var settings = TenantSettings()
            change(&settings)
            return settings.validate().map(\.field)
        }
        let model = "5ee1c0de-0000-4000-8000-00000000a77e"
        #expect(fields { $0.passkeyAttestation = "tpm" } == ["passkey_attestation"])
        #expect(
            fields { $0.passkeyAttestation = "packed" } == ["passkey_attestation", "passkey_aaguids", "passkey_attestation_roots"])
        #expect(fields { $0.passkeyAAGUIDs = [model] } == ["passkey_aaguids"])
        #expect(fields { $0.passkeyAttestationRoots = ["x"] } == ["passkey_attestation_roots[0]", "passkey_attestation_roots"])
        #expect(
            fields {
                $0.passkeyAttestation = "packed"
                $0.mfaFactors = ["webauthn"]
                $0.passkeyAAGUIDs = [model.uppercased(), model, model]
                $0.passkeyAttestationRoots = ["-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"]
            } == ["passkey_aaguids[0]", "passkey_aaguids", "passkey_attestation_roots[0]"])
    }

    @Test(
        "an allowed origin is scheme://host[:port] with http or https and nothing else (RFC 6454 §6.2)",
        arguments: [
            ("https://app.example", true), ("http://localhost:3000", true), ("https://app.example:8443", true),
            ("http://127.0.0.1:8080", true),
            ("https://app.example/", false), ("https://app.example/path", false), ("https://app.example?x=1", false),
            ("https://app.example#f", false), ("https://user@app.example", false), ("https://user:pw@app.example", false),
            ("ftp://app.example", false), ("app.example", false), ("https://", false), ("null", false), ("", false),
            ("*", false),
        ])
    func origin(_ origin: String, _ valid: Bool) {
        #expect(TenantSettings.isValidOrigin(origin) == valid)
    }
}

@Suite("Identifiers and ULIDs (docs/contract.md A1)")
struct IdentifierTests {
    static let crockford = Set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    @Test("a ULID is 26 Crockford base32 characters whose first carries 3 bits")
    func ulidShape() {
        for _ in 0..<200 {
            let ulid = ULID.make(at: TestClock.start)
            #expect(ulid.count == 26)
            #expect(ulid.allSatisfy { Self.crockford.contains($0) })
            #expect("01234567".contains(ulid.first!))
        }
    }

    @Test("the first 10 characters encode the millisecond timestamp (ULID spec example 1469918176385 → 01ARYZ6S41)")
    func ulidTimestamp() {
        #expect(ULID.make(at: Date(timeIntervalSince1970: 1_469_918_176)).prefix(10) == "01ARYZ6RR0")
        #expect(ULID.make(at: Date(timeIntervalSince1970: 0)).prefix(10) == "0000000000")
        #expect(ULID.make(at: Date(timeIntervalSince1970: 1_469_918_176.385)).prefix(10) == "01ARYZ6S41")
    }

    @Test("identifiers sort by creation time (ULID: lexicographic order is time order)")
    func ordering() {
        var previous = UserID.generate(at: TestClock.start)
        for step in 1...50 {
            let next = UserID.generate(at: TestClock.start + Double(step) * 0.01)
            #expect(previous < next)
            previous = next
        }
        let ids = (0..<20).map { UserID.generate(at: TestClock.start + Double($0)) }
        #expect(ids.shuffled().sorted() == ids)
    }

    @Test("the ULID timestamp is the instant's millisecond, for every whole millisecond of a second")
    func millisecondPrecision() {
        let second = UInt64(TestClock.start.timeIntervalSince1970) * 1000
        let wrong = (0..<1000).filter { ms in
            ULID.make(at: TestClock.start + Double(ms) / 1000).prefix(10) != Self.encodeTimestamp(second + UInt64(ms))
        }
        #expect(wrong.isEmpty, "off by one millisecond at \(wrong.count) of 1000 instants, e.g. \(wrong.prefix(5))")
    }

    /// The first 10 characters of a ULID: the 48-bit millisecond timestamp in Crockford base32.
    static func encodeTimestamp(_ milliseconds: UInt64) -> Substring {
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        var value = milliseconds
        var characters: [Character] = []
        for _ in 0..<10 {
            characters.insert(alphabet[Int(value & 31)], at: 0)
            value >>= 5
        }
        return Substring(String(characters))
    }

    @Test("generated identifiers are unique")
    func unique() {
        let ids = (0..<1000).map { _ in GrantID.generate(at: TestClock.start) }
        #expect(Set(ids).count == ids.count)
    }

    @Test(
        "an identifier is its prefix followed by a ULID",
        arguments: [
            ("usr_01ARZ3NDEKTSV4RRFFQ69G5FAV", true),
            ("usr_7ZZZZZZZZZZZZZZZZZZZZZZZZZ", true),
            ("ses_01ARZ3NDEKTSV4RRFFQ69G5FAV", false),
            ("usr01ARZ3NDEKTSV4RRFFQ69G5FAV", false),
            ("USR_01ARZ3NDEKTSV4RRFFQ69G5FAV", false),
            ("usr_01ARZ3NDEKTSV4RRFFQ69G5FA", false),
            ("usr_01ARZ3NDEKTSV4RRFFQ69G5FAVX", false),
            ("usr_01arz3ndektsv4rrffq69g5fav", false),
            ("usr_01ARZ3NDEKTSV4RRFFQ69G5FAI", false),
            ("usr_01ARZ3NDEKTSV4RRFFQ69G5FAL", false),
            ("usr_01ARZ3NDEKTSV4RRFFQ69G5FAO", false),
            ("usr_01ARZ3NDEKTSV4RRFFQ69G5FAU", false),
            ("usr_", false),
            ("", false),
            // Not ASCII: a combining accent on the last digit, fullwidth digits, a combining mark after the prefix.
            ("usr_01ARZ3NDEKTSV4RRFFQ69G5FA\u{301}", false),
            ("usr_01ARZ3NDEKTSV4RRFFQ69G5FAV\u{301}", false),
            ("usr_\u{FF10}1ARZ3NDEKTSV4RRFFQ69G5FAV", false),
            ("usr_\u{301}01ARZ3NDEKTSV4RRFFQ69G5FAV", false),
        ])
    func format(_ raw: String, _ valid: Bool) {
        #expect((UserID(rawValue: raw) != nil) == valid)
    }

    @Test("every kind has its own prefix and rejects the others'")
    func kinds() {
        let prefixes = [
            TenantKind.prefix, UserKind.prefix, SessionKind.prefix, GrantKind.prefix, ClientRecordKind.prefix,
            OrganizationKind.prefix,
        ]
        #expect(prefixes == ["ten_", "usr_", "ses_", "grt_", "cli_", "org_"])
        let session = SessionID.generate(at: TestClock.start)
        #expect(session.rawValue.hasPrefix("ses_"))
        #expect(SessionID(rawValue: session.rawValue) == session)
        #expect(UserID(rawValue: session.rawValue) == nil)
        #expect(GrantID(rawValue: session.rawValue) == nil)
        #expect(TenantID(rawValue: session.rawValue) == nil)
    }

    @Test("Codable uses the raw string and refuses a wrong prefix")
    func codable() throws {
        let user = UserID.generate(at: TestClock.start)
        let data = try JSONEncoder().encode([user])
        #expect(String(decoding: data, as: UTF8.self) == "[\"\(user.rawValue)\"]")
        #expect(try JSONDecoder().decode([UserID].self, from: data) == [user])
        let session = SessionID.generate(at: TestClock.start)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([UserID].self, from: JSONEncoder().encode([session]))
        }
    }
}

@Suite("Signing key schedule (docs/contract.md A7)")
struct SigningKeyScheduleTests {
    static let t0 = TestClock.start

    static let record = SigningKeyRecord(
        kid: "k1", algorithm: "EdDSA", sealedPrivateKey: [], createdAt: t0,
        activatesAt: t0 + 100, retiresAt: t0 + 200, expiresAt: t0 + 300)

    @Test(
        "a key is next, then active, then retired, then expired, each from its instant on",
        arguments: [
            (0.0, SigningKeyRecord.Status.next), (99, .next), (100, .active), (199, .active), (200, .retired), (299, .retired),
            (300, .expired), (10_000, .expired),
        ])
    func status(_ offset: TimeInterval, _ expected: SigningKeyRecord.Status) {
        #expect(Self.record.status(at: Self.t0 + offset) == expected)
    }

    @Test("the next transition is the earliest scheduled instant after now")
    func nextTransition() {
        #expect(Self.record.nextTransition(after: Self.t0) == Self.t0 + 100)
        #expect(Self.record.nextTransition(after: Self.t0 + 100) == Self.t0 + 200)
        #expect(Self.record.nextTransition(after: Self.t0 + 250) == Self.t0 + 300)
        #expect(Self.record.nextTransition(after: Self.t0 + 300) == nil)
        let open = SigningKeyRecord(kid: "k2", algorithm: "EdDSA", sealedPrivateKey: [], createdAt: Self.t0, activatesAt: Self.t0)
        #expect(open.status(at: Self.t0 + 1_000_000) == .active)
        #expect(open.nextTransition(after: Self.t0) == nil)
    }
}

@Suite("Display names")
struct DisplayNameTests {
    @Test(
        "a display name is at most 200 characters without control characters or bidi overrides",
        arguments: [
            ("Ada Lovelace", true), ("Zoë Ñandú 李雷", true), ("👩🏽‍💻 dev", true), (String(repeating: "x", count: 200), true),
            (String(repeating: "x", count: 201), false), ("a\u{0}b", false), ("\u{1B}[2J", false), ("line\r\nbreak", false),
            ("tab\there", false), ("del\u{7F}", false), ("c1\u{85}", false), ("rtl \u{202E}evil", false), ("iso \u{2066}x", false),
        ])
    func names(_ row: (String, Bool)) {
        #expect((DisplayName.problem(row.0) == nil) == row.1, "\(row.0.debugDescription)")
    }
}

@Suite("Passkeys: the RFC 8176 method a sign-in states")
struct PasskeyAMRTests {
    @Test(
        "hwk only for a device-bound passkey of an attested model; swk for synced or unattested ones",
        arguments: [(false, false, "swk"), (false, true, "swk"), (true, true, "swk"), (true, false, "hwk")])
    func method(_ attested: Bool, _ backupEligible: Bool, _ expected: String) {
        let passkey = Passkey(
            id: "psk_1", userID: UserID.generate(at: Date()), credentialID: [1], publicKey: [1], algorithm: -7, signCount: 0,
            aaguid: Array(repeating: 0, count: 16), name: "Key", backupEligible: backupEligible, backupState: false, createdAt: Date(),
            attested: attested)
        #expect(passkey.amrMethod == expected)
    }
}
