import GatehouseCrypto
import Testing

/// Fixed vectors from py_webauthn's test suite (duo-labs/py_webauthn, tests/
/// test_verify_registration_response.py and test_verify_authentication_response.py), produced by
/// real authenticators against RP ID `localhost`, origin `http://localhost:5000`.
enum WebAuthnVectors {
    static let origin = "http://localhost:5000"
    static let rpID = "localhost"

    static let noneAttestationObject =
        "o2NmbXRkbm9uZWdhdHRTdG10oGhhdXRoRGF0YVjESZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2NFAAAAFwAAAAAAAAAAAAAAAAAAAAAAQPctcQPE5oNRRJk_nO_371mf7qE7qIodzr0eOf6ACvnMB1oQG165dqutoi1U44shGezu5_gkTjmOPeJO0N8a7P-lAQIDJiABIVggSFbUJF-42Ug3pdM8rDRFu_N5oiVEysPDB6n66r_7dZAiWCDUVnB39FlGypL-qAoIO9xWHtJygo2jfDmHl-_eKFRLDA"
    static let noneClientData =
        "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoiVHdON240V1R5R0tMYzRaWS1xR3NGcUtuSE00bmdscXN5VjBJQ0psTjJUTzlYaVJ5RnRya2FEd1V2c3FsLWdrTEpYUDZmbkYxTWxyWjUzTW00UjdDdnciLCJvcmlnaW4iOiJodHRwOi8vbG9jYWxob3N0OjUwMDAiLCJjcm9zc09yaWdpbiI6ZmFsc2V9"
    static let noneChallenge = "TwN7n4WTyGKLc4ZY-qGsFqKnHM4nglqsyV0ICJlN2TO9XiRyFtrkaDwUvsql-gkLJXP6fnF1MlrZ53Mm4R7Cvw"
    static let noneCredentialID = "9y1xA8Tmg1FEmT-c7_fvWZ_uoTuoih3OvR45_oAK-cwHWhAbXrl2q62iLVTjiyEZ7O7n-CROOY494k7Q3xrs_w"
    static let noneCredentialKey = "pQECAyYgASFYIEhW1CRfuNlIN6XTPKw0RbvzeaIlRMrDwwep-uq_-3WQIlgg1FZwd_RZRsqS_qgKCDvcVh7ScoKNo3w5h5fv3ihUSww"

    static let packedAttestationObject =
        "o2NmbXRmcGFja2VkZ2F0dFN0bXSjY2FsZyZjc2lnWEcwRQIgRpuZ6hdaLAgWgCFTIo4BGSTBAxwwqk4u3s1-JAzv_H4CIQCZnfoic34aOwlac1A09eflEtb0V1kO7yGhHOw5P5wVWmN4NWOBWQLBMIICvTCCAaWgAwIBAgIEKudiYzANBgkqhkiG9w0BAQsFADAuMSwwKgYDVQQDEyNZdWJpY28gVTJGIFJvb3QgQ0EgU2VyaWFsIDQ1NzIwMDYzMTAgFw0xNDA4MDEwMDAwMDBaGA8yMDUwMDkwNDAwMDAwMFowbjELMAkGA1UEBhMCU0UxEjAQBgNVBAoMCVl1YmljbyBBQjEiMCAGA1UECwwZQXV0aGVudGljYXRvciBBdHRlc3RhdGlvbjEnMCUGA1UEAwweWXViaWNvIFUyRiBFRSBTZXJpYWwgNzE5ODA3MDc1MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEKgOGXmBD2Z4R_xCqJVRXhL8Jr45rHjsyFykhb1USGozZENOZ3cdovf5Ke8fj2rxi5tJGn_VnW4_6iQzKdIaeP6NsMGowIgYJKwYBBAGCxAoCBBUxLjMuNi4xLjQuMS40MTQ4Mi4xLjEwEwYLKwYBBAGC5RwCAQEEBAMCBDAwIQYLKwYBBAGC5RwBAQQEEgQQbUS6m_bsLkm5MAyP6SDLczAMBgNVHRMBAf8EAjAAMA0GCSqGSIb3DQEBCwUAA4IBAQByV9A83MPhFWmEkNb4DvlbUwcjc9nmRzJjKxHc3HeK7GvVkm0H4XucVDB4jeMvTke0WHb_jFUiApvpOHh5VyMx5ydwFoKKcRs5x0_WwSWL0eTZ5WbVcHkDR9pSNcA_D_5AsUKOBcbpF5nkdVRxaQHuuIuwV4k1iK2IqtMNcU8vL6w21U261xCcWwJ6sMq4zzVO8QCKCQhsoIaWrwz828GDmPzfAjFsJiLJXuYivdHACkeJ5KHMt0mjVLpfJ2BCML7_rgbmvwL7wBW80VHfNdcKmKjkLcpEiPzwcQQhiN_qHV90t-p4iyr5xRSpurlP5zic2hlRkLKxMH2_kRjhqSn4aGF1dGhEYXRhWMRJlg3liA6MaHQ0Fw9kdmBbj-SuuaKGMseZXPO6gx2XY0UAAAAqbUS6m_bsLkm5MAyP6SDLcwBAFsWBrFcw8yRjxV8z18Egh91o1AScNRYkIuUoY6wIlIhslDpP7eydKi1q5s9g1ugDP9mqBlPDDFPRbH6YLwHbtqUBAgMmIAEhWCAq3y0RWh8nLzanBZQwTA7yAbUy9KEDAM0b3N9Elrb0VCJYIJrX7ygtpyInb5mXBE7g9YEow6xWrJ400HhL2r4q5tzV"
    static let packedClientData =
        "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoicERSbWtkZHVBaS1BVTJ4Nm8tRnFxaEkzWEsybmxWbHNDU3IwNHpXa050djg0SndyTUh0RWxSSEhVV0xFRGhrckVhUThCMWxCY0lIX1ZTUnFwX1JBQXciLCJvcmlnaW4iOiJodHRwOi8vbG9jYWxob3N0OjUwMDAiLCJjcm9zc09yaWdpbiI6ZmFsc2V9"
    static let packedChallenge = "pDRmkdduAi-AU2x6o-FqqhI3XK2nlVlsCSr04zWkNtv84JwrMHtElRHHUWLEDhkrEaQ8B1lBcIH_VSRqp_RAAw"

    struct Assertion: Sendable, CustomStringConvertible {
        let description: String
        let authenticatorData: String
        let clientData: String
        let signature: String
        let challenge: String
        let publicKey: String
        let storedCount: UInt32
        let newCount: UInt32
        let algorithm: COSEAlgorithm
    }

    static let es256 = Assertion(
        description: "ES256 (DER signature)",
        authenticatorData: "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MBAAAATg",
        clientData:
            "eyJjaGFsbGVuZ2UiOiJ4aTMwR1BHQUZZUnhWRHBZMXNNMTBEYUx6VlFHNjZudi1fN1JVYXpIMHZJMll2RzhMWWdERW52TjVmWlpOVnV2RUR1TWk5dGUzVkxxYjQyTjBma0xHQSIsImNsaWVudEV4dGVuc2lvbnMiOnt9LCJoYXNoQWxnb3JpdGhtIjoiU0hBLTI1NiIsIm9yaWdpbiI6Imh0dHA6Ly9sb2NhbGhvc3Q6NTAwMCIsInR5cGUiOiJ3ZWJhdXRobi5nZXQifQ",
        signature: "MEUCIGisVZOBapCWbnJJvjelIzwpixxIwkjCCb5aCHafQu68AiEA88v-2pJNNApPFwAKFiNuf82-2hBxYW5kGwVweeoxCwo",
        challenge: "xi30GPGAFYRxVDpY1sM10DaLzVQG66nv-_7RUazH0vI2YvG8LYgDEnvN5fZZNVuvEDuMi9te3VLqb42N0fkLGA",
        publicKey: "pQECAyYgASFYIIeDTe-gN8A-zQclHoRnGFWN8ehM1b7yAsa8I8KIvmplIlgg4nFGT5px8o6gpPZZhO01wdy9crDSA_Ngtkx0vGpvPHI",
        storedCount: 77, newCount: 78, algorithm: .es256)

    static let rs256 = Assertion(
        description: "RS256",
        authenticatorData: "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAAQ",
        clientData:
            "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoiaVBtQWkxUHAxWEw2b0FncTNQV1p0WlBuWmExekZVRG9HYmFRMF9LdlZHMWxGMnMzUnRfM280dVN6Y2N5MHRtY1RJcFRUVDRCVTFULUk0bWFhdm5kalEiLCJvcmlnaW4iOiJodHRwOi8vbG9jYWxob3N0OjUwMDAiLCJjcm9zc09yaWdpbiI6ZmFsc2V9",
        signature:
            "iOHKX3erU5_OYP_r_9HLZ-CexCE4bQRrxM8WmuoKTDdhAnZSeTP0sjECjvjfeS8MJzN1ArmvV0H0C3yy_FdRFfcpUPZzdZ7bBcmPh1XPdxRwY747OrIzcTLTFQUPdn1U-izCZtP_78VGw9pCpdMsv4CUzZdJbEcRtQuRS03qUjqDaovoJhOqEBmxJn9Wu8tBi_Qx7A33RbYjlfyLm_EDqimzDZhyietyop6XUcpKarKqVH0M6mMrM5zTjp8xf3W7odFCadXEJg-ERZqFM0-9Uup6kJNLbr6C5J4NDYmSm3HCSA6lp2iEiMPKU8Ii7QZ61kybXLxsX4w4Dm3fOLjmDw",
        challenge: "iPmAi1Pp1XL6oAgq3PWZtZPnZa1zFUDoGbaQ0_KvVG1lF2s3Rt_3o4uSzccy0tmcTIpTTT4BU1T-I4maavndjQ",
        publicKey:
            "pAEDAzkBACBZAQDfV20epzvQP-HtcdDpX-cGzdOxy73WQEvsU7Dnr9UWJophEfpngouvgnRLXaEUn_d8HGkp_HIx8rrpkx4BVs6X_B6ZjhLlezjIdJbLbVeb92BaEsmNn1HW2N9Xj2QM8cH-yx28_vCjf82ahQ9gyAr552Bn96G22n8jqFRQKdVpO-f-bvpvaP3IQ9F5LCX7CUaxptgbog1SFO6FI6ob5SlVVB00lVXsaYg8cIDZxCkkENkGiFPgwEaZ7995SCbiyCpUJbMqToLMgojPkAhWeyktu7TlK6UBWdJMHc3FPAIs0lH_2_2hKS-mGI1uZAFVAfW1X-mzKL0czUm2P1UlUox7IUMBAAE",
        storedCount: 0, newCount: 1, algorithm: .rs256)

    static let eddsa = Assertion(
        description: "EdDSA",
        authenticatorData: "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MBAAAABw",
        clientData:
            "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoiZVo0ZWVBM080ank1Rkl6cURhU0o2SkROR3UwYkJjNXpJMURqUV9rTHNvMVdOcWtHNms1bUNZZjFkdFFoVlVpQldaV2xaa3pSNU1GZWVXQ3BKUlVOWHciLCJvcmlnaW4iOiJodHRwOi8vbG9jYWxob3N0OjUwMDAiLCJjcm9zc09yaWdpbiI6ZmFsc2V9",
        signature: "RRWV8mYDRvK7YdQgdtZD4pJ2dh1D_IWZ_D6jsZo6FHJBoenbj0CVT5nA20vUzlRhN4R6dOEUHmUwP1F8eRBhBg",
        challenge: "eZ4eeA3O4jy5FIzqDaSJ6JDNGu0bBc5zI1DjQ_kLso1WNqkG6k5mCYf1dtQhVUiBWZWlZkzR5MFeeWCpJRUNXw",
        publicKey: "pAEBAycgBiFYIMz6_SUFLiDid2Yhlq0YboyJ-CDrIrNpkPUGmJp4D3Dp",
        storedCount: 3, newCount: 7, algorithm: .eddsa)
}

private func b(_ s: String) -> [UInt8] { Base64URL.decode(s)! }

@Suite("WebAuthn: registration (§7.1) and authentication (§7.2) ceremony checks")
struct WebAuthnTests {
    typealias V = WebAuthnVectors

    func registration(
        challenge: String = V.noneChallenge, origin: String = V.origin, rpID: String = V.rpID, uv: Bool = false,
        clientData: [UInt8] = b(V.noneClientData), attestation: [UInt8] = b(V.noneAttestationObject),
        allowed: Set<COSEAlgorithm> = Set(COSEAlgorithm.allCases)
    ) throws(WebAuthnError) -> RegisteredCredential {
        try WebAuthnCeremony.verifyRegistration(
            .init(clientDataJSON: clientData, attestationObject: attestation),
            expecting: .init(challenge: b(challenge), origin: origin, rpID: rpID, requireUserVerification: uv),
            allowedAlgorithms: allowed)
    }

    @Test("py_webauthn none-attestation registration verifies and yields the credential")
    func registersNone() throws {
        let credential = try registration(uv: true)
        #expect(credential.credentialID == b(V.noneCredentialID))
        #expect(credential.publicKey == b(V.noneCredentialKey))
        #expect(credential.algorithm == .es256)
        #expect(credential.signCount == 23)
        #expect(credential.aaguid == [UInt8](repeating: 0, count: 16))
        #expect(credential.userVerified)
        #expect(!credential.backupEligible && !credential.backupState)
    }

    @Test("registration refusals: challenge, origin, RP ID, algorithm, attestation format")
    func registrationRefusals() {
        #expect(throws: WebAuthnError.challengeMismatch) { try registration(challenge: V.packedChallenge) }
        #expect(throws: WebAuthnError.originMismatch) { try registration(origin: "http://localhost:5001") }
        #expect(throws: WebAuthnError.originMismatch) { try registration(origin: "https://localhost:5000") }
        #expect(throws: WebAuthnError.rpIdMismatch) { try registration(rpID: "example.com") }
        #expect(throws: WebAuthnError.algorithmNotAllowed(-7)) { try registration(allowed: [.eddsa]) }
        #expect(throws: WebAuthnError.unsupportedAttestationFormat("packed")) {
            try registration(challenge: V.packedChallenge, clientData: b(V.packedClientData), attestation: b(V.packedAttestationObject))
        }
        #expect(throws: WebAuthnError.wrongType) {
            try registration(challenge: V.es256.challenge, clientData: b(V.es256.clientData))
        }
    }

    @Test("registration refusals: malformed attestation objects")
    func malformedAttestation() {
        var trailing = b(V.noneAttestationObject)
        trailing.append(0)
        #expect(throws: WebAuthnError.self) { try registration(attestation: trailing) }
        #expect(throws: WebAuthnError.self) { try registration(attestation: [0xA0]) }
        #expect(throws: WebAuthnError.self) { try registration(clientData: Array("not json".utf8)) }
    }

    func authenticate(
        _ vector: WebAuthnVectors.Assertion, stored: UInt32? = nil, uv: Bool = false, rpID: String = V.rpID,
        origin: String = V.origin, signature: [UInt8]? = nil, key: String? = nil
    ) throws(WebAuthnError) -> VerifiedAssertion {
        try WebAuthnCeremony.verifyAuthentication(
            .init(
                clientDataJSON: b(vector.clientData), authenticatorData: b(vector.authenticatorData),
                signature: signature ?? b(vector.signature), storedPublicKey: b(key ?? vector.publicKey),
                storedSignCount: stored ?? vector.storedCount),
            expecting: .init(challenge: b(vector.challenge), origin: origin, rpID: rpID, requireUserVerification: uv))
    }

    @Test("py_webauthn assertions verify for ES256, RS256 and EdDSA keys", arguments: [V.es256, V.rs256, V.eddsa])
    func verifiesAssertions(_ vector: WebAuthnVectors.Assertion) throws {
        #expect(try COSEKey(bytes: b(vector.publicKey)).algorithm == vector.algorithm)
        let result = try authenticate(vector)
        #expect(result.signCount == vector.newCount)
    }

    @Test("authentication refusals: counter, UV, signature, key, RP ID, origin")
    func authenticationRefusals() {
        #expect(throws: WebAuthnError.signCountNotIncreased(stored: 78, received: 78)) { try authenticate(V.es256, stored: 78) }
        #expect(throws: WebAuthnError.signCountNotIncreased(stored: 1000, received: 78)) { try authenticate(V.es256, stored: 1000) }
        #expect(throws: WebAuthnError.userNotVerified) { try authenticate(V.es256, uv: true) }
        #expect(throws: Never.self) { try authenticate(V.rs256, uv: true) }
        #expect(throws: WebAuthnError.rpIdMismatch) { try authenticate(V.es256, rpID: "localhost.example") }
        #expect(throws: WebAuthnError.originMismatch) { try authenticate(V.eddsa, origin: "http://127.0.0.1:5000") }
        #expect(throws: WebAuthnError.badSignature) { try authenticate(V.es256, key: V.noneCredentialKey) }
        var flipped = b(V.eddsa.signature)
        flipped[10] ^= 1
        #expect(throws: WebAuthnError.badSignature) { try authenticate(V.eddsa, signature: flipped) }
        // A DER signature with a trailing byte is not canonical DER: refused.
        #expect(throws: WebAuthnError.badSignature) { try authenticate(V.es256, signature: b(V.es256.signature) + [0]) }
        // A raw R || S signature is not what WebAuthn ES256 sends.
        #expect(throws: WebAuthnError.badSignature) { try authenticate(V.es256, signature: [UInt8](repeating: 1, count: 64)) }
        #expect(throws: WebAuthnError.wrongType) {
            try WebAuthnCeremony.verifyAuthentication(
                .init(
                    clientDataJSON: b(V.noneClientData), authenticatorData: b(V.es256.authenticatorData), signature: b(V.es256.signature),
                    storedPublicKey: b(V.es256.publicKey), storedSignCount: 0),
                expecting: .init(challenge: b(V.noneChallenge), origin: V.origin, rpID: V.rpID, requireUserVerification: false))
        }
    }

    /// Builds and signs an assertion with a fresh Ed25519 key, for flag and counter cases.
    func ownAssertion(flags: UInt8, count: UInt32, stored: UInt32, crossOrigin: Bool = false) throws -> VerifiedAssertion {
        let key = try SigningKey.generate(.eddsa)
        let cose: [UInt8] = [0xA4, 0x01, 0x01, 0x03, 0x27, 0x20, 0x06, 0x21, 0x58, 0x20] + b(key.publicJWK.x!)
        let challenge = [UInt8](repeating: 7, count: 32)
        let clientData = Array(
            "{\"type\":\"webauthn.get\",\"challenge\":\"\(Base64URL.encode(challenge))\",\"origin\":\"https://id.example.com\",\"crossOrigin\":\(crossOrigin)}"
                .utf8)
        let authData = Digest.sha256("example.com") + [flags] + [UInt8(count >> 24), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)]
        let signature = try key.sign(authData + Digest.sha256(clientData))
        return try WebAuthnCeremony.verifyAuthentication(
            .init(clientDataJSON: clientData, authenticatorData: authData, signature: signature, storedPublicKey: cose, storedSignCount: stored),
            expecting: .init(challenge: challenge, origin: "https://id.example.com", rpID: "example.com", requireUserVerification: true))
    }

    @Test("counters both zero are accepted; flags UP, UV, BE/BS and cross-origin are enforced")
    func flagsAndCounters() throws {
        let zero = try ownAssertion(flags: 0x05, count: 0, stored: 0)
        #expect(zero.signCount == 0 && zero.userVerified)
        #expect(try ownAssertion(flags: 0x1D, count: 5, stored: 4).backupState)
        #expect(throws: WebAuthnError.signCountNotIncreased(stored: 4, received: 0)) { try ownAssertion(flags: 0x05, count: 0, stored: 4) }
        #expect(throws: WebAuthnError.userNotPresent) { try ownAssertion(flags: 0x04, count: 1, stored: 0) }
        #expect(throws: WebAuthnError.userNotVerified) { try ownAssertion(flags: 0x01, count: 1, stored: 0) }
        #expect(throws: WebAuthnError.invalidBackupFlags) { try ownAssertion(flags: 0x15, count: 1, stored: 0) }
        #expect(throws: WebAuthnError.originMismatch) { try ownAssertion(flags: 0x05, count: 1, stored: 0, crossOrigin: true) }
        #expect(throws: WebAuthnError.self) { try ownAssertion(flags: 0x45, count: 1, stored: 0) }
    }

    @Test("COSE keys: mismatched kty/alg, wrong curve, private key and unknown alg are refused")
    func coseRefusals() {
        let x = [UInt8](repeating: 1, count: 32)
        let cases: [[UInt8]] = [
            [0xA4, 0x01, 0x02, 0x03, 0x27, 0x20, 0x06, 0x21, 0x58, 0x20] + x,  // EC2 with EdDSA
            [0xA4, 0x01, 0x01, 0x03, 0x27, 0x20, 0x05, 0x21, 0x58, 0x20] + x,  // OKP with crv 5, not Ed25519 (6)
            [0xA5, 0x01, 0x01, 0x03, 0x27, 0x20, 0x06, 0x21, 0x58, 0x20] + x + [0x23, 0x58, 0x20] + x,  // private d
            [0xA4, 0x01, 0x01, 0x03, 0x38, 0x22, 0x20, 0x06, 0x21, 0x58, 0x20] + x,  // alg -35 (ES384)
            [0xA3, 0x01, 0x01, 0x20, 0x06, 0x21, 0x58, 0x20] + x,  // no alg
        ]
        for bytes in cases {
            #expect(throws: CryptoError.self) { try COSEKey(bytes: bytes) }
        }
    }

    @Test("authenticator data: credential IDs over 1023 bytes and trailing bytes are refused")
    func authenticatorDataLimits() throws {
        let base = Digest.sha256("example.com") + [0x41, 0, 0, 0, 1] + [UInt8](repeating: 0, count: 16)
        let key = b(V.noneCredentialKey)
        let okID = [UInt8](repeating: 9, count: 1023)
        let ok = try AuthenticatorData(bytes: base + [0x03, 0xFF] + okID + key)
        #expect(ok.attestedCredential?.credentialID.count == 1023)
        #expect(ok.attestedCredential?.publicKeyBytes == key)
        #expect(throws: CryptoError.self) { try AuthenticatorData(bytes: base + [0x04, 0x00] + okID + [9] + key) }
        #expect(throws: CryptoError.self) { try AuthenticatorData(bytes: base + [0x03, 0xFF] + okID + key + [0]) }
        #expect(throws: CryptoError.self) { try AuthenticatorData(bytes: Array(b(V.es256.authenticatorData).dropLast())) }
    }
}
