import Foundation

extension EmailAddress {
    /// The domain of an address (what follows its last `@`), e.g. `customera.com`; nil without one.
    /// Give it a normalized address (``normalize(_:)``) to compare with stored domains.
    public static func domain(of email: String) -> String? {
        guard let at = email.lastIndex(of: "@") else { return nil }
        let domain = email[email.index(after: at)...]
        return domain.isEmpty ? nil : String(domain)
    }
}

/// Home-realm discovery (docs/contract.md A8): where an address signs in. An address whose domain
/// is a verified domain (`OrganizationDomain.verifiedAt`) of an organization with its own
/// upstream provider (`OrganizationSSO`) signs in there; every other address signs in with the
/// tenant's own methods. Domains match exactly (`eng.customera.com` is not `customera.com`).
public enum HomeRealm: Sendable, Equatable {
    /// The tenant's own sign-in (password, magic link, the login page's provider buttons).
    case local
    /// The organization's provider (`sso.providerID`), for an address in `domain`.
    case organization(OrganizationSSO, domain: String)

    /// The realm of an address in `domain` (the store's verified domain of that name, if any),
    /// whose organization has `sso` (if any). An unverified domain, or SSO of another
    /// organization, routes nowhere.
    public static func decide(domain: OrganizationDomain?, sso: OrganizationSSO?) -> HomeRealm {
        guard let domain, domain.verifiedAt != nil, let sso, sso.organizationID == domain.organizationID else { return .local }
        return .organization(sso, domain: domain.domain)
    }

    /// The organization's SSO, when the address has one.
    public var sso: OrganizationSSO? {
        if case .organization(let sso, _) = self { return sso }
        return nil
    }

    /// The organization enforces its SSO (`OrganizationSSO.enforced`): a password, magic-link or
    /// headless password sign-in (and a password sign-up) for the address is refused.
    public var refusesLocalSignIn: Bool { sso?.enforced ?? false }

    /// The message a refused local sign-in shows (no account is revealed: it depends on the
    /// domain only).
    public static func refusal(domain: String) -> String {
        "Addresses at \(domain) sign in with their organization’s single sign-on. "
            + "Enter your email address on the sign-in page to continue there."
    }

    /// Looks up the realm of a raw address: one read of the verified domain, and one of its
    /// organization's SSO when the domain is verified. A malformed address is `local`.
    public static func discover(email raw: String, in store: some OrganizationInvitationStore) async throws -> HomeRealm {
        guard let email = EmailAddress.normalize(raw), let name = EmailAddress.domain(of: email),
            OrganizationDomain.isValidName(name), let domain = try await store.verifiedDomain(name)
        else { return .local }
        return decide(domain: domain, sso: try await store.sso(of: domain.organizationID))
    }
}

/// Joining organizations at sign-in (docs/contract.md A8), decided once for every sign-in method
/// (password, magic link, upstream provider, headless, sign-up) after the first factor or email
/// verification and before the organization step, so that the organization joined can be chosen in
/// the same sign-in:
/// - a user who arrived through the upstream provider of organizations' SSO
///   (`OrganizationInvitationStore.ssoOrganizations(provider:)`) joins each with its SSO's
///   `defaultRole`;
/// - a user whose email is verified, in a verified domain with `autoJoin`, joins that domain's
///   organization with the domain's `defaultRole`.
/// An existing membership is never changed (its role stays); an organization reached both ways is
/// joined once, with the SSO's role.
public enum OrganizationAutoJoin {
    /// One membership to create.
    public struct Join: Sendable, Equatable {
        public var organizationID: OrganizationID
        public var role: String

        public init(organizationID: OrganizationID, role: String) {
            self.organizationID = organizationID
            self.role = role
        }
    }

    /// The memberships to create (pure).
    /// - Parameters:
    ///   - emailVerified: the user's email address is verified.
    ///   - domain: the stored verified domain of the user's email domain, if any.
    ///   - ssoOrganizations: the SSO of the organizations whose provider the user arrived through
    ///     (empty for other sign-in methods).
    ///   - memberOf: the organizations the user is already a member of.
    public static func decide(
        emailVerified: Bool, domain: OrganizationDomain?, ssoOrganizations: [OrganizationSSO], memberOf: Set<OrganizationID>
    ) -> [Join] {
        var joins: [Join] = []
        func add(_ organization: OrganizationID, _ role: String) {
            guard !memberOf.contains(organization), !joins.contains(where: { $0.organizationID == organization }) else { return }
            joins.append(Join(organizationID: organization, role: role))
        }
        for sso in ssoOrganizations { add(sso.organizationID, sso.defaultRole) }
        if emailVerified, let domain, domain.verifiedAt != nil, domain.autoJoin { add(domain.organizationID, domain.defaultRole) }
        return joins
    }

    /// Applies the rule to `user` and stores the memberships it decides.
    ///
    /// Reads nothing for a user with an unverified email who did not arrive through a provider; a
    /// verified user costs one read of the domain (and one of the memberships when the domain
    /// joins). A membership created concurrently counts as joined; a default role or an
    /// organization deleted meanwhile skips that organization (the sign-in goes on).
    /// - Parameter provider: the upstream provider (`idp_…`) the user arrived through, if any.
    /// `recording` runs each insert (the web layer records `membership.created` with it).
    /// - Returns: the memberships created.
    /// - Throws: storage errors other than the ones above.
    public static func apply(
        to user: User, arrivedThrough provider: String?, store: some OrganizationStore & OrganizationInvitationStore,
        now: Date, recording: (Membership, () async throws -> Void) async throws -> Void = { _, insert in try await insert() }
    ) async throws -> [Membership] {
        var sso: [OrganizationSSO] = []
        if let provider { sso = try await store.ssoOrganizations(provider: provider) }
        var domain: OrganizationDomain?
        if user.emailVerified, let name = EmailAddress.domain(of: user.email), OrganizationDomain.isValidName(name) {
            domain = try await store.verifiedDomain(name)
        }
        guard !sso.isEmpty || domain?.autoJoin == true else { return [] }
        let memberOf = Set(try await store.memberships(of: user.id).map(\.organizationID))
        var created: [Membership] = []
        for join in decide(emailVerified: user.emailVerified, domain: domain, ssoOrganizations: sso, memberOf: memberOf) {
            let membership = Membership(
                organizationID: join.organizationID, userID: user.id, role: join.role, createdAt: now, updatedAt: now)
            do {
                try await recording(membership) { try await store.insertMembership(membership) }
                created.append(membership)
            } catch {
                if try await store.membership(organization: join.organizationID, user: user.id) != nil { continue }
                if try await store.role(named: join.role) == nil { continue }
                if try await store.organization(id: join.organizationID) == nil { continue }
                throw error
            }
        }
        return created
    }
}

extension SignInFlow.Proof {
    /// Whether this proof applies ``OrganizationAutoJoin`` (a first factor, an upstream sign-in or
    /// an email address proven; a second factor adds nothing to decide on).
    public var joinsOrganizations: Bool {
        if case .secondFactor = self { return false }
        return true
    }
}
