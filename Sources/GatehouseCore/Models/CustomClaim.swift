import Foundation

/// Where a custom claim is released (docs/contract.md A9).
public enum CustomClaimTarget: String, Codable, Sendable, CaseIterable, Comparable {
    case accessToken = "access_token"
    case idToken = "id_token"
    case userinfo

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One custom claim of a tenant (`settings.custom_claims`) or of a client (its `custom_claims`,
/// which replace the tenant's claims of the same name), docs/contract.md A9.
///
/// Shape: `{"value": <JSON value>, "in": ["access_token", "id_token", "userinfo"]}`; `in` defaults
/// to all three, and a bare JSON string is shorthand for `{"value": <string>}`. A string `value`
/// is a template (``ClaimTemplate``); strings nested in arrays and objects are literal.
public struct CustomClaim: Codable, Sendable, Equatable, ExpressibleByStringLiteral {
    public var value: JSONValue
    /// The tokens and answers that carry the claim, sorted, without repeats.
    public var targets: [CustomClaimTarget]

    public init(value: JSONValue, in targets: [CustomClaimTarget] = CustomClaimTarget.allCases) {
        self.value = value
        self.targets = Array(Set(targets)).sorted()
    }

    public init(stringLiteral value: String) { self.init(value: .string(value)) }

    enum CodingKeys: String, CodingKey {
        case value
        case targets = "in"
    }

    /// Decodes the full shape or the string shorthand (what ``CustomClaims/parse(_:field:)`` accepted).
    public init(from decoder: any Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            self.init(value: .string(text))
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let targets = try c.decodeIfPresent([String].self, forKey: .targets)?.compactMap(CustomClaimTarget.init(rawValue:))
        self.init(value: try c.decode(JSONValue.self, forKey: .value), in: targets ?? CustomClaimTarget.allCases)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(value, forKey: .value)
        try c.encode(targets, forKey: .targets)
    }

    /// The parsed template of a string value; nil for other values (used as they are).
    public var template: ClaimTemplate? {
        if case .string(let text) = value { return try? ClaimTemplate.parse(text) }
        return nil
    }

    /// Whether the value is the same for every token: not a string with a placeholder.
    public var isStatic: Bool { template.map { $0.isStatic } ?? true }
}

/// The rules of custom claims (docs/contract.md A9): names, reserved claims, templates and the size budget.
public enum CustomClaims {
    /// Bytes of a token's payload (or a userinfo answer) that custom claims may take together,
    /// counted as their JSON members (`"name":value,`). Claims whose value never changes must fit
    /// at save; a templated claim that would overflow at issuance is omitted (and logged without
    /// its value) rather than issued.
    public static let budget = 4096

    /// Longest claim name, in UTF-8 bytes.
    public static let maximumNameLength = 256

    /// Claims the provider sets itself (RFC 7519 §4.1, RFC 9068 §2.2, OIDC Core §2 and §5.1 as
    /// Gatehouse releases them); with every `org_` claim (docs/contract.md A8).
    public static let reserved: Set<String> = [
        "iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scope", "client_id", "sid", "tid",
        "auth_time", "amr", "acr", "azp", "nonce", "at_hash", "c_hash", "org_id", "org_role",
        "org_permissions", "email", "email_verified", "name", "typ", "cnf", "act", "may_act", "phone_number", "phone_number_verified", "address",
    ]

    /// The problem with a claim name, or nil: non-empty, at most 256 bytes of printable ASCII
    /// without spaces, quotes or backslashes (so `https://example.com/roles` is allowed), not
    /// reserved and not starting with `org_`.
    public static func nameProblem(_ name: String) -> String? {
        if name.isEmpty || reserved.contains(name) { return "is a registered claim and cannot be overridden" }
        if name.hasPrefix("org_") { return "org_ claims are set by organizations (docs/contract.md A8) and cannot be overridden" }
        if name.utf8.count > maximumNameLength { return "must be at most \(maximumNameLength) bytes" }
        if !name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }) {
            return "must be printable ASCII without spaces, quotes or backslashes"
        }
        return nil
    }

    /// The claims a client's tokens carry: the tenant's, each replaced by the client's claim of the same name.
    public static func effective(tenant: [String: CustomClaim], client: [String: CustomClaim]) -> [String: CustomClaim] {
        tenant.merging(client) { _, override in override }
    }

    /// Every problem with a set of claims, as `(field, message)` with `field` = `prefix.name`
    /// (docs/architecture.md H20): a reserved or malformed name, an empty `in`, a template that does
    /// not parse, and static claims that overflow ``budget`` in one target (the claim that crosses
    /// it is named; claims are counted in name order).
    public static func validate(_ claims: [String: CustomClaim], field prefix: String) -> [(field: String, message: String)] {
        var problems: [(String, String)] = []
        for name in claims.keys.sorted() {
            let claim = claims[name]!
            if let problem = nameProblem(name) {
                problems.append(("\(prefix).\(name)", problem))
                continue
            }
            if claim.targets.isEmpty { problems.append(("\(prefix).\(name).in", "must name at least one of access_token, id_token, userinfo")) }
            if case .string(let text) = claim.value {
                do { _ = try ClaimTemplate.parse(text) } catch { problems.append(("\(prefix).\(name).value", error.message)) }
            }
            if claim.value.containsNUL { problems.append(("\(prefix).\(name).value", "must not contain U+0000")) }
        }
        if problems.isEmpty, let problem = budgetProblem(claims, field: prefix) { problems.append(problem) }
        return problems
    }

    /// The problem, if any, with the size of `claims` (a client's effective claims, or a tenant's):
    /// the claims without placeholders of one target must fit in ``budget`` (counted in name order;
    /// the claim that crosses it is named).
    public static func budgetProblem(_ claims: [String: CustomClaim], field prefix: String) -> (field: String, message: String)? {
        guard let (name, target, size) = staticOverflow(claims) else { return nil }
        return (
            "\(prefix).\(name)",
            "the claims without placeholders take \(size) bytes of the \(target.rawValue) up to this one, over the budget of \(budget) bytes"
        )
    }

    /// The first claim (in name order, per target) at which the static claims exceed ``budget``.
    static func staticOverflow(_ claims: [String: CustomClaim]) -> (String, CustomClaimTarget, Int)? {
        for target in CustomClaimTarget.allCases {
            var used = 0
            for name in claims.keys.sorted() where claims[name]!.targets.contains(target) && claims[name]!.isStatic {
                used += memberSize(name: name, value: claims[name]!.value)
                if used > budget { return (name, target, used) }
            }
        }
        return nil
    }

    /// Bytes of `"name":value,` in a compact JSON object.
    public static func memberSize(name: String, value: JSONValue) -> Int {
        encode(.string(name)).count + 1 + encode(value).count + 1
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return e
    }()

    /// Compact JSON of a value, keys sorted.
    public static func encode(_ value: JSONValue) -> [UInt8] {
        (try? Array(encoder.encode(value))) ?? Array("null".utf8)
    }

    /// Reads custom claims from an admin API body (the value of `custom_claims`), reporting every
    /// problem at once under `field`: the value must be an object whose members are a string or
    /// `{"value": …, "in": [...]}` with no other keys. The result still needs ``validate(_:field:)``.
    public static func parse(_ json: JSONValue, field: String) -> (claims: [String: CustomClaim], problems: [(field: String, message: String)]) {
        guard case .object(let members) = json else {
            return ([:], [(field, "must be an object of claim name → {\"value\": …, \"in\": [\"access_token\", \"id_token\", \"userinfo\"]}")])
        }
        var claims: [String: CustomClaim] = [:]
        var problems: [(String, String)] = []
        for (name, raw) in members.sorted(by: { $0.key < $1.key }) {
            switch raw {
            case .string(let text): claims[name] = CustomClaim(value: .string(text))
            case .object(let shape):
                let unknown = Set(shape.keys).subtracting(["value", "in"])
                if !unknown.isEmpty { problems.append(("\(field).\(name)", "unknown keys: \(unknown.sorted().joined(separator: ", "))")) }
                guard let value = shape["value"], value != .null else {
                    problems.append(("\(field).\(name).value", "is required (a JSON value other than null)"))
                    continue
                }
                var targets = CustomClaimTarget.allCases
                if let list = shape["in"] {
                    let names = list.array?.compactMap(\.string) ?? []
                    let parsed = names.compactMap(CustomClaimTarget.init(rawValue:))
                    if list.array == nil || parsed.count != list.array?.count {
                        problems.append(("\(field).\(name).in", "must be an array of access_token, id_token, userinfo"))
                        continue
                    }
                    targets = parsed
                }
                claims[name] = CustomClaim(value: value, in: targets)
            default:
                problems.append(("\(field).\(name)", "must be a string or {\"value\": …, \"in\": [...]}"))
            }
        }
        return (claims, problems)
    }
}
