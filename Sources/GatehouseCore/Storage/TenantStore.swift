import Foundation

/// The result of consuming an authorization code (docs/architecture.md H7, after node-oidc-provider's
/// `consumeGrantSource`): consumption is one atomic store operation.
public enum CodeConsumption: Sendable, Equatable {
    /// First use: the code record, now marked consumed.
    case consumed(AuthorizationCode)
    /// The code was used before: the caller revokes the grant and answers `invalid_grant`.
    case alreadyConsumed(GrantID)
    case notFound
}

/// The result of rotating a refresh token (RFC 9700 §4.14.2).
public enum RefreshRotation: Sendable, Equatable {
    /// The presented token is now rotated and its successor stored; with the grant's user as the
    /// rotating transaction read it (nil when the user is gone), so that issuing the new tokens
    /// needs no second read.
    case rotated(Grant, User?)
    /// Unknown token, or a token of another client (indistinguishable to the caller).
    case notFound
    case expired
    /// The grant was revoked, or its browser session ended (non-offline grants).
    case grantInactive
    /// The token was rotated less than the grace window ago: refused, the grant survives.
    case reusedWithinGrace
    /// The token was rotated longer ago than the grace window: the grant is now revoked.
    case reuseDetected(GrantID)
    /// The token is live, but its grant did not pass the caller's `admit` check: nothing changed.
    case notAdmitted(Grant)

    /// The grant of a `.rotated` outcome, nil for every other outcome.
    public var rotatedGrant: Grant? {
        if case .rotated(let grant, _) = self { return grant }
        return nil
    }
}

/// What the protocol core (endpoints, grant handlers, interaction logic) needs of one tenant's
/// storage: client and user lookup, sessions, interactions and consent, grants and tokens, and
/// organizations with their roles, memberships, invitations, domains and SSO (the organization
/// context of tokens).
///
/// Every implementation exists only for one resolved tenant (GatehouseStore's `TenantDatabase`,
/// GatehouseStoreTesting's `InMemoryTenantStore`); nothing here takes a tenant id, so no call can
/// reach another tenant's rows. Every `Date` is stored with millisecond precision or better.
/// The conformance suite (`Tests/GatehouseStoreTests`, `ConformanceBackend`) proves the guarantees
/// documented on each requirement against every backend (docs/architecture.md, Storage).
public typealias TenantStore =
    ClientStore & UserStore & SessionStore & InteractionStore & GrantStore & OrganizationStore & OrganizationInvitationStore

/// Everything the web layer needs of one tenant's storage: the core's `TenantStore` and the
/// account, second-factor, federation, mail, template, key and client-administration stores.
/// `TenantDatabase` (SQLite) implements all of it.
public typealias TenantStorage =
    TenantStore & AccountStore & SecondFactorStore & FederationStore & MailOutboxStore & TemplateStore & KeyStore
    & ClientAdminStore & AuditStore & WebhookStore & ClientAssertionReplayStore & ConsoleRoleStore
    & PushedAuthorizationStore & DeviceAuthorizationStore & LogoutDeliveryStore & ClientRegistrationStore & DPoPStore & PasskeyStore
    & SignInMethodStore
