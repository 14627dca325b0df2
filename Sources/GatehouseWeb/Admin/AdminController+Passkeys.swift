import Foundation
import GatehouseCore
import GatehouseStore
import Hummingbird

extension AdminController {
    /// A user's passkeys (W3C WebAuthn): `GET …/users/{user_id}/passkeys` lists them (never the
    /// public key or credential ID: nothing an administrator needs); `DELETE
    /// …/users/{user_id}/passkeys/{passkey_id}` removes one, refused (409) when it is the user's last
    /// way to sign in or last second factor under a policy that requires one.
    func registerPasskeyRoutes(_ admin: RouterGroup<AppRequestContext>) {
        tenantRoute(admin, .get, "tenants/:slug/users/:user/passkeys", scope: AdminScope.usersRead) { _, context in
            let (database, user) = try await self.findUser(context)
            struct View: Encodable {
                let id: String, name: String, signCount: UInt32, backupEligible: Bool, backupState: Bool, attested: Bool, createdAt: Date
                @NullWhenAbsent var lastUsedAt: Date?
                enum CodingKeys: String, CodingKey {
                    case id, name, signCount = "sign_count", backupEligible = "backup_eligible", backupState = "backup_state", attested
                    case createdAt = "created_at", lastUsedAt = "last_used_at"
                }
            }
            struct List: Encodable { let items: [View] }
            let items = try await database.passkeys(userID: user.id).map {
                View(
                    id: $0.id, name: $0.name, signCount: $0.signCount, backupEligible: $0.backupEligible, backupState: $0.backupState,
                    attested: $0.attested, createdAt: $0.createdAt, lastUsedAt: $0.lastUsedAt)
            }
            return Responses.json(List(items: items), noStore: true, sorted: true)
        }
        tenantRoute(admin, .delete, "tenants/:slug/users/:user/passkeys/:passkey", scope: AdminScope.usersWrite) { _, context in
            let (database, user) = try await self.findUser(context)
            guard let id = context.parameters.get("passkey") else { throw ProblemDetails.notFound("no passkey with this id for this user") }
            let removed: Bool
            do {
                removed = try await services.removeSignInMethod(.passkey(id), of: user.id, database: database)
            } catch let kept as SignInMethodKept {
                throw ProblemDetails.conflict(kept.description)
            }
            guard removed else { throw ProblemDetails.notFound("no passkey with this id for this user") }
            return Response(status: .noContent)
        }
    }
}
