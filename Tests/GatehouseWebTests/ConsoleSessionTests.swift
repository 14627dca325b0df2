import Foundation
import GatehouseCore
import GatehouseStore
import Hummingbird
import Logging
import Testing

@testable import GatehouseWeb

/// The admin console's session cookie (docs/contract.md A10): MACed, 30 minutes idle at most,
/// `Path=/admin`, `HttpOnly`, `SameSite=Strict`.
struct ConsoleSessionTests {
    static func withServices(_ body: (Services) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("gatehouse-console-tests-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let services = try await makeServices(
            configuration: WebHarness.configuration(dataDirectory: directory), clock: SystemClock(), logger: Logger(label: "test"))
        try await body(services)
        await services.store.close()
    }

    @Test("a cookie is accepted until 30 minutes without a request, and never when altered")
    func idleTimeoutAndIntegrity() async throws {
        try await Self.withServices { services in
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            let session = ConsoleSession(slug: "gatehouse-operators", sessionID: .generate(at: now), userID: .generate(at: now), lastSeen: now)
            let value = session.value(services)
            #expect(ConsoleSession(cookie: value, services: services, now: now) == session)
            #expect(ConsoleSession(cookie: value, services: services, now: now.addingTimeInterval(1800)) == session)
            #expect(ConsoleSession(cookie: value, services: services, now: now.addingTimeInterval(1801)) == nil, "idle for longer than 30 minutes")
            #expect(ConsoleSession(cookie: value, services: services, now: now.addingTimeInterval(-120)) == nil, "from the future")
            let renewed = session.renewed(at: now.addingTimeInterval(1700)).value(services)
            #expect(ConsoleSession(cookie: renewed, services: services, now: now.addingTimeInterval(3000)) != nil, "a request renews it")

            var parts = value.split(separator: ".").map(String.init)
            parts[3] = String(Int(parts[3])! + 1000)
            #expect(ConsoleSession(cookie: parts.joined(separator: "."), services: services, now: now) == nil, "a later time without the key")
            parts = value.split(separator: ".").map(String.init)
            parts[2] = UserID.generate(at: now).rawValue
            #expect(ConsoleSession(cookie: parts.joined(separator: "."), services: services, now: now) == nil, "another operator")
            parts = value.split(separator: ".").map(String.init)
            parts[0] = "acme"
            #expect(ConsoleSession(cookie: parts.joined(separator: "."), services: services, now: now) == nil, "another tenant")
            for junk in ["", "a.b.c.d", "a.b.c.d.e", value + ".x", String(value.dropLast())] {
                #expect(ConsoleSession(cookie: junk, services: services, now: now) == nil, "\(junk)")
            }
        }
    }

    @Test("the cookie is Path=/admin, HttpOnly, SameSite=Strict, Max-Age 1800; clearing keeps the attributes")
    func attributes() async throws {
        try await Self.withServices { services in
            let now = Date()
            let cookie = ConsoleSession(slug: "gatehouse-operators", sessionID: .generate(at: now), userID: .generate(at: now), lastSeen: now).cookie(services)
            #expect(cookie.name == "gh_admin" && cookie.path == "/admin" && cookie.httpOnly && cookie.sameSite == .strict)
            #expect(cookie.maxAge == 1800)
            #expect(cookie.secure == services.secureCookies)
            let cleared = ConsoleSession.clearCookie(services)
            #expect(cleared.value.isEmpty && cleared.maxAge == 0 && cleared.path == "/admin" && cleared.sameSite == .strict)
        }
    }
}

/// The operators' directory is served under `/t/gatehouse-operators` of the public URL, never on a tenant host.
struct OperatorDirectoryAddressingTests {
    @Test("with tenant_base_domain, tenants move to their hosts and the operators' directory stays on the public URL")
    func directoryStaysOnThePublicURL() {
        let addressing = TenantAddressing(publicURL: "https://id.example.com", tenantBaseDomain: "tenants.example.com")
        let now = Date()
        func tenant(_ slug: String) -> Tenant {
            Tenant(id: .generate(at: now), slug: slug, name: slug, environment: .live, settings: TenantSettings(), createdAt: now)
        }
        #expect(addressing.issuer(of: tenant("acme")) == "https://acme.tenants.example.com")
        let directory = tenant(Tenant.operatorsSlug)
        #expect(addressing.hostname(of: directory) == nil)
        #expect(addressing.issuer(of: directory) == "https://id.example.com/t/gatehouse-operators")
        #expect(Tenant.isReservedSlug("gatehouse-operators") && Tenant.isValidSlug(Tenant.operatorsSlug))
        #expect(!Tenant.isReservedSlug("acme"))
    }
}
