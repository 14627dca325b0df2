import Foundation
import GatehouseCrypto
import HTTPTypes
import HummingbirdTesting
import Testing

/// The invitee's pages of an organization invitation: the mail in the outbox folder, the link's
/// page, its CSRF-checked Accept, the sign-in it starts, and links that cannot be used.
@Suite("Web: organization invitation pages")
struct InvitationPageTests {
    /// An organization with an owner, an invitation to `address` created through the admin API,
    /// and the link path of the delivered mail (`/t/default/invitations/<token>`).
    static func invite(_ web: WebHarness, _ address: String) async throws -> (organization: String, invitation: String, link: String) {
        let owner = try await web.admin(
            .post, "/tenants/default/users",
            json: #"{"email":"owner@example.com","password":"correct horse battery staple","name":"Owner","email_verified":true}"#)
        let ownerID = try #require(try owner.jsonObject()["id"] as? String)
        let org = try await web.admin(
            .post, "/tenants/default/organizations", json: #"{"name":"Customer <A>","slug":"customer-a","owner_user_id":"\#(ownerID)"}"#)
        try #require(org.status == .created, "\(org.text)")
        let orgID = try #require(try org.jsonObject()["id"] as? String)
        let created = try await web.admin(
            .post, "/tenants/default/organizations/\(orgID)/invitations", json: #"{"email":"\#(address)","role":"admin"}"#)
        try #require(created.status == .created, "\(created.text)")
        let invitationID = try #require(try created.jsonObject()["id"] as? String)
        #expect(!created.text.contains("token"), "the link token is never answered")
        return (orgID, invitationID, try await link(web, to: address))
    }

    /// Waits (up to 10 s) for the newest `.eml` to `address` in the outbox folder and returns its invitation link path.
    static func link(_ web: WebHarness, to address: String, after known: Set<String> = []) async throws -> String {
        let outbox = web.dataDirectory.appendingPathComponent("outbox")
        for _ in 0..<200 {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: outbox.path)) ?? []
            for name in names.sorted().reversed() where name.hasSuffix(".eml") && !known.contains(name) {
                let raw = try String(contentsOf: outbox.appendingPathComponent(name), encoding: .utf8)
                let text = raw.replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(of: "=3D", with: "=")
                guard text.contains("To: \(address)") || text.contains("<\(address)>"),
                    let match = text.firstMatch(of: #/http://gatehouse\.test(/t/default/invitations/[A-Za-z0-9_-]{43})/#)
                else { continue }
                return String(match.1)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("no invitation mail to \(address)")
        return "/t/default/invitations/none"
    }

    static func outboxNames(_ web: WebHarness) -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: web.dataDirectory.appendingPathComponent("outbox").path)) ?? [])
    }

    @Test("the link's page shows the organization and role escaped; Accept needs the CSRF token and starts the console's sign-in")
    func pageAndAccept() async throws {
        try await WebHarness.run { web in
            let (_, _, link) = try await Self.invite(web, "invitee@example.com")
            let browser = Browser(harness: web)
            let page = try await browser.get(link)
            #expect(page.status == .ok)
            #expect(page.text.contains("Customer &lt;A&gt;") && !page.text.contains("Customer <A>"))
            #expect(page.text.contains("invitee@example.com") && page.text.contains(">admin<"))
            #expect(page.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            #expect(page.headers[.cacheControl] == "no-store" && !page.text.contains("<script"))
            let csrf = try #require(hiddenInputs(page.text)["csrf_token"])
            #expect(formAction(page.text) == link)

            let forged = try await browser.postForm(link, [("csrf_token", "forged")])
            #expect(forged.status == .badRequest)
            #expect(forged.setCookies["gh_invitation"] == nil)

            let accepted = try await browser.postForm(link, [("csrf_token", csrf)])
            #expect(accepted.status == .seeOther)
            let location = try #require(accepted.headers[.location])
            #expect(location.hasPrefix("/t/default/authorize?"))
            let query = try #require(URLComponents(string: location)?.queryItems)
            #expect(query.first { $0.name == "login_hint" }?.value == "invitee@example.com")
            #expect(query.first { $0.name == "prompt" } == nil, "no session: no prompt=login")
            let cookie = try #require(accepted.setCookies["gh_invitation"])
            #expect(link.hasSuffix("/" + cookie.value))
            #expect(cookie.attributes.contains("httponly") && cookie.attributes.contains("path=/t/default"))
            // The login page it leads to offers sign-up although self_signup is off.
            let login = try await browser.get(try #require(try await browser.get(location).headers[.location]))
            #expect(login.status == .ok && login.text.contains("/t/default/signup?interaction="))
            #expect(login.text.contains(#"value="invitee@example.com""#))
        }
    }

    @Test("unknown, malformed, revoked and resent-away links answer a readable 404 page")
    func unusableLinks() async throws {
        try await WebHarness.run { web in
            let (org, invitation, link) = try await Self.invite(web, "later@example.com")
            for path in [
                "/t/default/invitations/x", "/t/default/invitations/" + String(repeating: "A", count: 43),
                "/t/default/invitations/" + String(repeating: "A", count: 600),
            ] {
                let page = try await web.get(path)
                #expect(page.status == .notFound && page.text.contains("Invitation not valid"), "\(path)")
            }
            let known = Self.outboxNames(web)
            let resent = try await web.admin(.post, "/tenants/default/organizations/\(org)/invitations/\(invitation)/resend")
            #expect(resent.status == .ok, "\(resent.text)")
            let renewed = try await Self.link(web, to: "later@example.com", after: known)
            #expect(renewed != link)
            #expect(try await web.get(link).status == .notFound, "the old link stopped working")
            #expect(try await web.get(renewed).status == .ok)
            let revoked = try await web.admin(.post, "/tenants/default/organizations/\(org)/invitations/\(invitation)/revoke")
            #expect(revoked.status == .ok, "\(revoked.text)")
            #expect(try await web.get(renewed).status == .notFound)
        }
    }
}
