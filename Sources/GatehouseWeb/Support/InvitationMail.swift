import Foundation
import GatehouseCore
import GatehouseOutbound
import GatehouseStore
import Logging

/// The link and the email of an organization invitation (docs/contract.md A8).
///
/// An invitation's link is `{issuer}/invitations/{token}`: the token is 256 random bits
/// (`RandomText.bearerSecret`, 43 base64url characters), only its SHA-256 is stored
/// (docs/architecture.md H8), and it exists in clear only in the email.
extension Services {
    /// A new link token: the raw token for the email and the hash to store in the invitation.
    static func invitationToken() -> (token: String, hash: [UInt8]) {
        let token = RandomText.bearerSecret()
        return (token, SecretHash.of(token))
    }

    /// `{issuer}/invitations/{token}`: the page where the invitee accepts.
    func invitationLink(_ tenant: ResolvedTenant, token: String) -> String {
        issuer(of: tenant) + "/invitations/" + token
    }

    /// Queues the tenant's `email/invitation` for the invited address, with the link of `token`
    /// (which must be the token whose hash the invitation holds).
    ///
    /// Values: `organization_name`, `role`, `link`, `expires_in` (e.g. "7 days"), `expires_at`
    /// (UTC, minute precision), `user_email` (the invited address) and, when a member invited,
    /// `inviter_name` (their name, else their address).
    /// An address the mailer cannot send to (not a plain ASCII `local@domain`, ``canMail(_:)``)
    /// is logged and skipped, so callers check it first.
    /// - Throws: storage errors.
    func sendInvitationEmail(
        _ invitation: OrganizationInvitation, organization: Organization, token: String, database: any TenantHandle
    ) async throws {
        var values = [
            "user_email": invitation.email, "organization_name": organization.name, "role": invitation.role,
            "link": invitationLink(database.tenant, token: token),
            "expires_in": Self.duration(invitation.expiresAt.timeIntervalSince(clock.now)),
            "expires_at": Self.utcMinute(invitation.expiresAt),
        ]
        if let inviterID = invitation.invitedBy, let inviter = try await database.user(id: inviterID) {
            values["inviter_name"] = inviter.name ?? inviter.email
        }
        do {
            try await mail.send(.invitation, to: invitation.email, values: values, database: database)
        } catch let error as EmailError {
            logger.warning("invitation email not queued", metadata: ["invitation": "\(invitation.id.rawValue)", "reason": "\(error)"])
        }
    }

    /// Whether the mailer can send to `address` (RFC 5321 plain ASCII `local@domain`; SMTPUTF8 is
    /// not used): an invitation to any other address could never be delivered.
    static func canMail(_ address: String) -> Bool { (try? MailAddress.validate(address)) != nil }

    /// A lifetime in words: whole days, else whole hours, else minutes ("7 days", "2 hours", "90 minutes").
    static func duration(_ seconds: TimeInterval) -> String {
        let minutes = max(1, Int((seconds / 60).rounded()))
        func plural(_ n: Int, _ unit: String) -> String { "\(n) \(unit)\(n == 1 ? "" : "s")" }
        if minutes % 1440 == 0 { return plural(minutes / 1440, "day") }
        if minutes % 60 == 0 { return plural(minutes / 60, "hour") }
        return plural(minutes, "minute")
    }

    /// `2030-01-08 09:00 UTC`.
    static func utcMinute(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        func two(_ n: Int?) -> String { String(format: "%02d", n ?? 0) }
        return "\(c.year ?? 0)-\(two(c.month))-\(two(c.day)) \(two(c.hour)):\(two(c.minute)) UTC"
    }
}
