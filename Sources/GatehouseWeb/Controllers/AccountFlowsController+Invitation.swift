import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import Hummingbird

/// Sign-up through an organization invitation (docs/contract.md A8).
extension AccountFlowsController {
    /// The pending invitation whose link token this browser carries (the `gh_invitation` cookie,
    /// set when the invitee pressed "Accept"), or nil.
    ///
    /// It is the permission to sign up when the tenant's `self_signup` is off, for the invited
    /// address only; and the proof of that address: the token reached the browser through the
    /// invitation email, which was sent to it, so the new account's address counts as verified.
    func invitationForSignup(_ request: Request, _ context: TenantRequestContext) async throws -> OrganizationInvitation? {
        guard let token = TenantCookie.invitation.value(in: request), token.utf8.count <= AccountController.maximumTokenLength else {
            return nil
        }
        return try await context.database.pendingInvitation(tokenHash: SecretHash.of(token), at: services.clock.now)
    }
}
