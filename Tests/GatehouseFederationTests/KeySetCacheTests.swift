import Foundation
import GatehouseCrypto
@testable import GatehouseFederation
import Synchronization
import Testing

/// The provider key cache: cached, refetched on an unknown `kid` (rotation), at most once per interval.
@Suite("Upstream JWKS cache")
struct KeySetCacheTests {
    final class Fetches: Sendable {
        let count = Mutex(0)
        let body: Mutex<[UInt8]>
        init(_ keys: [JWK]) { body = Mutex(Self.encode(keys)) }
        static func encode(_ keys: [JWK]) -> [UInt8] {
            struct Set: Encodable { let keys: [JWK] }
            return Array(try! JSONEncoder().encode(Set(keys: keys)))
        }
        func fetch() -> [UInt8] { count.withLock { $0 += 1 }; return body.withLock { $0 } }
    }

    static func jwk(_ key: SigningKey, kid: String) -> JWK {
        var jwk = key.publicJWK
        jwk.kid = kid
        return jwk
    }

    @Test("a known kid is served from the cache; an unknown kid refetches once, and rotation is picked up")
    func rotation() async throws {
        let first = try SigningKey.generate(.eddsa), second = try SigningKey.generate(.eddsa)
        let fetches = Fetches([Self.jwk(first, kid: "k1")])
        let cache = KeySetCache()
        let fetch = { () async throws(FederationError) -> [UInt8] in fetches.fetch() }
        let found = try await cache.verifier(for: JWSHeader(alg: "EdDSA", kid: "k1"), key: "t/p", now: 100, maxAge: 3600, refetchInterval: 10, fetch: fetch)
        #expect(found.jwk.kid == "k1")
        _ = try await cache.verifier(for: JWSHeader(alg: "EdDSA", kid: "k1"), key: "t/p", now: 101, maxAge: 3600, refetchInterval: 10, fetch: fetch)
        #expect(fetches.count.withLock { $0 } == 1)

        // The provider rotates to k2.
        fetches.body.withLock { $0 = Fetches.encode([Self.jwk(second, kid: "k2")]) }
        let rotated = try await cache.verifier(
            for: JWSHeader(alg: "EdDSA", kid: "k2"), key: "t/p", now: 120, maxAge: 3600, refetchInterval: 10,
            fetch: fetch)
        #expect(rotated.jwk.kid == "k2")
        #expect(fetches.count.withLock { $0 } == 2)
    }

    @Test("an unknown kid within the refetch interval fails without another fetch")
    func unknownKeyIsBounded() async throws {
        let key = try SigningKey.generate(.eddsa)
        let fetches = Fetches([Self.jwk(key, kid: "k1")])
        let cache = KeySetCache()
        let fetch = { () async throws(FederationError) -> [UInt8] in fetches.fetch() }
        _ = try await cache.verifier(for: JWSHeader(alg: "EdDSA", kid: "k1"), key: "t/p", now: 100, maxAge: 3600, refetchInterval: 10, fetch: fetch)
        for _ in 0..<5 {
            await #expect(throws: FederationError.self) {
                try await cache.verifier(
                    for: JWSHeader(alg: "EdDSA", kid: "forged"), key: "t/p", now: 105, maxAge: 3600, refetchInterval: 10,
                    fetch: fetch)
            }
        }
        #expect(fetches.count.withLock { $0 } == 1)
    }

    @Test("alg none, HS256 and a key of another algorithm are refused")
    func algorithms() async throws {
        let key = try SigningKey.generate(.eddsa)
        let fetches = Fetches([Self.jwk(key, kid: "k1")])
        let cache = KeySetCache()
        let fetch = { () async throws(FederationError) -> [UInt8] in fetches.fetch() }
        for alg in ["none", "HS256"] {
            await #expect(throws: FederationError.self) {
                try await cache.verifier(for: JWSHeader(alg: alg, kid: "k1"), key: "t/p", now: 100, maxAge: 3600, refetchInterval: 0, fetch: fetch)
            }
        }
        await #expect(throws: FederationError.self) {
            try await cache.verifier(for: JWSHeader(alg: "ES256", kid: "k1"), key: "t/p", now: 100, maxAge: 3600, refetchInterval: 0, fetch: fetch)
        }
    }

    @Test("keys that cannot verify (oct, enc) are skipped; a header without kid uses the only key of its algorithm")
    func lenientKeySet() throws {
        let key = try SigningKey.generate(.es256)
        var json = String(decoding: Fetches.encode([Self.jwk(key, kid: "ec")]), as: UTF8.self)
        json = json.replacingOccurrences(of: "{\"keys\":[", with: "{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"},")
        let verifiers = try KeySetCache.verifiers(from: Array(json.utf8))
        #expect(verifiers.count == 1)
        #expect(KeySetCache.match(JWSHeader(alg: "ES256"), in: verifiers) != nil)
        #expect(KeySetCache.match(JWSHeader(alg: "EdDSA"), in: verifiers) == nil)
    }
}
