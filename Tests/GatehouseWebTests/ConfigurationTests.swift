import Foundation
import GatehouseWeb
import Testing

/// `GatehouseConfiguration.load`: TOML file, then `GATEHOUSE_*` variables; every problem at once
/// (docs/architecture.md H20).
@Suite("Web: configuration loading")
struct ConfigurationTests {
    /// Writes `toml` to a temporary file, loads it with `environment`, removes the file.
    static func load(_ toml: String, environment: [String: String] = [:]) throws -> GatehouseConfiguration {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-config-\(UUID().uuidString).toml")
        try Data(toml.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return try GatehouseConfiguration.load(path: file.path, environment: environment)
    }

    /// The problem keys of a failed load.
    static func problemKeys(
        _ toml: String, environment: [String: String] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> [String] {
        do {
            _ = try load(toml, environment: environment)
            Issue.record("expected the configuration to be rejected", sourceLocation: sourceLocation)
            return []
        } catch let invalid as GatehouseConfiguration.Invalid {
            return invalid.problems.map(\.key)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
            return []
        }
    }

    @Test("a valid file is read key by key")
    func validFile() throws {
        let config = try Self.load(
            """
            [server]
            listen = "127.0.0.1:9000"
            public_url = "https://id.example.com"
            [storage]
            data_dir = "/var/lib/gatehouse"
            synchronous = "full"
            max_open_tenants = 16
            [passwords]
            argon2_memory_kib = 8192
            argon2_iterations = 3
            [oauth]
            refresh_reuse_grace_seconds = 5
            step_up_max_age_seconds = 60
            [log]
            level = "debug"
            """)
        #expect(config.listen == "127.0.0.1:9000")
        #expect(config.listenAddress?.port == 9000)
        #expect(config.publicURL == "https://id.example.com")
        #expect(config.dataDirectory == "/var/lib/gatehouse")
        #expect(config.synchronous == "full")
        #expect(config.maxOpenTenants == 16)
        #expect(config.argon2MemoryKiB == 8192)
        #expect(config.argon2Iterations == 3)
        #expect(config.refreshReuseGrace == 5)
        #expect(config.stepUpMaxAge == 60)
        #expect(config.logLevel == "debug")
    }

    @Test("no file and no variables gives the documented defaults")
    func defaults() throws {
        let config = try GatehouseConfiguration.load(path: nil, environment: [:])
        #expect(config.listen == "127.0.0.1:8080")
        #expect(config.effectivePublicURL == "http://127.0.0.1:8080")
        #expect(config.dataDirectory == "./data")
        #expect(config.maxOpenTenants == 128)
        #expect(config.argon2MemoryKiB == 19 * 1024)
        #expect(config.argon2Iterations == 2)
        #expect(config.stepUpMaxAge == 300)
        #expect(config.logLevel == "info")
    }

    @Test("every problem is reported at once: unknown section and key, wrong types, bad values")
    func everyProblemAtOnce() {
        let keys = Self.problemKeys(
            """
            [server]
            listen = "no-port-here"
            public_url = "ftp://id.example.com/"
            max_body_bytes = "big"
            colour = "blue"
            [storage]
            synchronous = "sometimes"
            max_open_tenants = 0
            [passwords]
            argon2_iterations = 99
            [security]
            admin_token = "short"
            [oauth]
            step_up_max_age_seconds = 0
            [log]
            level = "loud"
            [extras]
            anything = 1
            """)
        let expected: Set<String> = [
            "server.listen", "server.public_url", "server.max_body_bytes", "server.colour", "storage.synchronous",
            "storage.max_open_tenants", "passwords.argon2_iterations", "security.admin_token", "oauth.step_up_max_age_seconds",
            "log.level", "extras",
        ]
        #expect(Set(keys) == expected)
        #expect(keys.count == expected.count, "each problem once: \(keys)")
    }

    @Test("a section that is not a table, and an integer given as a string, are reported")
    func shapes() {
        let keys = Self.problemKeys(
            """
            server = "not a table"
            [storage]
            max_open_tenants = "16"
            """)
        #expect(Set(keys) == ["server", "storage.max_open_tenants"])
    }

    @Test("a TOML syntax error is reported with the file")
    func syntaxError() {
        let keys = Self.problemKeys("[server\nlisten = ")
        #expect(keys.count == 1)
        #expect(keys.first?.hasSuffix(".toml") == true)
    }

    @Test("environment variables override the file")
    func environmentOverrides() throws {
        let config = try Self.load(
            """
            [server]
            listen = "127.0.0.1:9000"
            public_url = "https://file.example.com"
            [storage]
            data_dir = "/from/file"
            [log]
            level = "debug"
            """,
            environment: [
                "GATEHOUSE_LISTEN": "0.0.0.0:7000",
                "GATEHOUSE_PUBLIC_URL": "https://env.example.com",
                "GATEHOUSE_DATA_DIR": "/from/env",
                "GATEHOUSE_LOG_LEVEL": "warning",
                "GATEHOUSE_ADMIN_TOKEN": "an-admin-token-from-the-environment",
                "UNRELATED": "ignored",
            ])
        #expect(config.listen == "0.0.0.0:7000")
        #expect(config.publicURL == "https://env.example.com")
        #expect(config.dataDirectory == "/from/env")
        #expect(config.logLevel == "warning")
        #expect(config.adminToken == "an-admin-token-from-the-environment")
    }

    @Test("a bad environment value is reported like a bad file value, together with the file's problems")
    func badEnvironmentValue() {
        let keys = Self.problemKeys(
            """
            [storage]
            synchronous = "never"
            """, environment: ["GATEHOUSE_LOG_LEVEL": "loud", "GATEHOUSE_LISTEN": "nowhere"])
        #expect(Set(keys) == ["storage.synchronous", "log.level", "server.listen"])
    }

    @Test("a missing file is reported, not ignored")
    func missingFile() {
        #expect(throws: GatehouseConfiguration.Invalid.self) {
            try GatehouseConfiguration.load(path: "/nonexistent/gatehouse-\(UUID().uuidString).toml", environment: [:])
        }
    }
}
