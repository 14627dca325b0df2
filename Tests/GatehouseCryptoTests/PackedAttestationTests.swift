import GatehouseCrypto
import Testing

/// `packed` attestation (W3C WebAuthn §8.2) under an AttestationRequirement, with
/// py_webauthn's YubiKey registration (an attestation certificate issued by "Yubico U2F Root CA
/// Serial 457200631", AAGUID extension present) and statements built here from it.
@Suite("WebAuthn: packed attestation (§8.2) and the attestation requirement")
struct PackedAttestationTests {
    typealias V = WebAuthnVectors

    /// The YubiKey's AAGUID, as its authenticator data and certificate extension carry it.
    static let yubiKeyAAGUID = "6d44ba9b-f6ec-2e49-b930-0c8fe920cb73"
    /// A self-signed certificate made for these tests (`openssl req -x509`, P-256): a root that
    /// issued nothing here.
    static let unrelatedRootPEM = [
        "-----BEGIN CERTIFICATE-----",
        "MIIB7jCCAZWgAwIBAgIUREDiwOUJ0pCjRhNc3X1kctLo5bcwCgYIKoZIzj0EAwIw",
        "TDELMAkGA1UEBhMCWloxGDAWBgNVBAoMD0dhdGVob3VzZSB0ZXN0czEjMCEGA1UE",
        "AwwaVW5yZWxhdGVkIGF0dGVzdGF0aW9uIHJvb3QwIBcNMjYxMjA1MTYzMjAzWhgP",
        "MjEyNjExMTExNjMyMDNaMEwxCzAJBgNVBAYTAlpaMRgwFgYDVQQKDA9HYXRlaG91",
        "c2UgdGVzdHMxIzAhBgNVBAMMGlVucmVsYXRlZCBhdHRlc3RhdGlvbiByb290MFkw",
        "EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEGcSMOgktOFE3HM0snc/z0gzzVfj6IVBW",
        "PJRddf8zUcyuinwS08gTsyFfdlQNSInaltZxcTtrD38dfnoDU/87aqNTMFEwHQYD",
        "VR0OBBYEFA85HmItYOYPwRcw3lkZ+QjHLOYVMB8GA1UdIwQYMBaAFA85HmItYOYP",
        "wRcw3lkZ+QjHLOYVMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIg",
        "Kee23aDUiF4D43RHFkK7s2Uswt83saUmZVZudzyXYXgCICvqREpJl7f7vOfESjOW",
        "EIOZUFi/3XQcNMqs2H90W5oB",
        "-----END CERTIFICATE-----", "",
    ].joined(separator: "\n")

    /// The vector's attestation object, decoded.
    static var object: CBORValue { try! CBOR.decode(b(V.packedAttestationObject)) }
    /// The vector's attestation certificate (`x5c[0]`).
    static var attestationCertificate: X509Certificate {
        guard case .array(let chain) = object["attStmt"]?["x5c"], case .bytes(let der) = chain[0] else { fatalError("vector without x5c") }
        return try! X509Certificate(der: der)
    }

    static func requirement(roots: [X509Certificate]? = nil, aaguids: [String] = [yubiKeyAAGUID]) -> AttestationRequirement {
        AttestationRequirement(roots: roots ?? [attestationCertificate], aaguids: Set(aaguids.map { AAGUID.bytes($0)! }))
    }

    func register(
        _ requirement: AttestationRequirement?, attestation: [UInt8] = b(V.packedAttestationObject), clientData: [UInt8] = b(V.packedClientData),
        challenge: String = V.packedChallenge
    ) throws(WebAuthnError) -> RegisteredCredential {
        try WebAuthnCeremony.verifyRegistration(
            .init(clientDataJSON: clientData, attestationObject: attestation),
            expecting: .init(challenge: b(challenge), origin: V.origin, rpID: V.rpID, requireUserVerification: false),
            attestation: requirement)
    }

    /// The vector's attestation object with its statement replaced.
    static func withStatement(_ statement: CBORValue) -> [UInt8] {
        guard case .bytes(let authData) = object["authData"] else { fatalError() }
        return TestCBOR.encode(
            .map([
                .init(key: .text("fmt"), value: .text("packed")), .init(key: .text("attStmt"), value: statement),
                .init(key: .text("authData"), value: .bytes(authData)),
            ]))
    }

    @Test("the YubiKey's full attestation verifies when its certificate path and AAGUID are accepted")
    func accepted() throws {
        let credential = try register(Self.requirement())
        #expect(AAGUID.text(credential.aaguid) == Self.yubiKeyAAGUID)
        #expect(credential.algorithm == .es256)
        let certificate = Self.attestationCertificate
        #expect(certificate.version == 3 && !certificate.isCertificateAuthority)
        #expect(certificate.subjectOrganizationalUnit == ["Authenticator Attestation"] && certificate.subjectCountry == ["SE"])
    }

    @Test("refused: another AAGUID list, a root that did not issue the certificate, no root")
    func notTrusted() throws {
        let unrelated = try X509Certificate(pem: Self.unrelatedRootPEM)
        for requirement in [
            Self.requirement(aaguids: ["00000000-0000-0000-0000-000000000001"]), Self.requirement(roots: [unrelated]),
            Self.requirement(roots: []),
        ] {
            #expect(throws: WebAuthnError.self) { try register(requirement) }
            do { _ = try register(requirement) } catch {
                guard case .attestationNotTrusted = error else { Issue.record("\(error)"); continue }
            }
        }
    }

    @Test("refused: none under a requirement, packed without one, other formats")
    func formats() {
        #expect(throws: WebAuthnError.attestationNotTrusted("attestation none does not name the authenticator model")) {
            try register(Self.requirement(), attestation: b(V.noneAttestationObject), clientData: b(V.noneClientData), challenge: V.noneChallenge)
        }
        #expect(throws: WebAuthnError.unsupportedAttestationFormat("packed")) { try register(nil) }
        guard case .bytes(let authData) = Self.object["authData"] else { return }
        let tpm = TestCBOR.encode(
            .map([
                .init(key: .text("fmt"), value: .text("tpm")), .init(key: .text("attStmt"), value: .map([])),
                .init(key: .text("authData"), value: .bytes(authData)),
            ]))
        #expect(throws: WebAuthnError.unsupportedAttestationFormat("tpm")) { try register(Self.requirement(), attestation: tpm) }
    }

    @Test("refused: self attestation, ECDAA, a changed signature or signed data, junk in x5c")
    func invalid() throws {
        guard case .map(let pairs) = Self.object["attStmt"]!, case .bytes(var signature) = Self.object["attStmt"]?["sig"],
            case .array(let chain) = Self.object["attStmt"]?["x5c"]
        else { Issue.record("vector shape"); return }
        let alg = CBORPair(key: .text("alg"), value: .negative(6))
        func statement(sig: [UInt8], x5c: CBORValue? = .array(chain), extra: [CBORPair] = []) -> CBORValue {
            .map([alg, .init(key: .text("sig"), value: .bytes(sig))] + (x5c.map { [.init(key: .text("x5c"), value: $0)] } ?? []) + extra)
        }
        #expect(pairs.count == 3)
        #expect(throws: WebAuthnError.attestationNotTrusted("self attestation does not name the authenticator model")) {
            try register(Self.requirement(), attestation: Self.withStatement(statement(sig: signature, x5c: nil)))
        }
        let ecdaa = CBORPair(key: .text("ecdaaKeyId"), value: .bytes([1]))
        for bad in [
            statement(sig: signature, extra: [ecdaa]), statement(sig: signature, x5c: .array([.bytes([0x30, 0x00])])),
            statement(sig: signature, x5c: .array([])),
            statement(sig: Array(signature.dropLast())),
        ] {
            do {
                _ = try register(Self.requirement(), attestation: Self.withStatement(bad))
                Issue.record("accepted \(bad)")
            } catch {
                guard case .attestationInvalid = error else { Issue.record("\(error)"); continue }
            }
        }
        signature[10] ^= 1
        #expect(throws: WebAuthnError.self) { try register(Self.requirement(), attestation: Self.withStatement(statement(sig: signature))) }
        // Whitespace after the JSON keeps the ceremony checks but changes the signed hash.
        var clientData = b(V.packedClientData)
        clientData.append(0x20)
        do {
            _ = try register(Self.requirement(), clientData: clientData)
            Issue.record("accepted a signature over other client data")
        } catch {
            guard case .attestationInvalid = error else { Issue.record("\(error)"); return }
        }
    }

    @Test("AAGUID text form: lowercase UUID out, either case in, nothing else")
    func aaguidText() {
        let bytes = AAGUID.bytes(Self.yubiKeyAAGUID)!
        #expect(bytes.count == 16 && AAGUID.text(bytes) == Self.yubiKeyAAGUID)
        #expect(AAGUID.bytes(Self.yubiKeyAAGUID.uppercased()) == bytes)
        for bad in [
            "", "6d44ba9bf6ec2e49b9300c8fe920cb73", "+d44ba9b-f6ec-2e49-b930-0c8fe920cb73", "6d44ba9b-f6ec-2e49-b930-0c8fe920cb7g",
            "{6d44ba9b-f6ec-2e49-b930-0c8fe920cb73}",
        ] {
            #expect(AAGUID.bytes(bad) == nil, "\(bad)")
        }
    }

    @Test("certificates: one PEM block or one DER certificate, nothing more")
    func certificateParsing() throws {
        let der = Self.attestationCertificate.der
        #expect(throws: CryptoError.self) { try X509Certificate(der: der + [0]) }
        #expect(throws: CryptoError.self) { try X509Certificate(der: []) }
        #expect(throws: CryptoError.self) { try X509Certificate(pem: Self.unrelatedRootPEM + Self.unrelatedRootPEM) }
        #expect(throws: CryptoError.self) { try X509Certificate(pem: "not a certificate") }
        let root = try X509Certificate(pem: "\n  " + Self.unrelatedRootPEM)
        #expect(root.isCertificateAuthority && root.subjectCommonName == ["Unrelated attestation root"])
    }
}

private func b(_ s: String) -> [UInt8] { Base64URL.decode(s)! }

/// Just enough CBOR encoding (RFC 8949 §3, definite lengths) to build attestation objects.
enum TestCBOR {
    static func head(_ major: UInt8, _ n: UInt64) -> [UInt8] {
        switch n {
        case 0..<24: [major << 5 | UInt8(n)]
        case 24..<256: [major << 5 | 24, UInt8(n)]
        case 256..<65536: [major << 5 | 25, UInt8(n >> 8), UInt8(n & 0xFF)]
        default: [major << 5 | 26] + (0..<4).reversed().map { UInt8((n >> (8 * UInt64($0))) & 0xFF) }
        }
    }

    static func encode(_ value: CBORValue) -> [UInt8] {
        switch value {
        case .unsigned(let n): head(0, n)
        case .negative(let n): head(1, n)
        case .bytes(let b): head(2, UInt64(b.count)) + b
        case .text(let t): head(3, UInt64(t.utf8.count)) + Array(t.utf8)
        case .array(let items): head(4, UInt64(items.count)) + items.flatMap(encode)
        case .map(let pairs): head(5, UInt64(pairs.count)) + pairs.flatMap { encode($0.key) + encode($0.value) }
        case .bool(let flag): [flag ? 0xF5 : 0xF4]
        }
    }
}
