import Foundation

/// A console role a tenant grants one of its users (docs/contract.md A10): the user signs in to
/// the admin console through the tenant's own login and sees that tenant only.
public enum ConsoleRole: String, Sendable, Codable, CaseIterable {
    /// Reads and changes everything of the tenant in the console, but cannot delete it.
    case tenantAdmin = "tenant_admin"
    /// Reads everything of the tenant in the console and changes nothing.
    case tenantViewer = "tenant_viewer"
}

/// The console roles of a tenant's users (table `console_roles`; a deleted user loses its role).
public protocol ConsoleRoleStore: Sendable {
    /// The role of `userID`, or nil.
    func consoleRole(of userID: UserID) async throws -> ConsoleRole?
    /// Grants `role` to `userID` (replacing any other) at `now`, or takes the role away when `role` is nil.
    /// - Returns: false when no such user exists (nothing stored).
    @discardableResult
    func setConsoleRole(_ role: ConsoleRole?, of userID: UserID, at now: Date) async throws -> Bool
}
