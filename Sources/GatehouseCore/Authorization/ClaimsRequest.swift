import Foundation

/// The `claims` request parameter (OIDC Core §5.5): individual claims a relying party asks for in
/// the ID token and at the userinfo endpoint, beyond (or instead of) what its scopes release.
///
/// A requested user claim is released in the target that names it when the client may ask for
/// the scope that would release it (`Client.permittedScopes`: `name` → `profile`; `email`,
/// `email_verified` → `email`; `phone_number`, `phone_number_verified` → `phone`; `address` →
/// `address`), whether or not the request's `scope` has it. Claims this server does not know are
/// ignored (§5.5: voluntary claims the OP cannot supply are left out). `acr` requested as
/// essential with `urn:gatehouse:acr:mfa` as its value, or first supported of its values, asks for
/// a second factor as `acr_values` does (§5.5.1.1).
public struct ClaimsRequest: Codable, Sendable, Equatable {
    /// One requested claim (§5.5.1): `null` in the request, or `essential`, `value`, `values`.
    public struct Member: Codable, Sendable, Equatable {
        public var essential: Bool?
        public var value: JSONValue?
        public var values: [JSONValue]?

        public init(essential: Bool? = nil, value: JSONValue? = nil, values: [JSONValue]? = nil) {
            self.essential = essential
            self.value = value
            self.values = values
        }
    }

    public var idToken: [String: Member]
    public var userinfo: [String: Member]

    enum CodingKeys: String, CodingKey {
        case userinfo
        case idToken = "id_token"
    }

    public init(idToken: [String: Member] = [:], userinfo: [String: Member] = [:]) {
        self.idToken = idToken
        self.userinfo = userinfo
    }

    /// Longest accepted parameter, in bytes.
    public static let maximumLength = 4096

    /// Why the parameter's text is refused: not a JSON object, `userinfo` or `id_token` not an
    /// object, a member that is neither `null` nor an object (with `essential` a boolean and
    /// `values` an array), or longer than ``maximumLength`` bytes.
    public struct Malformed: Error, Equatable {
        public let reason: String
    }

    /// Parses the parameter; members other than `userinfo` and `id_token` are ignored.
    /// - Throws: ``Malformed``.
    public init(parsing text: String) throws {
        guard text.utf8.count <= Self.maximumLength else { throw Malformed(reason: "claims is too long") }
        guard let json = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)), case .object(let top) = json else {
            throw Malformed(reason: "claims must be a JSON object")
        }
        func members(_ key: String) throws -> [String: Member] {
            guard let value = top[key], value != .null else { return [:] }
            guard case .object(let claims) = value else { throw Malformed(reason: "claims.\(key) must be a JSON object") }
            var result: [String: Member] = [:]
            for (name, request) in claims {
                switch request {
                case .null:
                    result[name] = Member()
                case .object(let fields):
                    var member = Member()
                    if let essential = fields["essential"] {
                        guard case .bool(let flag) = essential else { throw Malformed(reason: "claims.\(key).\(name).essential must be a boolean") }
                        member.essential = flag
                    }
                    member.value = fields["value"]
                    if let values = fields["values"] {
                        guard case .array(let list) = values else { throw Malformed(reason: "claims.\(key).\(name).values must be an array") }
                        member.values = list
                    }
                    result[name] = member
                default:
                    throw Malformed(reason: "claims.\(key).\(name) must be null or an object")
                }
            }
            return result
        }
        self.init(idToken: try members("id_token"), userinfo: try members("userinfo"))
    }

    /// Whether `acr` is asked for as essential with the multi-factor class first among the
    /// values this server supports (``AuthenticationContext``).
    public var demandsSecondFactor: Bool {
        for member in [idToken["acr"], userinfo["acr"]].compactMap({ $0 }) where member.essential == true {
            let asked = (member.values ?? member.value.map { [$0] } ?? []).compactMap { value -> String? in
                if case .string(let text) = value { text } else { nil }
            }
            if AuthenticationContext.demandsSecondFactor(asked) { return true }
        }
        return false
    }
}
