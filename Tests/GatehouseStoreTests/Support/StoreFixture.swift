import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import GRDB
import Logging
import Synchronization
import Testing

/// A clock the test moves by hand. Starts at a whole millisecond so that dates survive the
/// store's millisecond precision unchanged.
final class TestClock: GatehouseCore.Clock {
    private let current: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = Mutex(start) }

    var now: Date { current.withLock { $0 } }

    /// Moves the clock forward by `seconds`.
    func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// A fresh folder under the system temporary directory, removed by `remove()`.
struct TemporaryDirectory: Sendable {
    let url: URL

    init(_ label: String = "store") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("gatehouse-\(label)-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }

    /// Runs `body` with a fresh folder and removes it afterwards, whatever happens.
    static func with<T>(_ label: String = "store", _ body: (URL) async throws -> T) async throws -> T {
        let directory = try TemporaryDirectory(label)
        defer { directory.remove() }
        return try await body(directory.url)
    }
}

/// An instance store on real SQLite files in one temporary folder.
struct StoreFixture: Sendable {
    let directory: URL
    let masterKey: [UInt8]
    let clock: TestClock

    /// Opens a new `InstanceStore` on this fixture's folder (a fresh process would do the same).
    func open(maxOpenTenants: Int = 128, masterKey other: [UInt8]? = nil) throws -> InstanceStore {
        try InstanceStore(
            configuration: StoreConfiguration(dataDirectory: directory, maxOpenTenants: maxOpenTenants),
            masterKey: other ?? masterKey, clock: clock, logger: Logger(label: "gatehouse.store-tests"))
    }

    func tenantFile(_ tenant: ResolvedTenant) -> URL {
        directory.appendingPathComponent("tenants").appendingPathComponent("\(tenant.id.rawValue).sqlite")
    }

    var instanceFile: URL { directory.appendingPathComponent("instance.sqlite") }

    /// Runs `body` with a fixture on a fresh folder, removing the folder afterwards.
    static func with<T>(clock: TestClock = TestClock(), _ body: (StoreFixture) async throws -> T) async throws -> T {
        try await TemporaryDirectory.with { url in
            try await body(StoreFixture(directory: url, masterKey: SecretBox.generateKey(), clock: clock))
        }
    }

    /// Runs `body` with an open store on a fresh folder.
    static func withStore<T>(
        clock: TestClock = TestClock(), maxOpenTenants: Int = 128,
        _ body: (InstanceStore, StoreFixture) async throws -> T
    ) async throws -> T {
        try await with(clock: clock) { fixture in
            try await body(try fixture.open(maxOpenTenants: maxOpenTenants), fixture)
        }
    }
}

extension InstanceStorage {
    /// A dev tenant with default settings.
    func makeTenant(_ slug: String) async throws -> ResolvedTenant {
        try await createTenant(slug: slug, name: slug.capitalized, environment: .dev, settings: TenantSettings())
    }

    /// An update of a deleted tenant is `notFound`, and an update racing a deletion never brings
    /// the tenant back into the registry, whichever of the two commits first.
    func expectUpdatesDoNotResurrectDeletedTenants() async throws {
        let gone = try await makeTenant("gone")
        try await deleteTenant(gone)
        do {
            _ = try await updateTenant(gone, name: "Back", settings: gone.tenant.settings)
            Issue.record("an update of a deleted tenant succeeded")
        } catch StoreError.notFound {
        }
        #expect(resolve(slug: "gone") == nil)
        for round in 0..<20 {
            let doomed = try await makeTenant("doomed-\(round)")
            async let update = try? updateTenant(doomed, name: "Renamed", settings: doomed.tenant.settings)
            try await deleteTenant(doomed)
            _ = await update
            #expect(resolve(slug: "doomed-\(round)") == nil, "round \(round)")
        }
        #expect(!tenants().contains { $0.slug.hasPrefix("doomed-") || $0.slug == "gone" })
    }
}

/// Reads a database file with a separate connection, as an operator with `sqlite3` would.
enum RawSQLite {
    static func read<T: Sendable>(_ file: URL, _ body: @Sendable (Database) throws -> T) throws -> T {
        let queue = try DatabaseQueue(path: file.path)
        defer { try? queue.close() }
        return try queue.read(body)
    }
}

/// Expects `StoreError.conflict` from `body`.
func expectConflict(
    _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
) async {
    do {
        try await body()
        Issue.record("expected StoreError.conflict, nothing was thrown. \(comment.map { "\($0)" } ?? "")", sourceLocation: sourceLocation)
    } catch StoreError.conflict {
    } catch {
        Issue.record("expected StoreError.conflict, got \(error)", sourceLocation: sourceLocation)
    }
}

/// Expects `StoreError.unavailable` from `body`.
func expectUnavailable(sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("expected StoreError.unavailable, nothing was thrown", sourceLocation: sourceLocation)
    } catch StoreError.unavailable {
    } catch {
        Issue.record("expected StoreError.unavailable, got \(error)", sourceLocation: sourceLocation)
    }
}
