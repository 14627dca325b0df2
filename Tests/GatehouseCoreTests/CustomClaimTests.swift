import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStoreTesting
import Testing

/// Custom claims (docs/contract.md A9): template parsing and evaluation, the rules checked at
/// save, the size budget, and the claims in access tokens, ID tokens and userinfo.
@Suite("Custom claims and their templates (docs/contract.md A9)")
struct CustomClaimTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func user(public: [String: JSONValue] = [:], private: [String: JSONValue] = [:]) -> User {
        User(
            id: .generate(at: now), email: "ada@example.com", emailVerified: true, name: "Ada", passwordHash: nil,
            publicMetadata: `public`, privateMetadata: `private`, createdAt: now, updatedAt: now)
    }

    // MARK: Parsing

    @Test(
        "templates that parse, with their parts",
        arguments: [
            ("plain text", [ClaimTemplate.Part.literal("plain text")]),
            ("{{user.email}}", [.placeholder(.userEmail)]),
            ("{{ user.email }}", [.placeholder(.userEmail)]),
            ("{{user.public_metadata.plan}}", [.placeholder(.userPublicMetadata("plan"))]),
            ("{{user.private_metadata.crm-id}}", [.placeholder(.userPrivateMetadata("crm-id"))]),
            ("{{org.public_metadata.tier}}", [.placeholder(.organizationPublicMetadata("tier"))]),
            ("{{user.public_metadata.address.city}}", [.placeholder(.userPublicMetadata("address.city"))]),
            ("plan-{{user.public_metadata.plan}}!", [.literal("plan-"), .placeholder(.userPublicMetadata("plan")), .literal("!")]),
            ("a }} b", [.literal("a }} b")]),
            ("", []),
        ])
    func parses(_ text: String, _ parts: [ClaimTemplate.Part]) throws {
        #expect(try ClaimTemplate.parse(text).parts == parts)
    }

    @Test(
        "templates that do not parse are refused with a reason",
        arguments: [
            ("{{user.email", "unterminated"), ("x {{", "unterminated"), ("{{session.id}}", "unknown root"),
            ("{{user.password}}", "is not one of"), ("{{user.public_metadata}}", "needs a key"),
            ("{{user.public_metadata.}}", "needs a key"), ("{{user.public_metadata.a b}}", "needs a key"),
            ("{{org.private_metadata.x}}", "is not one of"), ("{{}}", "unknown root"), ("{{user.email.x}}", "is not one of"),
        ])
    func refuses(_ text: String, _ reason: String) {
        #expect(throws: ClaimTemplate.ParseError.self) { try ClaimTemplate.parse(text) }
        do {
            _ = try ClaimTemplate.parse(text)
        } catch {
            #expect(error.message.contains(reason), "\(error.message)")
        }
    }

    // MARK: Evaluation

    @Test("one placeholder alone takes the JSON value it refers to")
    func wholeValue() throws {
        let subject = ClaimSubject(
            user: Self.user(public: ["seats": .number(12), "flags": .object(["beta": .bool(true)]), "plan": .string("pro")]))
        #expect(try ClaimTemplate.parse("{{user.public_metadata.seats}}").evaluate(subject) == .number(12))
        #expect(try ClaimTemplate.parse("{{user.public_metadata.flags}}").evaluate(subject) == .object(["beta": .bool(true)]))
        #expect(try ClaimTemplate.parse("{{user.public_metadata.flags.beta}}").evaluate(subject) == .bool(true))
        #expect(try ClaimTemplate.parse("{{user.email}}").evaluate(subject) == .string("ada@example.com"))
    }

    @Test("placeholders inside text are replaced by their text; non-strings as compact JSON")
    func interpolation() throws {
        let subject = ClaimSubject(user: Self.user(public: ["plan": .string("pro"), "seats": .number(3), "tags": .array([.string("a")])]))
        let template = try ClaimTemplate.parse("{{user.public_metadata.plan}}/{{user.public_metadata.seats}}/{{user.public_metadata.tags}}")
        #expect(template.evaluate(subject) == .string("pro/3/[\"a\"]"))
    }

    @Test("a placeholder that refers to nothing omits the claim: missing key, null, no user, no organization")
    func absent() throws {
        let subject = ClaimSubject(user: Self.user(public: ["gone": .null]))
        #expect(try ClaimTemplate.parse("{{user.public_metadata.plan}}").evaluate(subject) == nil)
        #expect(try ClaimTemplate.parse("{{user.public_metadata.gone}}").evaluate(subject) == nil)
        #expect(try ClaimTemplate.parse("x-{{user.public_metadata.plan}}").evaluate(subject) == nil)
        #expect(try ClaimTemplate.parse("{{org.public_metadata.tier}}").evaluate(subject) == nil)
        #expect(try ClaimTemplate.parse("{{user.email}}").evaluate(ClaimSubject()) == nil)
        #expect(try ClaimTemplate.parse("static").evaluate(ClaimSubject()) == .string("static"))
    }

    @Test("private metadata and the organization's public metadata are read from the subject")
    func privateAndOrganization() throws {
        let organization = Organization(
            id: .generate(at: Self.now), name: "Acme", slug: "acme", publicMetadata: ["tier": .string("gold")], createdAt: Self.now,
            updatedAt: Self.now)
        let subject = ClaimSubject(user: Self.user(private: ["crm": .string("C-1")]), organization: organization)
        #expect(try ClaimTemplate.parse("{{user.private_metadata.crm}}").evaluate(subject) == .string("C-1"))
        #expect(try ClaimTemplate.parse("{{org.public_metadata.tier}}").evaluate(subject) == .string("gold"))
    }

    // MARK: Rules at save

    @Test("org_ claims, registered claims and malformed names are refused, naming the claim")
    func names() {
        let claims: [String: CustomClaim] = [
            "org_plan": "x", "email": "x", "name": "x", "has space": "x", "ok": "x", "https://example.com/roles": "x",
        ]
        let fields = CustomClaims.validate(claims, field: "custom_claims").map(\.field)
        #expect(fields == ["custom_claims.email", "custom_claims.has space", "custom_claims.name", "custom_claims.org_plan"])
    }

    @Test("a template that does not parse and an empty `in` are refused, naming the claim's field")
    func templatesAndTargets() {
        let claims: [String: CustomClaim] = ["bad": "{{user.email", "none": CustomClaim(value: .string("x"), in: [])]
        let fields = CustomClaims.validate(claims, field: "settings.custom_claims").map(\.field)
        #expect(fields == ["settings.custom_claims.bad.value", "settings.custom_claims.none.in"])
    }

    @Test("the admin API shape: string shorthand, full form, and what is refused")
    func parseShape() throws {
        let json = try #require(
            JSONValue.parse(
                Array(
                    #"{"a":"x","b":{"value":5,"in":["id_token"]},"c":{"in":["userinfo"]},"d":7,"e":{"value":1,"in":["cookie"]},"f":{"value":1,"x":2}}"#
                        .utf8)))
        let (claims, problems) = CustomClaims.parse(json, field: "custom_claims")
        #expect(claims["a"] == CustomClaim(value: .string("x")))
        #expect(claims["b"] == CustomClaim(value: .number(5), in: [.idToken]))
        #expect(problems.map(\.field) == ["custom_claims.c.value", "custom_claims.d", "custom_claims.e.in", "custom_claims.f"])
        #expect(CustomClaims.parse(.array([]), field: "custom_claims").problems.map(\.field) == ["custom_claims"])
    }

    @Test("stored settings read both the full form and the string shorthand")
    func decoding() throws {
        let settings = try JSONDecoder().decode(
            TenantSettings.self, from: Data(#"{"custom_claims":{"a":"x","b":{"value":[1],"in":["access_token"]}}}"#.utf8))
        #expect(settings.customClaims == ["a": "x", "b": CustomClaim(value: .array([.number(1)]), in: [.accessToken])])
        let again = try JSONDecoder().decode(TenantSettings.self, from: JSONEncoder().encode(settings))
        #expect(again.customClaims == settings.customClaims)
    }

    @Test("claims without placeholders over 4096 bytes in one target are refused, naming the claim that crosses the budget")
    func staticBudget() {
        let big = String(repeating: "x", count: 2040)
        var claims: [String: CustomClaim] = ["a": CustomClaim(value: .string(big)), "b": CustomClaim(value: .string(big))]
        #expect(CustomClaims.validate(claims, field: "custom_claims").isEmpty)
        claims["c"] = CustomClaim(value: .string(big), in: [.userinfo])
        #expect(CustomClaims.validate(claims, field: "custom_claims").map(\.field) == ["custom_claims.c"])
        // Templated claims do not count at save: they are checked at issuance.
        claims["c"] = CustomClaim(value: .string("{{user.public_metadata.x}}" + big))
        #expect(CustomClaims.validate(claims, field: "custom_claims").isEmpty)
    }

    @Test("a client's claim replaces the tenant's of the same name")
    func effective() {
        let merged = CustomClaims.effective(
            tenant: ["plan": "tenant", "tier": "t"], client: ["plan": CustomClaim(value: .number(1), in: [.idToken])])
        #expect(merged == ["plan": CustomClaim(value: .number(1), in: [.idToken]), "tier": "t"])
    }

    @Test("at issuance static claims come first, then templated ones, and what overflows the room is omitted")
    func fitting() {
        let claims: [String: CustomClaim] = [
            "a": "{{user.public_metadata.big}}", "b": "static", "c": "{{user.email}}",
        ]
        let subject = ClaimSubject(user: Self.user(public: ["big": .string(String(repeating: "y", count: 5000))]))
        let candidates = CustomClaims.candidates(claims, for: .accessToken, subject: subject)
        #expect(candidates.map(\.name) == ["b", "a", "c"])
        let (kept, omitted) = CustomClaims.fit(candidates, room: 10_000)
        #expect(kept.map(\.name) == ["b", "c"])
        #expect(omitted == ["a"])
        #expect(CustomClaims.fit(candidates, room: 13).kept.map(\.name) == ["b"])
    }

    @Test("a registered or org_ name that reached storage anyway is never issued")
    func reservedNamesLeftOutAtIssuance() {
        let claims: [String: CustomClaim] = ["sub": "spoof", "org_id": "org_x", "iss": "{{user.email}}", "plan": "pro"]
        let candidates = CustomClaims.candidates(claims, for: .accessToken, subject: ClaimSubject(user: Self.user(public: [:])))
        #expect(candidates.map(\.name) == ["plan"])
    }
}
