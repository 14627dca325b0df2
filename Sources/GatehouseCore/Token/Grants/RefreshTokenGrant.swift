import Foundation

/// The refresh token grant (RFC 6749 §6) with rotation (RFC 9700 §4.14.2).
public enum RefreshTokenGrant: GrantHandler {
    public static let grantType = GrantType.refreshToken
    public static let parameters: Set<String> = ["refresh_token", "scope", "organization", "resource"]

    /// Exchanges a refresh token for new tokens and a successor refresh token.
    ///
    /// - The token must have been issued to this client (§6: "validate the refresh token was issued
    ///   to the authenticated client").
    /// - `scope` may narrow, never widen, the grant's scope (§6: "MUST NOT include any scope not
    ///   originally granted").
    /// - Rotation is atomic; reuse of a rotated token after the grace window revokes the grant.
    /// - A new ID token keeps `sub`, `aud` and the original `auth_time` (OIDC Core §12.2) and omits `nonce`.
    /// - A grant acting within an organization keeps it; the tokens carry the member's current role
    ///   and permissions, and a removed membership or deleted organization is `invalid_grant`.
    /// - `organization` (an id or slug, docs/contract.md A8) switches the grant to another
    ///   organization of the user, without a new sign-in; see ``switchTarget(_:grant:client:context:)``.
    public static func handle(_ parameters: FormParameters, client: AuthenticatedClient, context: TokenContext) async throws -> TokenResponse {
        guard let presented = parameters["refresh_token"] else { throw OAuthError.invalidRequest("refresh_token is missing") }
        var requestedScope: ScopeSet?
        if let raw = parameters["scope"] {
            do { requestedScope = try ScopeSet(parsing: raw) } catch { throw OAuthError.invalidScope("scope is malformed") }
        }
        let named = parameters["organization"]
        if let named, !OrganizationRequest.isWellFormedName(named) {
            throw OAuthError.invalidRequest("organization must be an organization id (org_…) or slug")
        }
        let now = context.now
        let hash = SecretHash.of(presented)
        let successor = RandomText.bearerSecret()
        // A refused request must change nothing (RFC 6749 §5.2), so a requested scope and the
        // organization are checked against the grant before the token rotates. A plain refresh of
        // a grant without an organization needs no such check: one transaction reads and rotates
        // (`admit`). Any other grant is answered `.notAdmitted` unchanged and checked first.
        @Sendable func rotate(admit: @escaping @Sendable (Grant) -> Bool) async throws -> RefreshRotation {
            try await context.store.rotateRefreshToken(
                hash: hash, clientID: client.client.clientID, successorHash: SecretHash.of(successor),
                successorExpiresAt: now.addingTimeInterval(TimeInterval(context.settings.refreshTokenTTL)),
                at: now, reuseGrace: context.refreshReuseGrace, admit: admit)
        }
        // RFC 9449 §5: a refresh token bound to a DPoP key (a public client's, bound when its grant
        // was issued; a confidential client's are never bound) is refreshed only with a proof of
        // that key; checked before the rotation, so that a refusal changes nothing. A token already
        // rotated goes on to the rotation, whose reuse detection revokes the grant (RFC 9700 §4.14.2).
        // Where the request offers no DPoP (the headless API), a bound token has no proof: refused.
        if client.client.type == .public, let store = context.dpopBindings, let record = try await context.store.refreshToken(hash: hash),
            record.rotatedAt == nil
        {
            if let boundJKT = try await store.dpopKeys(grantID: record.grantID).refreshJKT, context.dpopJKT != boundJKT {
                throw OAuthError.invalidGrant("the refresh token is bound to a DPoP key; send a proof of that key")
            }
        }
        let tenant = context.tokens.tenant
        let plain = requestedScope == nil && named == nil && parameters.values("resource").isEmpty
        var rotation = try await rotate { grant in plain && grant.organizationID == nil }
        var target: Organization?
        if case .notAdmitted(let grant) = rotation {
            if let requestedScope, !requestedScope.isSubset(of: grant.scope) {
                throw OAuthError.invalidScope("scope exceeds the original grant")
            }
            // RFC 8707 §2.2: a resource of the grant, checked before the token rotates.
            _ = try ResourceIndicator.audience(parameters, grant: grant, tenant: tenant)
            if let named {
                target = try await switchTarget(named, grant: grant, client: client.client, context: context)
            } else {
                _ = try await TokenEndpoint.organizationContext(of: grant, context: context)
            }
            rotation = try await rotate { _ in true }
        }
        switch rotation {
        case .rotated(let grant, let user):
            return try await issue(
                grant: grant, user: user, requestedScope: requestedScope, target: target, successor: successor, client: client,
                audience: try ResourceIndicator.audience(parameters, grant: grant, tenant: tenant), context: context)
        case .notFound, .notAdmitted: throw OAuthError.invalidGrant("the refresh token is invalid")
        case .expired: throw OAuthError.invalidGrant("the refresh token expired")
        case .grantInactive: throw OAuthError.invalidGrant("the refresh token was revoked")
        case .reusedWithinGrace: throw OAuthError.invalidGrant("the refresh token was already used")
        case .reuseDetected: throw OAuthError.invalidGrant("the refresh token was reused; the grant is revoked")
        }
    }

    /// Issues the tokens of a rotated grant: `user`, read in the rotating transaction, must still
    /// be active; `target` (checked before the rotation) becomes the grant's organization.
    static func issue(
        grant rotated: Grant, user: User?, requestedScope: ScopeSet?, target: Organization?, successor: String,
        client: AuthenticatedClient, audience: String? = nil, context: TokenContext
    ) async throws -> TokenResponse {
        var grant = rotated
        let scope = requestedScope ?? grant.scope
        guard scope.isSubset(of: grant.scope) else {
            throw OAuthError.invalidScope("scope exceeds the original grant")
        }
        guard let user, !user.disabled else { throw OAuthError.invalidGrant("the user of this grant is no longer active") }
        if let target {
            try await context.store.setOrganization(of: grant.id, to: target.id)
            grant.organizationID = target.id
        }
        let organization = try await TokenEndpoint.organizationContext(of: grant, context: context)
        return try TokenEndpoint.issueTokens(
            for: grant, client: client.client, user: user, scope: scope,
            includeNonce: false, refreshToken: successor, organization: organization, audience: audience, context: context)
    }

    /// The organization a refresh with `organization=<id or slug>` switches the grant to.
    ///
    /// RFC 6749 §6 lets a refresh issue tokens "with identical scope" or narrower, never "any scope
    /// not originally granted". Switching stays within that: only a grant that was given the
    /// `organization` scope (or whose client requires an organization) may switch, and only to an
    /// organization the user is a member of now, so the user's own membership authorizes the new
    /// context as their choice on the picker would; a grant without it is `invalid_scope`.
    /// Anything else is `invalid_grant` (RFC 6749 §5.2: the refresh token is not valid for that
    /// organization), worded alike for an unknown organization and one the user is not a member of,
    /// so the answer does not reveal which organizations exist. An organization that requires a
    /// second factor is refused to a grant whose sign-in proved none (`amr` without `mfa`): the
    /// user signs in again.
    static func switchTarget(_ named: String, grant: Grant, client: Client, context: TokenContext) async throws -> Organization {
        guard grant.scope.contains(StandardScope.organization) || client.organizationRequired else {
            throw OAuthError.invalidScope("organization needs a grant with the organization scope")
        }
        let found =
            if let id = OrganizationID(rawValue: named) {
                try await context.store.organization(id: id)
            } else {
                try await context.store.organization(slug: named)
            }
        guard let organization = found,
            try await context.store.membership(organization: organization.id, user: grant.userID) != nil
        else {
            throw OAuthError.invalidGrant("the user is not a member of the requested organization")
        }
        if organization.mfaRequired, !grant.amr.contains("mfa") {
            throw OAuthError.invalidGrant("the organization requires two-step verification; sign in again")
        }
        return organization
    }
}
