import Foundation
import GatehouseCore
import GatehouseStore

/// The user's organizations, as the sign-in flow's organization step and the picker page need
/// them (docs/contract.md A8).
extension Services {
    /// The organizations `userID` is a member of, by name, when `ask` asks for an organization
    /// context; empty otherwise (no storage read).
    func organizationOptions(
        of userID: UserID, for ask: OrganizationRequest, in database: any TenantHandle
    ) async throws -> [OrganizationOption] {
        guard ask.requested else { return [] }
        var options: [OrganizationOption] = []
        for membership in try await database.memberships(of: userID) {
            guard let organization = try await database.organization(id: membership.organizationID) else { continue }
            options.append(OrganizationOption(organization: organization, membership: membership))
        }
        return options.sorted { ($0.name.lowercased(), $0.id.rawValue) < ($1.name.lowercased(), $1.id.rawValue) }
    }
}
