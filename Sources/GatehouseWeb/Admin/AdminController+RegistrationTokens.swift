import Foundation
import GatehouseCore
import GatehouseStore
import Hummingbird

extension AdminController {
    /// Initial access tokens of dynamic client registration (RFC 7591 §3), for a tenant whose
    /// `dynamic_client_registration` is `token`: `POST …/registration-tokens` `{"description"?,
    /// "expires_in"? (seconds, 60…31536000), "max_uses"? (1…100000)}` → 201 with the token, shown
    /// once (only its SHA-256 is kept); `GET` lists them without the tokens; `DELETE
    /// …/registration-tokens/{id}` revokes one. A token registers clients, so it needs
    /// `clients:write` (listing `clients:read`).
    func registerRegistrationTokenRoutes(_ admin: RouterGroup<AppRequestContext>) {
        tenantRoute(admin, .get, "tenants/:slug/registration-tokens", scope: AdminScope.clientsRead) { _, context in
            let tokens = try await context.database.registrationTokens()
            return Responses.json(["registration_tokens": tokens.map { Self.registrationTokenView($0) }], noStore: true, sorted: true)
        }
        tenantRoute(admin, .post, "tenants/:slug/registration-tokens", scope: AdminScope.clientsWrite) { request, context in
            var input = try await JSONInput(request, limit: self.services.configuration.maxBodyBytes, optional: true)
            input.rejectUnknown(["description", "expires_in", "max_uses"])
            let description = input.string("description", maxLength: 200)
            let lifetime = input.int("expires_in")
            if let lifetime, !(60...31_536_000).contains(lifetime) { input.fail("expires_in", "must be 60…31536000 seconds") }
            let uses = input.int("max_uses")
            if let uses, !(1...100_000).contains(uses) { input.fail("max_uses", "must be 1…100000") }
            try input.check()
            let now = self.services.clock.now
            let secret = RandomText.bearerSecret()
            let token = RegistrationToken(
                id: "rat_" + RandomText.base62(count: 20), tokenHash: SecretHash.of(secret), description: description, createdAt: now,
                expiresAt: lifetime.map { now.addingTimeInterval(TimeInterval($0)) }, maxUses: uses)
            AuditRecorder.identify(target: token.id)
            try await context.database.insertRegistrationToken(token)
            var view = Self.registrationTokenView(token)
            view.token = secret
            return self.created(view)
        }
        tenantRoute(admin, .delete, "tenants/:slug/registration-tokens/:token", scope: AdminScope.clientsWrite) { _, context in
            guard let id = context.parameters.get("token"), try await context.database.deleteRegistrationToken(id: id) else {
                throw ProblemDetails.notFound("no registration token with this id in this tenant")
            }
            return Response(status: .noContent)
        }
    }

    /// A registration token as the admin API shows it; `token` only in the answer that made it.
    struct RegistrationTokenView: Encodable {
        let id: String
        @NullWhenAbsent var description: String?
        let createdAt: Date
        @NullWhenAbsent var expiresAt: Date?
        @NullWhenAbsent var maxUses: Int?
        let uses: Int
        var token: String?

        enum CodingKeys: String, CodingKey {
            case id, description, uses, token
            case createdAt = "created_at"
            case expiresAt = "expires_at"
            case maxUses = "max_uses"
        }
    }

    static func registrationTokenView(_ token: RegistrationToken) -> RegistrationTokenView {
        RegistrationTokenView(
            id: token.id, description: token.description, createdAt: token.createdAt, expiresAt: token.expiresAt, maxUses: token.maxUses,
            uses: token.uses)
    }
}
