import Foundation

/// The device code grant's token request (RFC 8628 §3.4, §3.5).
public enum DeviceCodeGrant: GrantHandler {
    public static let grantType = GrantType.deviceCode
    public static let parameters: Set<String> = ["device_code", "resource"]

    /// Polls for, and once approved redeems, a device code.
    ///
    /// - `authorization_pending` while the user has not decided; `slow_down` when polled sooner
    ///   than the interval after the previous poll, which then grows by 5 seconds for this and every
    ///   later request (§3.5); `access_denied` after a denial; `expired_token` after `expires_in`.
    /// - Approved: the device code is redeemed exactly once (``DeviceAuthorizationStore/pollDeviceAuthorization(deviceCodeHash:clientID:now:)``)
    ///   and the tokens are those of the code flow (``TokenEndpoint/issueForNewGrant(_:client:user:context:)``):
    ///   an ID token for `openid`, a refresh token when the client may use that grant.
    /// - Throws: `invalid_request` without `device_code`; `invalid_grant` for an unknown code,
    ///   another client's, a redeemed one, or a grant revoked or whose user is disabled since.
    public static func handle(_ parameters: FormParameters, client: AuthenticatedClient, context: TokenContext) async throws -> TokenResponse {
        guard let deviceCode = parameters["device_code"] else { throw OAuthError.invalidRequest("device_code is missing") }
        guard let store = context.deviceAuthorizations else {
            throw OAuthError.unsupportedGrantType("the device code grant is not available here")
        }
        guard deviceCode.utf8.count <= 256 else { throw OAuthError.invalidGrant("the device code is invalid") }
        // RFC 8707 §2.2, checked before the poll redeems anything (a device grant records no resources).
        let audience = try ResourceIndicator.audience(parameters, grant: nil, tenant: context.tokens.tenant)
        let poll = try await store.pollDeviceAuthorization(
            deviceCodeHash: SecretHash.of(deviceCode), clientID: client.client.clientID, now: context.now)
        switch poll {
        case .unknown: throw OAuthError.invalidGrant("the device code is invalid")
        case .redeemed: throw OAuthError.invalidGrant("the device code was already used")
        case .expired: throw OAuthError(.expiredToken, "the device code expired; start again")
        case .slowDown(let interval): throw OAuthError(.slowDown, "polling too fast; the interval is now \(interval) seconds")
        case .pending: throw OAuthError(.authorizationPending, "the user has not yet decided")
        case .denied: throw OAuthError.accessDenied("the user denied the authorization request")
        case .approved(let grantID):
            guard let grant = try await context.store.grant(id: grantID), grant.revokedAt == nil else {
                throw OAuthError.invalidGrant("the grant was revoked")
            }
            let user = try await TokenEndpoint.activeUser(grant.userID, context: context)
            return try await TokenEndpoint.issueForNewGrant(grant, client: client.client, user: user, audience: audience, context: context)
        }
    }
}
