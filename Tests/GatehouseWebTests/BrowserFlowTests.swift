import Foundation
import GatehouseCrypto
import HTTPTypes
import HummingbirdTesting
import Testing

/// The authorization code flow with PKCE through the pages, cookies handled by hand.
@Suite("Web: authorization code flow through the pages")
struct BrowserFlowTests {
    static let email = "alice@example.com"
    static let password = "correct horse battery staple"

    /// Starts an authorization and follows the redirect to the login page.
    /// - Returns: the login page response and its hidden inputs.
    static func openLogin(
        _ browser: Browser, _ client: WebHarness.RegisteredClient, pkce: PKCEPair,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (TestResponse, [String: String]) {
        let authorize = try await browser.get(authorizeURI(client, pkce: pkce))
        #expect(authorize.status == .seeOther, sourceLocation: sourceLocation)
        let location = try #require(authorize.headers[.location], sourceLocation: sourceLocation)
        #expect(location.hasPrefix("/t/default/login?interaction="), sourceLocation: sourceLocation)
        #expect(browser.jar["gh_browser"] != nil, "the browser-binding cookie is set", sourceLocation: sourceLocation)
        let login = try await browser.get(location)
        #expect(login.status == .ok, sourceLocation: sourceLocation)
        return (login, hiddenInputs(login.text))
    }

    @Test("authorize → login → consent → code → token → userinfo, with state, iss, PKCE and a verifiable ID token")
    func fullFlow() async throws {
        try await WebHarness.run { web in
            let client = try await web.createClient(type: "confidential", firstParty: false)
            try await web.createUser(email: Self.email, password: Self.password)
            let browser = Browser(harness: web)
            let pkce = PKCEPair()

            let (login, inputs) = try await Self.openLogin(browser, client, pkce: pkce)
            // Page security headers.
            let csp = try #require(login.headers[.contentSecurityPolicy])
            #expect(csp.contains("frame-ancestors 'none'"))
            #expect(login.headers[.xContentTypeOptions] == "nosniff")
            #expect(login.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
            #expect(login.headers[.cacheControl] == "no-store")
            #expect(login.text.contains("Test App"))
            let interactionID = try #require(inputs["interaction_id"])
            let csrf = try #require(inputs["csrf_token"])
            let action = try #require(formAction(login.text))
            #expect(action == "/t/default/login")

            let signedIn = try await browser.postForm(
                action,
                [
                    ("interaction_id", interactionID), ("csrf_token", csrf), ("email", "Alice@Example.com"), ("password", Self.password),
                ])
            #expect(signedIn.status == .seeOther)
            let session = try #require(signedIn.setCookies["gh_session"])
            #expect(session.attributes.contains("httponly"))
            #expect(session.attributes.contains("path=/t/default"))
            #expect(session.attributes.contains("samesite=lax"))
            let consentLocation = try #require(signedIn.headers[.location])
            #expect(consentLocation.hasPrefix("/t/default/consent?interaction="), "first_party=false asks for consent")

            let consentPage = try await browser.get(consentLocation)
            #expect(consentPage.status == .ok)
            #expect(consentPage.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
            let consentInputs = hiddenInputs(consentPage.text)
            let approved = try await browser.postForm(
                try #require(formAction(consentPage.text)),
                [
                    ("interaction_id", try #require(consentInputs["interaction_id"])), ("csrf_token", try #require(consentInputs["csrf_token"])),
                    ("decision", "allow"),
                ])
            #expect(approved.status == .seeOther)
            let redirect = try #require(approved.headers[.location])
            #expect(redirect.hasPrefix(client.redirectURI + "?"))
            let query = approved.locationQuery
            #expect(query["state"] == "state-123")
            #expect(query["iss"] == WebHarness.issuer, "RFC 9207 iss")
            let code = try #require(query["code"])

            let token = try await web.postForm(
                "/t/default/token",
                [
                    ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", client.redirectURI), ("code_verifier", pkce.verifier),
                ], headers: [.authorization: basicAuthorization(client)])
            #expect(token.status == .ok, "\(token.text)")
            #expect(token.headers[.cacheControl] == "no-store")
            let tokens = try token.jsonObject()
            #expect(tokens["token_type"] as? String == "Bearer")
            let accessToken = try #require(tokens["access_token"] as? String)
            let idToken = try #require(tokens["id_token"] as? String)
            #expect(tokens["refresh_token"] is String)

            // The ID token verifies against the published JWKS and names the issuer, client and nonce.
            let jwks = try #require(try await web.get("/t/default/jwks.json").jsonObject()["keys"] as? [[String: Any]])
            let parsed = try JWS.parse(idToken)
            let jwkObject = try #require(jwks.first { $0["kid"] as? String == parsed.header.kid })
            let jwk = try JSONDecoder().decode(JWK.self, from: JSONSerialization.data(withJSONObject: jwkObject))
            #expect(parsed.verify(with: try SignatureVerifier(jwk: jwk)))
            let claims = try #require(try JSONSerialization.jsonObject(with: Data(parsed.payload)) as? [String: Any])
            #expect(claims["iss"] as? String == WebHarness.issuer)
            #expect(claims["aud"] as? String == client.clientID || (claims["aud"] as? [String]) == [client.clientID])
            #expect(claims["nonce"] as? String == "nonce-456")

            let userinfo = try await web.get("/t/default/userinfo", headers: [.authorization: "Bearer \(accessToken)"])
            #expect(userinfo.status == .ok, "\(userinfo.text)")
            let info = try userinfo.jsonObject()
            #expect(info["sub"] as? String == claims["sub"] as? String)
            #expect(info["email"] as? String == Self.email)

            // RFC 6749 §4.1.2: a second use of the code fails and revokes what it issued.
            let replay = try await web.postForm(
                "/t/default/token",
                [
                    ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", client.redirectURI), ("code_verifier", pkce.verifier),
                ], headers: [.authorization: basicAuthorization(client)])
            #expect(replay.status == .badRequest)
            #expect(try replay.jsonObject()["error"] as? String == "invalid_grant")
            let revoked = try await web.get("/t/default/userinfo", headers: [.authorization: "Bearer \(accessToken)"])
            #expect(revoked.status == .unauthorized)
            #expect(revoked.headers[.wwwAuthenticate]?.contains("error=\"invalid_token\"") == true)
        }
    }

    @Test("denying consent redirects access_denied with state and iss, and issues no code (RFC 6749 §4.1.2.1, RFC 9207)")
    func consentDenied() async throws {
        try await WebHarness.run { web in
            let client = try await web.createClient(type: "confidential", firstParty: false)
            try await web.createUser(email: Self.email, password: Self.password)
            let browser = Browser(harness: web)
            let (_, inputs) = try await Self.openLogin(browser, client, pkce: PKCEPair())
            let signedIn = try await browser.postForm(
                "/t/default/login",
                [
                    ("interaction_id", inputs["interaction_id"] ?? ""), ("csrf_token", inputs["csrf_token"] ?? ""),
                    ("email", Self.email), ("password", Self.password),
                ])
            let consentPage = try await browser.get(try #require(signedIn.headers[.location]))
            let consentInputs = hiddenInputs(consentPage.text)
            let denied = try await browser.postForm(
                "/t/default/consent",
                [
                    ("interaction_id", consentInputs["interaction_id"] ?? ""), ("csrf_token", consentInputs["csrf_token"] ?? ""),
                    ("decision", "deny"),
                ])
            #expect(denied.status == .seeOther)
            #expect(denied.headers[.location]?.hasPrefix(client.redirectURI + "?") == true)
            let query = denied.locationQuery
            #expect(query["error"] == "access_denied")
            #expect(query["state"] == "state-123")
            #expect(query["iss"] == WebHarness.issuer)
            #expect(query["code"] == nil)
        }
    }

    @Test("a first-party public client skips consent and redeems its code with PKCE alone; refresh rotates")
    func firstPartyPublicClient() async throws {
        try await WebHarness.run { web in
            let client = try await web.createClient(type: "public", firstParty: true, redirectURI: "http://127.0.0.1:4000/cb")
            try await web.createUser(email: Self.email, password: Self.password)
            let browser = Browser(harness: web)
            let pkce = PKCEPair()
            let (_, inputs) = try await Self.openLogin(browser, client, pkce: pkce)
            let signedIn = try await browser.postForm(
                "/t/default/login",
                [
                    ("interaction_id", inputs["interaction_id"] ?? ""), ("csrf_token", inputs["csrf_token"] ?? ""),
                    ("email", Self.email), ("password", Self.password),
                ])
            #expect(signedIn.status == .seeOther)
            #expect(signedIn.headers[.location]?.hasPrefix(client.redirectURI + "?") == true, "no consent page for first-party clients")
            let code = try #require(signedIn.locationQuery["code"])

            let wrongVerifier = try await web.postForm(
                "/t/default/token",
                [
                    ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", client.redirectURI),
                    ("code_verifier", PKCEPair().verifier), ("client_id", client.clientID),
                ])
            #expect(try wrongVerifier.jsonObject()["error"] as? String == "invalid_grant", "RFC 7636 §4.6")

            // The code was consumed by the failed attempt; a new authorization reuses the SSO session.
            let again = PKCEPair()
            let silent = try await browser.get(authorizeURI(client, pkce: again))
            #expect(silent.status == .seeOther)
            let code2 = try #require(silent.locationQuery["code"], "the session signs in without a page")
            let token = try await web.postForm(
                "/t/default/token",
                [
                    ("grant_type", "authorization_code"), ("code", code2), ("redirect_uri", client.redirectURI),
                    ("code_verifier", again.verifier), ("client_id", client.clientID),
                ])
            #expect(token.status == .ok, "\(token.text)")
            let refresh = try #require(try token.jsonObject()["refresh_token"] as? String)
            let refreshed = try await web.postForm(
                "/t/default/token",
                [
                    ("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", client.clientID),
                ])
            #expect(refreshed.status == .ok, "\(refreshed.text)")
            let next = try #require(try refreshed.jsonObject()["refresh_token"] as? String)
            #expect(next != refresh)
            let reused = try await web.postForm(
                "/t/default/token",
                [
                    ("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", client.clientID),
                ])
            #expect(try reused.jsonObject()["error"] as? String == "invalid_grant")
        }
    }

    enum CSRFAttack: String, Sendable, CaseIterable, CustomTestStringConvertible {
        case wrongToken = "a login post with a wrong csrf_token does not sign in"
        case missingToken = "a login post without csrf_token does not sign in"
        case noBrowserCookie = "a login post without the browser-binding cookie does not sign in (login CSRF, RFC 6749 §10.12)"
        case otherBrowserCookie = "a login post from another browser's cookie does not sign in"
        var testDescription: String { rawValue }
    }

    @Test("login CSRF defences", arguments: CSRFAttack.allCases)
    func loginCSRF(_ attack: CSRFAttack) async throws {
        try await WebHarness.run { web in
            let client = try await web.createClient()
            try await web.createUser(email: Self.email, password: Self.password)
            let victim = Browser(harness: web)
            let (_, inputs) = try await Self.openLogin(victim, client, pkce: PKCEPair())
            var form = [
                ("interaction_id", inputs["interaction_id"] ?? ""), ("csrf_token", inputs["csrf_token"] ?? ""),
                ("email", Self.email), ("password", Self.password),
            ]
            let attacker = Browser(harness: web)
            var sender = victim
            switch attack {
            case .wrongToken: form[1].1 = String((inputs["csrf_token"] ?? "").reversed())
            case .missingToken: form.remove(at: 1)
            case .noBrowserCookie: sender = attacker
            case .otherBrowserCookie:
                _ = try await Self.openLogin(attacker, client, pkce: PKCEPair())
                sender = attacker
            }
            let response = try await sender.postForm("/t/default/login", form)
            #expect(response.status != .seeOther)
            #expect(response.status.code >= 400)
            #expect(response.setCookies["gh_session"] == nil, "no session cookie")
            #expect(sender.jar["gh_session"] == nil)
            // The victim is still signed out: a new authorization asks for the login page again.
            let retry = try await victim.get(authorizeURI(client, pkce: PKCEPair()))
            #expect(retry.headers[.location]?.hasPrefix("/t/default/login?") == true)
        }
    }

    @Test(
        "a wrong password is a 401 page with role=alert and no session",
        arguments: [
            "wrong password", "", "Correct Horse Battery Staple",
        ])
    func wrongPassword(_ password: String) async throws {
        try await WebHarness.run { web in
            let client = try await web.createClient()
            try await web.createUser(email: Self.email, password: Self.password)
            let browser = Browser(harness: web)
            let (_, inputs) = try await Self.openLogin(browser, client, pkce: PKCEPair())
            for email in [Self.email, "nobody@example.com"] {
                let response = try await browser.postForm(
                    "/t/default/login",
                    [
                        ("interaction_id", inputs["interaction_id"] ?? ""), ("csrf_token", inputs["csrf_token"] ?? ""),
                        ("email", email), ("password", password),
                    ])
                #expect(response.status == .unauthorized)
                #expect(response.text.contains(#"role="alert""#))
                #expect(response.text.contains("Incorrect email or password."), "the same answer for unknown accounts")
                #expect(response.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
                #expect(browser.jar["gh_session"] == nil)
            }
        }
    }
}
