import Foundation
import GatehouseCore
import GatehouseStore
import GatehouseThreads
import Logging

/// First-factor sign-in shared by the login page and the headless API.
extension Services {
    /// Checks an email and password against a tenant's users.
    ///
    /// The email is normalized; an unknown account is verified against a decoy hash so that it
    /// costs the same time as a known one, and the answer never says which it was. A stored hash
    /// with older Argon2id parameters is upgraded after a successful check.
    /// Every check passes the throttle first (per tenant, account and IP, persisted in the tenant's
    /// database); a refused attempt costs no hashing.
    /// - Returns: the user, or nil for any mismatch (unknown, wrong password, disabled, no password).
    /// - Throws: `SignInThrottle.Refused` (answer 429 with `Retry-After`), `ThreadPool.Busy` when the
    ///   hashing queue is full (answer 503).
    func verifyCredentials(email rawEmail: String, password: String, in database: any TenantHandle, ip: String?) async throws -> User? {
        let email = EmailAddress.normalize(rawEmail)
        return try await throttled(
            throttle, account: email ?? rawEmail.lowercased(), ip: ip, database: database,
            initial: .abandoned
        ) { outcome in
            guard !password.isEmpty, password.utf8.count <= 1024 else {
                _ = try await passwords.verify(password, encoded: nil)
                outcome = .failure
                return nil
            }
            var user: User?
            if let email { user = try await database.user(email: email) }
            // A full hashing pool throws here: the attempt is abandoned, not counted as a failure.
            let check = try await passwords.verify(password, encoded: user?.passwordHash)
            outcome = .failure
            guard let user, check.valid, !user.disabled else { return nil }
            outcome = .success
            if check.needsRehash {
                try await database.updatePasswordHash(userID: user.id, hash: try await passwords.hash(password), at: clock.now)
            }
            return user
        }
    }

    /// What the sign-in state machine (`SignInFlow`) needs to know about `user` after proving `amr`:
    /// with the user's organizations when the sign-in asks for an organization context (`ask`),
    /// and what it chose so far (`chosen`).
    ///
    /// With `joining` (a first factor, an upstream sign-in or an email address proven:
    /// `SignInFlow.Proof.joinsOrganizations`), the organizations the user joins by verified domain
    /// or by the SSO provider they arrived through (`OrganizationAutoJoin`) are joined first, so
    /// that the organization step can choose them.
    /// - Parameter provider: the upstream provider (`idp_…`) of an upstream sign-in.
    func signInSubject(
        _ user: User, amr: [String], in database: any TenantHandle, organizations ask: OrganizationRequest = .none,
        chosen: OrganizationChoice? = nil, joining: Bool = false, arrivedThrough provider: String? = nil
    ) async throws -> SignInFlow.Subject {
        if joining {
            let joined = try await OrganizationAutoJoin.apply(to: user, arrivedThrough: provider, store: database, now: clock.now) {
                membership, insert in
                let entry = AuditDraft.membership(
                    "membership.created", organization: membership.organizationID, user: user.id, role: membership.role, actor: .system,
                    ip: nil)
                try await audited([entry], in: database) { try await insert() }
            }
            for membership in joined {
                logger.info(
                    "user joined an organization at sign-in",
                    metadata: [
                        "tenant": "\(database.tenant.id)", "organization": "\(membership.organizationID)",
                        "user": "\(user.id)", "role": "\(membership.role)", "by": "\(provider == nil ? "domain" : "sso")",
                    ])
            }
        }
        return SignInFlow.Subject(
            userID: user.id, emailVerified: user.emailVerified,
            enrolledFactors: try await enrolledFactors(of: user.id, in: database), amr: amr,
            organizations: try await organizationOptions(of: user.id, for: ask, in: database), organization: chosen)
    }

    /// The second factors `user` has: their `mfa_factors` rows and, where the tenant allows
    /// passkeys, `webauthn` when they registered one. A passkey counts on every path: the headless
    /// API, which cannot run the ceremony, refuses a sign-in that only a passkey could complete
    /// rather than letting the password alone skip the user's second factor or enrol another.
    func enrolledFactors(of user: UserID, in database: any TenantHandle) async throws -> [MFAFactorKind] {
        var kinds = try await database.mfaFactors(userID: user).map(\.kind)
        if passkeyRelyingParty(database.tenant) != nil, try await !database.passkeys(userID: user).isEmpty {
            kinds.append(.webauthn)
        }
        return kinds
    }

    /// Starts a session for `user` after authenticating with `amr`.
    /// - Returns: the session and the secret that identifies it (the cookie value for browsers).
    func startSession(
        for user: User, amr: [String], userAgent: String?, ipAddress: String?,
        in database: any TenantHandle
    ) async throws -> (Session, secret: String) {
        let new = newSession(for: user, amr: amr, userAgent: userAgent, ipAddress: ipAddress, tenant: database.tenant)
        try await audited(signInDrafts(.start(new.session), userID: user.id, ip: ipAddress, userAgent: userAgent), in: database) {
            try await database.insertSession(new.session)
        }
        return (new.session, new.secret)
    }

    /// A new session of the tenant's lifetime (not yet stored), and the secret that identifies it.
    func newSession(
        for user: User, amr: [String], userAgent: String?, ipAddress: String?,
        tenant: ResolvedTenant
    ) -> (session: Session, secret: String) {
        let now = clock.now
        let secret = RandomText.bearerSecret()
        let session = Session(
            id: .generate(at: now), tokenHash: SecretHash.of(secret), userID: user.id, authTime: now, amr: amr,
            createdAt: now, expiresAt: now.addingTimeInterval(TimeInterval(tenant.tenant.settings.sessionTTL)),
            userAgent: userAgent.map { String($0.prefix(256)) }, ipAddress: ipAddress)
        return (session, secret)
    }
}
