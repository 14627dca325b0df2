import Foundation
import GatehouseCore
import GatehouseStore
import Testing

/// Console roles (docs/contract.md A10), run against every `StorageBackend`.
@Suite("Storage conformance: console roles")
struct ConsoleRoleConformanceTests {
    @Test("granted, replaced and taken away per tenant; an unknown or deleted user has none", arguments: StorageBackend.all)
    func roles(_ backend: StorageBackend) async throws {
        try await backend.withUser { a, b, user, now in
            #expect(try await a.consoleRole(of: user.id) == nil)
            #expect(try await a.setConsoleRole(.tenantViewer, of: user.id, at: now))
            #expect(try await a.consoleRole(of: user.id) == .tenantViewer)
            #expect(try await a.setConsoleRole(.tenantAdmin, of: user.id, at: now))
            #expect(try await a.consoleRole(of: user.id) == .tenantAdmin)
            // Another tenant has no such user: nothing is stored there.
            #expect(try await b.setConsoleRole(.tenantAdmin, of: user.id, at: now) == false)
            #expect(try await b.consoleRole(of: user.id) == nil)
            #expect(try await a.setConsoleRole(nil, of: user.id, at: now))
            #expect(try await a.consoleRole(of: user.id) == nil)
            #expect(try await a.setConsoleRole(.tenantAdmin, of: user.id, at: now))
            try await a.deleteUser(user.id, at: now)
            #expect(try await a.consoleRole(of: user.id) == nil)
            #expect(try await a.setConsoleRole(.tenantAdmin, of: user.id, at: now) == false)
        }
    }
}
