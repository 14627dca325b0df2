import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// Health, metrics, discovery and tenant resolution.
@Suite("Web: operational endpoints, discovery and tenant resolution")
struct OperationalEndpointsTests {
    @Test("/healthz and /readyz answer 200")
    func health() async throws {
        try await WebHarness.run { web in
            let health = try await web.get("/healthz")
            let ready = try await web.get("/readyz")
            #expect(health.status == .ok)
            #expect(ready.status == .ok)
        }
    }

    @Test("the stylesheet every page links is served from /static, with a cache lifetime")
    func stylesheet() async throws {
        try await WebHarness.run { web in
            let css = try await web.get("/static/gatehouse.css")
            #expect(css.status == .ok)
            #expect(css.headers[.contentType]?.hasPrefix("text/css") == true)
            #expect(css.text.contains("--accent"))
            #expect(css.headers[.cacheControl]?.contains("max-age=3600") == true)
            let missing = try await web.get("/static/nope.css")
            #expect(missing.status == .notFound)
        }
    }

    @Test("/metrics is Prometheus text exposition")
    func metrics() async throws {
        try await WebHarness.run { web in
            _ = try await web.get("/healthz")
            let response = try await web.get("/metrics")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            // Every non-empty line is a comment (# HELP / # TYPE) or `name{labels} value`.
            let lines = response.text.split(separator: "\n")
            #expect(lines.contains { $0.hasPrefix("# TYPE ") })
            for line in lines where !line.hasPrefix("#") {
                #expect(line.wholeMatch(of: #/[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? [-+0-9.eEInfa]+/#) != nil, "\(line)")
            }
        }
    }

    @Test("the default tenant exists on first start and its issuer embeds the public URL")
    func defaultTenantDiscovery() async throws {
        try await WebHarness.run { web in
            let response = try await web.get("/t/default/.well-known/openid-configuration")
            #expect(response.status == .ok)
            let metadata = try response.jsonObject()
            #expect(metadata["issuer"] as? String == WebHarness.issuer)
            #expect(metadata["authorization_endpoint"] as? String == WebHarness.issuer + "/authorize")
            #expect(metadata["token_endpoint"] as? String == WebHarness.issuer + "/token")
            #expect(metadata["jwks_uri"] as? String == WebHarness.issuer + "/jwks.json")
            #expect(metadata["code_challenge_methods_supported"] as? [String] == ["S256"])
            #expect(metadata["authorization_response_iss_parameter_supported"] as? Bool == true)

            let admin = try await web.admin(.get, "/tenants")
            let tenants = try #require(try admin.jsonObject()["tenants"] as? [[String: Any]])
            #expect(tenants.compactMap { $0["slug"] as? String } == ["default"])
        }
    }

    @Test("RFC 8414 §3: /.well-known/oauth-authorization-server/t/{slug} serves the same issuer metadata")
    func rfc8414Path() async throws {
        try await WebHarness.run { web in
            let oidc = try await web.get("/t/default/.well-known/openid-configuration")
            let oauth = try await web.get("/.well-known/oauth-authorization-server/t/default")
            #expect(oauth.status == .ok)
            #expect(try oauth.jsonObject()["issuer"] as? String == WebHarness.issuer)
            #expect(oauth.text == oidc.text)
        }
    }

    @Test("the JWKS publishes public keys only: no private member d")
    func jwksHasNoPrivateMembers() async throws {
        try await WebHarness.run { web in
            let response = try await web.get("/t/default/jwks.json")
            #expect(response.status == .ok)
            let keys = try #require(try response.jsonObject()["keys"] as? [[String: Any]])
            #expect(!keys.isEmpty)
            for key in keys {
                for member in ["d", "p", "q", "dp", "dq", "qi", "k"] { #expect(key[member] == nil, "member \(member)") }
                #expect(key["kid"] is String)
                #expect(key["use"] as? String == "sig")
            }
            #expect(!response.text.contains("\"d\""))
        }
    }

    @Test(
        "an unknown tenant is 404 on discovery, JWKS, authorize, token and the RFC 8414 path (never a scan)",
        arguments: [
            "GET /t/nope/.well-known/openid-configuration",
            "GET /t/nope/jwks.json",
            "GET /t/nope/authorize?response_type=code&client_id=pk_dev_x",
            "POST /t/nope/token",
            "GET /.well-known/oauth-authorization-server/t/nope",
        ])
    func unknownTenant(_ request: String) async throws {
        try await WebHarness.run { web in
            let parts = request.split(separator: " ", maxSplits: 1).map(String.init)
            let response =
                parts[0] == "POST"
                ? try await web.postForm(parts[1], [("grant_type", "client_credentials")])
                : try await web.get(parts[1])
            #expect(response.status == .notFound)
            if !parts[1].hasPrefix("/.well-known") {
                #expect(response.text.contains("\"error\":\"invalid_request\""))
                #expect(response.headers[.cacheControl] == "no-store")
            }
        }
    }

    @Test("a browser asking an unknown tenant for a page gets a readable HTML page under the baseline CSP")
    func unknownTenantPage() async throws {
        try await WebHarness.run { web in
            let response = try await web.get("/t/nope/authorize?client_id=pk_dev_x", headers: [.accept: "text/html,*/*;q=0.8"])
            #expect(response.status == .notFound)
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            #expect(response.text.contains("<h1>Not found</h1>"))
            #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
        }
    }
}
