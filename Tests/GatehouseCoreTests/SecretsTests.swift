import Foundation
import GatehouseCore
import GatehouseCrypto
import Testing

@Suite("Keys, bearer secrets and their hashes (docs/contract.md A1, docs/architecture.md H8)")
struct SecretsTests {
    static let base62 = Set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    static let base64url = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

    @Test("a publishable key is pk_<environment>_ and 24 base62 characters", arguments: TenantEnvironment.allCases)
    func publishableKey(_ environment: TenantEnvironment) {
        let key = ClientKeys.publishableKey(environment: environment)
        let prefix = "pk_\(environment.rawValue)_"
        #expect(key.hasPrefix(prefix))
        #expect(key.dropFirst(prefix.count).count == 24)
        #expect(key.dropFirst(prefix.count).allSatisfy { Self.base62.contains($0) })
    }

    @Test("a secret key is sk_<environment>_ and 43 base62 characters (≈256 bits)", arguments: TenantEnvironment.allCases)
    func secretKey(_ environment: TenantEnvironment) {
        let key = ClientKeys.secretKey(environment: environment)
        let prefix = "sk_\(environment.rawValue)_"
        #expect(key.hasPrefix(prefix))
        #expect(key.dropFirst(prefix.count).count == 43)
        #expect(key.dropFirst(prefix.count).allSatisfy { Self.base62.contains($0) })
    }

    @Test("a bearer secret is 32 random bytes as 43 base64url characters, never repeated")
    func bearerSecret() {
        let secrets = (0..<500).map { _ in RandomText.bearerSecret() }
        #expect(Set(secrets).count == secrets.count)
        for secret in secrets {
            #expect(secret.count == 43)
            #expect(secret.allSatisfy { Self.base64url.contains($0) })
            #expect(Base64URL.decode(secret)?.count == 32)
        }
    }

    @Test("base62 text uses the whole alphabet and nothing else")
    func base62Alphabet() {
        let text = RandomText.base62(count: 20_000)
        #expect(text.count == 20_000)
        #expect(Set(text) == Self.base62)
    }

    @Test("a secret is stored as its SHA-256 and matched against it")
    func secretHash() {
        let secret = "sk_test_0123456789"
        #expect(SecretHash.of(secret) == Digest.sha256(secret))
        #expect(SecretHash.of(secret).count == 32)
        #expect(SecretHash.matches(secret, SecretHash.of(secret)))
        #expect(!SecretHash.matches(secret + "x", SecretHash.of(secret)))
        #expect(!SecretHash.matches(secret, []))
    }

    @Test("a client secret matches the current hash, or the previous one strictly before its expiry")
    func clientSecretRotation() {
        let now = TestClock.start
        var client = TestClient("c", type: .confidential, secret: "new", grants: [.clientCredentials]).client
        #expect(client.secretMatches("new", at: now))
        #expect(!client.secretMatches("old", at: now))
        client.previousSecretHash = SecretHash.of("old")
        #expect(!client.secretMatches("old", at: now), "a previous hash without an expiry is not accepted")
        client.previousSecretExpiresAt = now + 60
        #expect(client.secretMatches("old", at: now + 59))
        #expect(!client.secretMatches("old", at: now + 60))
        #expect(client.secretMatches("new", at: now + 3600))
        client.secretHash = nil
        #expect(!client.secretMatches("new", at: now))
    }

    @Test(
        "NumericDate is whole seconds since the epoch, rounded down (RFC 7519 §2)",
        arguments: [
            (1_735_689_600.0, Int64(1_735_689_600)), (1_735_689_600.999, 1_735_689_600), (0, 0), (-0.5, -1),
        ])
    func numericDate(_ seconds: TimeInterval, _ expected: Int64) {
        #expect(Date(timeIntervalSince1970: seconds).numericDate == expected)
        #expect(Date(numericDate: expected).numericDate == expected)
    }

    @Test("OAuth errors are equal by code, whatever their description (docs/architecture.md H9)")
    func errorEquality() {
        #expect(OAuthError.invalidGrant("a") == OAuthError.invalidGrant("b"))
        #expect(OAuthError.invalidGrant("a") != OAuthError.invalidRequest("a"))
        #expect(OAuthError.invalidGrant("the code expired").description == "the code expired")
        #expect(OAuthError(.requestURINotSupported, "x").code.rawValue == "request_uri_not_supported")
    }
}
