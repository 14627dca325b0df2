import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import Testing

/// A tenant's key ring as the store builds it (docs/contract.md A7).
@Suite("TenantDatabase: key ring")
struct KeyRingTests {
    @Test("the JWKS key's kid is its RFC 7638 thumbprint and it carries no private member")
    func jwksKid() async throws {
        try await StoreFixture.withStore { store, fixture in
            let ring = try await store.database(for: try await store.makeTenant("acme")).keyRing(at: fixture.clock.now)
            #expect(ring.jwks.count == 1)
            let jwk = try #require(ring.jwks.first)
            #expect(jwk.kty == "OKP")
            #expect(jwk.crv == "Ed25519")
            #expect(jwk.alg == "EdDSA")
            #expect(jwk.use == "sig")
            // RFC 7638 §3.2: the required members only, lexicographic order, no whitespace.
            let canonical = #"{"crv":"Ed25519","kty":"OKP","x":"\#(jwk.x ?? "")"}"#
            #expect(jwk.kid == Base64URL.encode(Digest.sha256(Array(canonical.utf8))))
            #expect(jwk.kid == (try jwk.thumbprint()))
            let members = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(jwk)) as? [String: Any])
            #expect(members["d"] == nil)
            #expect(Set(members.keys).isSubset(of: ["kty", "crv", "x", "kid", "alg", "use"]))
        }
    }

    @Test("the active key signs and the published verifier verifies; a changed payload fails")
    func signAndVerify() async throws {
        try await StoreFixture.withStore { store, fixture in
            let ring = try await store.database(for: try await store.makeTenant("acme")).keyRing(at: fixture.clock.now)
            let signer = try ring.signer(for: .eddsa)
            let key = try #require(signer.signingKey)
            let payload = Array(#"{"iss":"https://id.example.com/t/acme","sub":"usr_1"}"#.utf8)
            let jws = try JWS.sign(payload: payload, header: JWSHeader(alg: "EdDSA", kid: signer.kid, typ: "JWT"), key: key)
            let parsed = try JWS.parse(jws)
            let kid = try #require(parsed.header.kid)
            let published = try #require(ring.published[kid])
            #expect(parsed.verify(with: published.verifier))
            #expect(try parsed.verify(with: SignatureVerifier(jwk: published.jwk)), "a relying party with only the JWKS verifies")

            var parts = jws.split(separator: ".").map(String.init)
            parts[1] = Base64URL.encode(Array(#"{"iss":"https://id.example.com/t/acme","sub":"usr_2"}"#.utf8))
            #expect(try JWS.parse(parts.joined(separator: ".")).verify(with: published.verifier) == false)
        }
    }

    @Test("tenants have distinct keys, and a restart loads the same key")
    func keysPerTenantAndStable() async throws {
        try await StoreFixture.with { fixture in
            let (kidA, kidB): (String?, String?)
            do {
                let store = try fixture.open()
                kidA = try await store.database(for: try await store.makeTenant("tenant-a")).keyRing(at: fixture.clock.now).jwks.first?.kid
                kidB = try await store.database(for: try await store.makeTenant("tenant-b")).keyRing(at: fixture.clock.now).jwks.first?.kid
            }
            #expect(kidA != nil)
            #expect(kidA != kidB)
            let reopened = try fixture.open()
            let ring = try await reopened.database(for: try #require(reopened.resolve(slug: "tenant-a"))).keyRing(at: fixture.clock.now)
            #expect(ring.jwks.first?.kid == kidA)
            #expect(try ring.signer(for: .eddsa).kid == kidA)
        }
    }
}
