import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// The admin API (docs/contract.md A4): bearer token, RFC 9457 problem details, 201 on create.
@Suite("Web: admin API")
struct AdminAPITests {
    /// Checks the RFC 9457 members and returns the body.
    @discardableResult
    static func expectProblem(
        _ response: TestResponse, status: HTTPResponse.Status,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [String: Any] {
        #expect(response.status == status, "\(response.text)", sourceLocation: sourceLocation)
        #expect(response.headers[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
        let problem = try response.jsonObject(sourceLocation: sourceLocation)
        #expect(problem["type"] is String, sourceLocation: sourceLocation)
        #expect(problem["title"] is String, sourceLocation: sourceLocation)
        #expect(problem["status"] as? Int == status.code, sourceLocation: sourceLocation)
        #expect(problem["detail"] is String, sourceLocation: sourceLocation)
        return problem
    }

    static func fieldNames(_ problem: [String: Any]) -> Set<String> {
        Set((problem["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String })
    }

    @Test(
        "without a token, or with a wrong one, the admin API answers 401 problem+json",
        arguments: [
            nil, "wrong-token-wrong-token-wrong-tok", "", "gatehouse-test-admin-token-32ch",
        ] as [String?])
    func unauthorized(_ token: String?) async throws {
        try await WebHarness.run { web in
            for (method, path) in [(HTTPRequest.Method.get, "/tenants"), (.post, "/tenants"), (.delete, "/tenants/default")] {
                let response = try await web.admin(
                    method, path, json: method == .post ? #"{"slug":"x1","name":"X","environment":"dev"}"# : nil,
                    token: token)
                try Self.expectProblem(response, status: .unauthorized)
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            }
            #expect(try await web.get("/t/default/.well-known/openid-configuration").status == .ok, "nothing was deleted")
        }
    }

    @Test("creating a tenant answers 201 with its issuer, and the tenant serves discovery")
    func createTenant() async throws {
        try await WebHarness.run { web in
            let response = try await web.admin(.post, "/tenants", json: #"{"slug":"acme","name":"Acme","environment":"live"}"#)
            #expect(response.status == .created)
            let tenant = try response.jsonObject()
            #expect(tenant["slug"] as? String == "acme")
            #expect(tenant["issuer"] as? String == "http://gatehouse.test/t/acme")
            #expect((tenant["id"] as? String)?.hasPrefix("ten_") == true)
            let discovery = try await web.get("/t/acme/.well-known/openid-configuration")
            #expect(try discovery.jsonObject()["issuer"] as? String == "http://gatehouse.test/t/acme")
        }
    }

    struct BadBody: Sendable, CustomTestStringConvertible {
        let rule: String
        let path: String
        let body: String
        let fields: Set<String>
        var testDescription: String { rule }
    }

    static let badBodies: [BadBody] = [
        BadBody(
            rule: "every bad tenant field is reported at once", path: "/tenants",
            body: #"{"slug":"Not A Slug!","name":"  ","environment":"prod","color":"blue"}"#,
            fields: ["slug", "name", "environment", "color"]),
        BadBody(
            rule: "missing required tenant fields are each reported", path: "/tenants", body: "{}",
            fields: ["slug", "name", "environment"]),
        BadBody(
            rule: "wrong JSON types are reported per field", path: "/tenants",
            body: #"{"slug":42,"name":true,"environment":["dev"]}"#, fields: ["slug", "name", "environment"]),
        BadBody(
            rule: "bad nested settings are reported with their path", path: "/tenants",
            body:
                #"{"slug":"ok-slug","name":"Ok","environment":"dev","settings":{"access_token_ttl":0,"allowed_origins":["https://a.example/path"],"nope":1}}"#,
            fields: ["settings.access_token_ttl", "settings.allowed_origins[0]", "settings.nope"]),
        BadBody(
            rule: "every bad client field is reported at once", path: "/tenants/default/clients",
            body: #"{"name":"X","type":"secret","redirect_uris":["https://a.example/cb#frag","not a uri"],"grant_types":["implicit"],"first_party":"yes"}"#,
            fields: ["type", "redirect_uris[0]", "redirect_uris[1]", "grant_types", "first_party"]),
        BadBody(
            rule: "every bad user field is reported at once", path: "/tenants/default/users",
            body: #"{"email":"not-an-email","password":"short","name":7}"#, fields: ["email", "password", "name"]),
    ]

    @Test("invalid bodies are 422 problem details whose errors name every bad field", arguments: badBodies)
    func validation(_ row: BadBody) async throws {
        try await WebHarness.run { web in
            let problem = try Self.expectProblem(try await web.admin(.post, row.path, json: row.body), status: .unprocessableContent)
            #expect(Self.fieldNames(problem) == row.fields)
            for field in row.fields { #expect((problem["detail"] as? String)?.contains(field) == true) }
        }
    }

    @Test("a body that is not a JSON object is 400, another media type 415")
    func malformedBodies() async throws {
        try await WebHarness.run { web in
            try Self.expectProblem(try await web.admin(.post, "/tenants", json: "[1,2"), status: .badRequest)
            try Self.expectProblem(try await web.admin(.post, "/tenants", json: "[1,2]"), status: .badRequest)
            let form = try await web.send(
                .post, "/admin/v1/tenants",
                headers: [.authorization: "Bearer \(WebHarness.adminToken)", .contentType: "application/x-www-form-urlencoded"],
                body: "slug=x&name=y&environment=dev")
            try Self.expectProblem(form, status: .unsupportedMediaType)
        }
    }

    @Test("a duplicate slug is 409")
    func duplicateSlug() async throws {
        try await WebHarness.run { web in
            try Self.expectProblem(
                try await web.admin(.post, "/tenants", json: #"{"slug":"default","name":"Again","environment":"dev"}"#),
                status: .conflict)
        }
    }

    @Test("clients get pk_<env>_ keys; only confidential clients get an sk_<env>_ secret, shown once")
    func clientKeys() async throws {
        try await WebHarness.run { web in
            let publicClient = try await web.createClient(type: "public")
            #expect(publicClient.clientID.hasPrefix("pk_dev_"))
            #expect(publicClient.secret == nil)
            let confidential = try await web.createClient(type: "confidential")
            #expect(confidential.clientID.hasPrefix("pk_dev_"))
            #expect(confidential.secret?.hasPrefix("sk_dev_") == true)
            #expect(publicClient.clientID != confidential.clientID)

            _ = try await web.admin(.post, "/tenants", json: #"{"slug":"prod","name":"Prod","environment":"live"}"#)
            let live = try await web.createClient(tenant: "prod", type: "confidential")
            #expect(live.clientID.hasPrefix("pk_live_"))
            #expect(live.secret?.hasPrefix("sk_live_") == true)

            let shown = try await web.admin(.get, "/tenants/default/clients/\(confidential.clientID)")
            #expect(shown.status == .ok)
            #expect(try shown.jsonObject()["client_secret"] == nil, "the secret is never shown again")
            #expect(
                try await web.admin(.get, "/tenants/prod/clients/\(confidential.clientID)").status == .notFound,
                "a client is found in its own tenant only")
        }
    }

    @Test("creating a user is 201; the same email again, in any case, is 409")
    func users() async throws {
        try await WebHarness.run { web in
            let created = try await web.admin(.post, "/tenants/default/users", json: #"{"email":"Alice@Example.com","password":"correct horse battery"}"#)
            #expect(created.status == .created)
            let user = try created.jsonObject()
            #expect(user["email"] as? String == "alice@example.com")
            #expect(user["password_hash"] == nil && user["password"] == nil)
            for email in ["alice@example.com", "ALICE@EXAMPLE.COM", " Alice@example.com "] {
                try Self.expectProblem(try await web.admin(.post, "/tenants/default/users", json: #"{"email":"\#(email)"}"#), status: .conflict)
            }
            let id = try #require(user["id"] as? String)
            #expect(try await web.admin(.get, "/tenants/default/users/\(id)").status == .ok)
        }
    }

    @Test("PATCH changes settings at once and rejects bad values with every field named")
    func patchSettings() async throws {
        try await WebHarness.run { web in
            let patched = try await web.admin(
                .patch, "/tenants/default", json: #"{"name":"Renamed","settings":{"access_token_ttl":600,"mfa_policy":"optional"}}"#)
            #expect(patched.status == .ok)
            let settings = try #require(try patched.jsonObject()["settings"] as? [String: Any])
            #expect(settings["access_token_ttl"] as? Int == 600)
            #expect(settings["mfa_policy"] as? String == "optional")
            let shown = try await web.admin(.get, "/tenants/default")
            #expect(try shown.jsonObject()["name"] as? String == "Renamed")
            #expect((try shown.jsonObject()["settings"] as? [String: Any])?["access_token_ttl"] as? Int == 600)

            let bad = try await web.admin(.patch, "/tenants/default", json: #"{"slug":"x","settings":{"id_token_ttl":-1,"mfa_policy":"always"}}"#)
            let problem = try Self.expectProblem(bad, status: .unprocessableContent)
            #expect(
                Self.fieldNames(problem) == ["slug", "settings.mfa_policy", "settings.id_token_ttl"],
                "type problems and range problems are reported together")
            #expect(
                (try await web.admin(.get, "/tenants/default").jsonObject()["settings"] as? [String: Any])?["access_token_ttl"] as? Int == 600,
                "a rejected PATCH changes nothing")
        }
    }

    @Test("DELETE of a tenant is 204; afterwards it is 404 everywhere")
    func deleteTenant() async throws {
        try await WebHarness.run { web in
            _ = try await web.admin(.post, "/tenants", json: #"{"slug":"doomed","name":"Doomed","environment":"dev"}"#)
            #expect(try await web.get("/t/doomed/jwks.json").status == .ok)
            let deleted = try await web.admin(.delete, "/tenants/doomed")
            #expect(deleted.status == .noContent)
            try Self.expectProblem(try await web.admin(.get, "/tenants/doomed"), status: .notFound)
            try Self.expectProblem(try await web.admin(.delete, "/tenants/doomed"), status: .notFound)
            #expect(try await web.get("/t/doomed/.well-known/openid-configuration").status == .notFound)
            #expect(try await web.get("/t/doomed/jwks.json").status == .notFound)
        }
    }
}
