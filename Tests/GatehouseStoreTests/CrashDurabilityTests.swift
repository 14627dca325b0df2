import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import Testing
#if canImport(Glibc)
    import Glibc
#endif

/// Durability across a process crash: a child process (this test binary, re-run with a filter)
/// writes through an `InstanceStore` with `synchronous = normal`, signals that its writes
/// returned, and is killed with SIGKILL before anything closes or checkpoints; the parent then
/// opens the folder and finds every committed write.
@Suite("InstanceStore: durability across kill -9")
struct CrashDurabilityTests {
    static let directoryVariable = "GATEHOUSE_CRASH_CHILD_DIR"
    static let keyVariable = "GATEHOUSE_CRASH_CHILD_KEY"
    static let isChild = ProcessInfo.processInfo.environment[directoryVariable] != nil
    static let readyMarker = "child-ready"

    /// Fixed rows both processes agree on.
    enum Rows {
        static let email = "crash@example.com"
        static let codeHash = SecretHash.of("crash-code")
        static let refreshHash = SecretHash.of("crash-refresh")
        static let jti = "crash-jti"
    }

    @Test("committed writes survive kill -9 of the writing process", .enabled(if: !isChild))
    func survivesKill() async throws {
        try await StoreFixture.with { fixture in
            let child = Process()
            child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            child.arguments = ["--testing-library", "swift-testing", "--filter", "crashChildWritesThenWaits"]
            var environment = ProcessInfo.processInfo.environment
            environment[Self.directoryVariable] = fixture.directory.path
            environment[Self.keyVariable] = Base64URL.encode(fixture.masterKey)
            child.environment = environment
            child.standardOutput = FileHandle.nullDevice
            child.standardError = FileHandle.nullDevice
            try child.run()
            defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }

            let marker = fixture.directory.appendingPathComponent(Self.readyMarker)
            let deadline = Date().addingTimeInterval(30)
            while !FileManager.default.fileExists(atPath: marker.path), child.isRunning, Date() < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            try #require(FileManager.default.fileExists(atPath: marker.path), "the child finished its writes")
            #expect(kill(child.processIdentifier, SIGKILL) == 0)
            child.waitUntilExit()
            #expect(child.terminationReason == .uncaughtSignal)
            #expect(child.terminationStatus == SIGKILL)

            // The writes are still in the tenant's WAL (no checkpoint ran), so opening exercises recovery.
            let tenants = fixture.directory.appendingPathComponent("tenants")
            let wal = try FileManager.default.contentsOfDirectory(atPath: tenants.path).first { $0.hasSuffix(".sqlite-wal") }
            let walFile = try #require(wal.map { tenants.appendingPathComponent($0).path })
            let walSize = try FileManager.default.attributesOfItem(atPath: walFile)[.size] as? Int ?? 0
            #expect(walSize > 0)

            let store = try fixture.open()
            let tenant = try #require(store.resolve(slug: "crash"))
            let db = try await store.database(for: tenant)
            let user = try #require(try await db.user(email: Rows.email))
            #expect(try await db.sessions(userID: user.id).count == 1)
            let token = try #require(try await db.refreshToken(hash: Rows.refreshHash))
            #expect(try await db.grant(id: token.grantID)?.revokedAt == nil)
            #expect(try await db.isAccessTokenRevoked(jti: Rows.jti, grantID: nil))
            guard case .alreadyConsumed(let grantID) = try await db.consumeAuthorizationCode(hash: Rows.codeHash, at: fixture.clock.now) else {
                Issue.record("the code's consumption was lost")
                return
            }
            #expect(grantID == token.grantID)
            #expect(try await db.keyRing(at: fixture.clock.now).jwks.count == 1)
        }
    }

    /// The child's half; runs only inside the child process.
    @Test("crash child: writes, signals, then waits to be killed", .enabled(if: isChild))
    func crashChildWritesThenWaits() async throws {
        let environment = ProcessInfo.processInfo.environment
        let directory = URL(fileURLWithPath: try #require(environment[Self.directoryVariable]))
        let key = try #require(environment[Self.keyVariable].flatMap(Base64URL.decode))
        let fixture = StoreFixture(directory: directory, masterKey: key, clock: TestClock())
        let store = try fixture.open()
        let now = fixture.clock.now
        let tenant = try await store.makeTenant("crash")
        let db = try await store.database(for: tenant)
        let user = Seed.user(email: Rows.email, at: now)
        try await db.insertUser(user)
        let session = Seed.session(user: user.id, at: now)
        try await db.insertSession(session)
        let grant = Seed.grant(client: "pk_dev_crash", user: user.id, session: session.id, at: now)
        var code = Seed.code(for: grant, at: now)
        code.codeHash = Rows.codeHash
        try await db.insertGrant(grant, code: code)
        _ = try await db.consumeAuthorizationCode(hash: Rows.codeHash, at: now)
        try await db.insertRefreshToken(
            RefreshToken(
                tokenHash: Rows.refreshHash, grantID: grant.id, issuedAt: now,
                expiresAt: now.addingTimeInterval(86400)))
        try await db.revokeAccessToken(jti: Rows.jti, expiresAt: now.addingTimeInterval(900))
        try Data().write(to: directory.appendingPathComponent(Self.readyMarker))
        // Keep every connection open (no close, no checkpoint) until the parent kills us.
        try await Task.sleep(for: .seconds(60))
        withExtendedLifetime(store) {}
    }
}
