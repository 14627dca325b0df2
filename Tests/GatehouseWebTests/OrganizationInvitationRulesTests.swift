import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// The invitation rules every surface shares (`OrganizationInvitations`): through the admin API,
/// and the invitee's side through the headless API (docs/contract.md A8).
@Suite("Web: organization invitation rules")
struct OrganizationInvitationRulesTests {
    /// An organization `customer-a` owned by `owner@example.com`; its id and the owner's id.
    static func organization(_ web: WebHarness) async throws -> (org: String, owner: String) {
        let owner = try await web.admin(
            .post, "/tenants/default/users",
            json: #"{"email":"owner@example.com","password":"correct horse battery staple","name":"Owner","email_verified":true}"#)
        let ownerID = try #require(try owner.jsonObject()["id"] as? String)
        let org = try await web.admin(
            .post, "/tenants/default/organizations", json: #"{"name":"Customer A","slug":"customer-a","owner_user_id":"\#(ownerID)"}"#)
        try #require(org.status == .created, "\(org.text)")
        return (try #require(try org.jsonObject()["id"] as? String), ownerID)
    }

    @Test("one pending invitation per address, a role of the tenant, never a member's address; revoke and resend once")
    func adminRules() async throws {
        try await WebHarness.run { web in
            let (org, _) = try await Self.organization(web)
            let path = "/tenants/default/organizations/\(org)/invitations"
            let member = try await web.admin(.post, path, json: #"{"email":"Owner@Example.com"}"#)
            #expect(member.status == .conflict && member.text.contains("member of the organization"), "\(member.text)")
            let created = try await web.admin(.post, path, json: #"{"email":"bob@example.com","role":"admin"}"#)
            try #require(created.status == .created, "\(created.text)")
            let id = try #require(try created.jsonObject()["id"] as? String)
            let again = try await web.admin(.post, path, json: #"{"email":"BOB@example.com"}"#)
            #expect(again.status == .conflict && again.text.contains("pending invitation"), "\(again.text)")
            let role = try await web.admin(.post, path, json: #"{"email":"carol@example.com","role":"ghost"}"#)
            #expect(role.status == .unprocessableContent && role.text.contains("role"), "\(role.text)")
            let address = try await web.admin(.post, path, json: #"{"email":"not an address"}"#)
            #expect(address.status == .unprocessableContent && address.text.contains("email"), "\(address.text)")
            let list = try await web.admin(.get, path)
            #expect((try list.jsonObject()["invitations"] as? [Any])?.count == 1)

            #expect(try await web.admin(.post, "\(path)/\(id)/revoke").status == .ok)
            let twice = try await web.admin(.post, "\(path)/\(id)/revoke")
            #expect(twice.status == .conflict && twice.text.contains("revoked"), "\(twice.text)")
            #expect(try await web.admin(.post, "\(path)/\(id)/resend").status == .conflict)
            #expect(try await web.admin(.post, path, json: #"{"email":"bob@example.com"}"#).status == .created)
        }
    }

    @Test("the invitee lists and accepts their own invitation by id once; another account's is 404")
    func headlessInvitee() async throws {
        try await WebHarness.run { web in
            let (org, _) = try await Self.organization(web)
            try await web.createUser(email: "bob@example.com", password: "correct horse battery staple")
            try await web.createUser(email: "eve@example.com", password: "correct horse battery staple")
            let client = try await web.createClient(type: "public", firstParty: true)
            let created = try await web.admin(
                .post, "/tenants/default/organizations/\(org)/invitations", json: #"{"email":"bob@example.com","role":"admin"}"#)
            let id = try #require(try created.jsonObject()["id"] as? String)

            func token(_ email: String) async throws -> String {
                let signed = try await web.send(
                    .post, "/v1/auth/sign-in", headers: [.contentType: "application/json", HTTPField.Name("X-Client-Id")!: client.clientID],
                    body: #"{"email":"\#(email)","password":"correct horse battery staple"}"#)
                try #require(signed.status == .ok, "\(signed.text)")
                return try #require(try signed.jsonObject()["access_token"] as? String)
            }
            func call(_ method: HTTPRequest.Method, _ path: String, as bearer: String) async throws -> TestResponse {
                try await web.send(
                    method, "/v1" + path,
                    headers: [.authorization: "Bearer \(bearer)", HTTPField.Name("X-Client-Id")!: client.clientID])
            }
            let bob = try await token("bob@example.com")
            let eve = try await token("eve@example.com")
            let mine = try await call(.get, "/invitations", as: bob)
            #expect(mine.status == .ok && mine.text.contains(id) && mine.text.contains("Customer A"), "\(mine.text)")
            #expect(try await call(.get, "/invitations", as: eve).text == #"{"invitations":[]}"#)
            let stolen = try await call(.post, "/invitations/\(id)/accept", as: eve)
            #expect(stolen.status == .notFound && stolen.text.contains("not_found"), "\(stolen.text)")

            let accepted = try await call(.post, "/invitations/\(id)/accept", as: bob)
            #expect(accepted.status == .ok, "\(accepted.text)")
            let organization = try #require(try accepted.jsonObject()["organization"] as? [String: Any])
            #expect(organization["id"] as? String == org && organization["role"] as? String == "admin")
            let twice = try await call(.post, "/invitations/\(id)/accept", as: bob)
            #expect(twice.status == .conflict && twice.text.contains("accepted"), "\(twice.text)")
            let listed = try await call(.get, "/organizations/\(org)/invitations", as: bob)
            #expect(listed.status == .ok && listed.text.contains(#""status":"accepted""#), "\(listed.text)")
        }
    }
}
