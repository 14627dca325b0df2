import Foundation
import GatehouseCore
import GatehouseStore
import Testing

/// Pushed authorization requests (RFC 9126 §2, §4) in a real tenant database on every backend:
/// one-time use, expiry, the pushing client only, tenant isolation and housekeeping.
@Suite("Pushed authorization requests (RFC 9126)")
struct PushedAuthorizationTests {
    /// Runs `body` with two tenants' handles and the clock, on each backend.
    static func eachBackend(_ body: @escaping @Sendable (any TenantHandle, any TenantHandle, TestClock) async throws -> Void) async throws {
        try await StoreFixture.withStore { store, fixture in
            let a = try await store.storage(for: try await store.makeTenant("tenant-a"))
            let b = try await store.storage(for: try await store.makeTenant("tenant-b"))
            try await body(a, b, fixture.clock)
        }
        if PostgresFixture.url != nil {
            try await PostgresFixture.withStore { store, fixture in
                let a = try await store.storage(for: try await store.makeTenant("tenant-a"))
                let b = try await store.storage(for: try await store.makeTenant("tenant-b"))
                try await body(a, b, fixture.clock)
            }
        }
    }

    static let uri = PushedAuthorization.requestURIPrefix + "abc"

    @Test("a pushed request is taken once, by its client, within its lifetime, at its tenant")
    func oneTimeUse() async throws {
        try await Self.eachBackend { a, b, clock in
            let now = clock.now
            try await a.storePushedAuthorization(
                requestURI: Self.uri, clientID: "pk_one", parameters: "client_id=pk_one&scope=openid", expiresAt: now.addingTimeInterval(60))
            #expect(try await b.takePushedAuthorization(requestURI: Self.uri, clientID: "pk_one", now: now) == nil, "another tenant")
            #expect(try await a.takePushedAuthorization(requestURI: Self.uri, clientID: "pk_two", now: now) == nil, "another client")
            #expect(try await a.takePushedAuthorization(requestURI: Self.uri, clientID: "pk_one", now: now) == "client_id=pk_one&scope=openid")
            #expect(try await a.takePushedAuthorization(requestURI: Self.uri, clientID: "pk_one", now: now) == nil, "used")
        }
    }

    @Test("an expired pushed request is refused and purged")
    func expiry() async throws {
        try await Self.eachBackend { a, _, clock in
            let now = clock.now
            try await a.storePushedAuthorization(requestURI: Self.uri, clientID: "pk_one", parameters: "x=1", expiresAt: now.addingTimeInterval(60))
            #expect(try await a.takePushedAuthorization(requestURI: Self.uri, clientID: "pk_one", now: now.addingTimeInterval(61)) == nil)
            if let db = a as? TenantDatabase {
                try await db.purgeExpired(now: now.addingTimeInterval(61))
            } else if let db = a as? PostgresTenantDatabase {
                try await db.purgeExpired(now: now.addingTimeInterval(61))
            }
            #expect(try await a.takePushedAuthorization(requestURI: Self.uri, clientID: "pk_one", now: now) == nil, "purged")
        }
    }

    @Test("resolve: a query without a pushed request_uri is itself; a used one is invalid_request_uri")
    func resolve() async throws {
        try await Self.eachBackend { a, _, clock in
            let now = clock.now
            let plain = try FormParameters(encoded: "client_id=pk_one&response_type=code")
            #expect(try await PushedAuthorization.resolve(plain, store: a, now: now) == plain)
            try await a.storePushedAuthorization(
                requestURI: Self.uri, clientID: "pk_one", parameters: "client_id=pk_one&state=s", expiresAt: now.addingTimeInterval(60))
            let query = FormParameters(pairs: [(name: "client_id", value: "pk_one"), (name: "request_uri", value: Self.uri), (name: "state", value: "x")])
            let resolved = try await PushedAuthorization.resolve(query, store: a, now: now)
            #expect(resolved["state"] == "s", "the pushed parameters replace the query")
            do {
                _ = try await PushedAuthorization.resolve(query, store: a, now: now)
                Issue.record("a used request_uri was accepted")
            } catch let error as OAuthError {
                #expect(error.code == .invalidRequestURI)
                #expect(!error.redirectable)
            }
        }
    }
}
