import Foundation
import GatehouseCore
import GatehouseStore
import Hummingbird

/// Step-up for the console's sensitive changes: adding, replacing or removing a second factor,
/// new recovery codes, linking or unlinking an upstream provider.
extension AccountController {
    /// Whether the session behind the console token authenticated within
    /// `oauth.step_up_max_age_seconds` (its `auth_time`, OIDC Core §2).
    func recentlyAuthenticated(_ claims: AccessTokenClaims, _ context: TenantRequestContext) async throws -> Bool {
        let now = services.clock.now
        guard let id = claims.sid.flatMap(SessionID.init(rawValue:)), let session = try await context.database.session(id: id),
              session.isActive(at: now), session.userID.rawValue == claims.sub else { return false }
        return now.timeIntervalSince(session.authTime) <= TimeInterval(services.configuration.stepUpMaxAge)
    }

    /// nil when the session authenticated recently enough; otherwise the redirect that signs the
    /// user in again through the tenant's authorization endpoint with `prompt=login` and
    /// `max_age` (OIDC Core §3.1.2.1). The console comes back with a notice and the user repeats
    /// the change.
    func stepUp(_ claims: AccessTokenClaims, _ context: TenantRequestContext) async throws -> Response? {
        if try await recentlyAuthenticated(claims, context) { return nil }
        return try await startSignIn(context, client: try await consoleClient(context), stepUp: true)
    }
}
