import Foundation
import GatehouseCore
@testable import GatehouseWeb
import Testing

/// The default `email/invitation` template and the values the invitation mail is built with.
@Suite("Web: invitation email")
struct InvitationMailTests {
    @Test("every invitation variable appears, escaped in the HTML part and plain in the text part")
    func rendersEveryVariable() async throws {
        let f = try await EmailServiceTests.Fixture.make()
        defer { f.cleanUp() }
        let hostile = "<b>Bobby & Co</b>"
        let rendered = try f.mail.render(
            named: EmailTemplate.invitation.rawValue,
            values: [
                "user_email": "ada@example.com", "organization_name": hostile, "inviter_name": "Grace <Hopper>",
                "role": "admin", "link": "https://id.example.com/t/acme/invitations/abc", "expires_in": "7 days",
                "expires_at": "2030-01-08 09:00 UTC",
            ], database: f.database)
        #expect(rendered.subject == "Grace <Hopper> invited you to join <b>Bobby & Co</b> on Acme <Production>")
        #expect(rendered.text.contains("https://id.example.com/t/acme/invitations/abc"))
        #expect(rendered.text.contains("as admin") && rendered.text.contains("7 days (2030-01-08 09:00 UTC)"))
        let html = try #require(rendered.html)
        #expect(!html.contains("<b>Bobby") && html.contains("&lt;b&gt;Bobby &amp; Co&lt;/b&gt;"))
        #expect(html.contains("Grace &lt;Hopper&gt;") && html.contains("href=\"https://id.example.com/t/acme/invitations/abc\""))
    }

    @Test("an invitation from the admin API names no inviter")
    func withoutInviter() async throws {
        let f = try await EmailServiceTests.Fixture.make()
        defer { f.cleanUp() }
        let rendered = try f.mail.render(
            named: EmailTemplate.invitation.rawValue,
            values: ["organization_name": "Customer A", "role": "member", "link": "https://x.example/i", "expires_in": "1 day"],
            database: f.database)
        #expect(rendered.subject == "You are invited to join Customer A on Acme <Production>")
        #expect(rendered.text.contains("You have been invited to join the organization Customer A"))
    }

    @Test(
        "a lifetime in words",
        arguments: [
            (7 * 86400.0, "7 days"), (86400, "1 day"), (7200, "2 hours"), (3600, "1 hour"), (5400, "90 minutes"),
            (60, "1 minute"), (10, "1 minute"), (7 * 86400 - 0.2, "7 days"),
        ] as [(TimeInterval, String)])
    func duration(_ seconds: TimeInterval, _ words: String) {
        #expect(Services.duration(seconds) == words)
    }

    @Test("the expiry in UTC to the minute, and a 256-bit link token stored as its SHA-256")
    func expiryAndToken() {
        #expect(Services.utcMinute(Date(timeIntervalSince1970: 1_893_488_400)) == "2030-01-01 09:00 UTC")
        let (token, hash) = Services.invitationToken()
        #expect(token.count == 43 && hash == SecretHash.of(token) && hash.count == 32)
        #expect(Services.invitationToken().token != token)
    }
}
