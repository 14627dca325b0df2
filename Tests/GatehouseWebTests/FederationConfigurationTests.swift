import Foundation
import GatehouseFederation
import GatehouseOutbound
import GatehouseWeb
import Testing

/// The `[federation]` table of gatehouse.toml.
@Suite("Web: [federation] configuration")
struct FederationConfigurationTests {
    @Test("defaults: https only, SSRF guard on, 5 s connect, 10 s total")
    func defaults() throws {
        let settings = try ConfigurationTests.load("").federation.settings
        #expect(!settings.allowHTTP && !settings.allowPrivateDestinations && settings.allowedPrivateNetworks.isEmpty)
        #expect(settings.connectTimeout == 5 && settings.totalTimeout == 10)
        #expect(settings.outboundPolicy.allowedSchemes == ["https"])
    }

    @Test("values are applied, fractional timeouts included")
    func values() throws {
        let config = try ConfigurationTests.load(
            """
            [federation]
            timeout_seconds = 2.5
            connect_timeout_seconds = 1
            allow_http = true
            allowed_private_networks = ["127.0.0.0/8", "::1/128"]
            jwks_refetch_interval_seconds = 0
            """)
        let settings = config.federation.settings
        #expect(settings.totalTimeout == 2.5 && settings.connectTimeout == 1)
        #expect(settings.allowedPrivateNetworks.map(\.description) == ["127.0.0.0/8", "::1/128"])
        #expect(settings.outboundPolicy.allowedSchemes == ["http", "https"])
        #expect(settings.jwksRefetchIntervalSeconds == 0)
    }

    @Test("every problem at once: unknown key, wrong types, bad CIDR, out of range")
    func problems() {
        let keys = ConfigurationTests.problemKeys(
            """
            [federation]
            timeout = 3
            allow_http = "yes"
            allowed_private_networks = ["10.0.0.0/33"]
            connect_timeout_seconds = 0
            """)
        #expect(
            Set(keys) == [
                "federation.timeout", "federation.allow_http", "federation.allowed_private_networks",
                "federation.connect_timeout_seconds",
            ], "\(keys)")
    }

    @Test("the sample config/gatehouse.toml loads")
    func sample() throws {
        var directory = URL(fileURLWithPath: #filePath)
        while directory.path != "/", !FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
            directory.deleteLastPathComponent()
        }
        let path = directory.appendingPathComponent("config/gatehouse.toml").path
        let config = try GatehouseConfiguration.load(path: path, environment: [:])
        #expect(!config.federation.allowHTTP)
    }
}
