import Foundation

/// A custom claim's string value with placeholders (docs/contract.md A9):
/// `{{user.email}}`, `{{user.public_metadata.KEY}}`, `{{user.private_metadata.KEY}}`,
/// `{{org.public_metadata.KEY}}`, where `KEY` is a member name or a dotted path
/// (`address.city`) of segments of `A-Z a-z 0-9 _ -`; spaces inside the braces are ignored.
/// `{{` always opens a placeholder.
///
/// A value that is exactly one placeholder takes the JSON value it refers to (a number stays a
/// number, an object an object); otherwise each placeholder is replaced by its text (a string as
/// it is, anything else as compact JSON). When a placeholder refers to nothing (no such key, a
/// JSON `null`, no user, no organization) the claim is omitted.
public struct ClaimTemplate: Sendable, Equatable {
    /// What a placeholder refers to.
    public enum Source: Sendable, Equatable {
        case userEmail
        case userPublicMetadata(String)
        case userPrivateMetadata(String)
        case organizationPublicMetadata(String)
    }

    public enum Part: Sendable, Equatable {
        case literal(String)
        case placeholder(Source)
    }

    /// Why a template does not parse; `message` is shown to the admin.
    public struct ParseError: Error, Sendable, Equatable {
        public let message: String
    }

    public let parts: [Part]

    /// Whether the template has no placeholder (its value is the string itself).
    public var isStatic: Bool { !parts.contains { if case .placeholder = $0 { true } else { false } } }

    /// Parses `text`.
    /// - Throws: `ParseError` for an unterminated `{{`, an unknown placeholder root or field, or a
    ///   malformed key.
    public static func parse(_ text: String) throws(ParseError) -> ClaimTemplate {
        var parts: [Part] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { parts.append(.literal(String(rest[..<open.lowerBound]))) }
            let after = rest[open.upperBound...]
            guard let close = after.range(of: "}}") else {
                throw ParseError(message: "has an unterminated '{{' (placeholders are {{user.email}}, {{user.public_metadata.KEY}}, …)")
            }
            parts.append(.placeholder(try source(String(after[..<close.lowerBound]))))
            rest = after[close.upperBound...]
        }
        if !rest.isEmpty { parts.append(.literal(String(rest))) }
        return ClaimTemplate(parts: parts)
    }

    static func source(_ raw: String) throws(ParseError) -> Source {
        let path = raw.trimmingCharacters(in: .whitespaces)
        let segments = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let key = segments.dropFirst(2).joined(separator: ".")
        let keyValid = segments.count > 2 && segments.dropFirst(2).allSatisfy(Self.isKeySegment)
        switch (segments.first, segments.count > 1 ? segments[1] : nil) {
        case ("user", "email") where segments.count == 2: return .userEmail
        case ("user", "public_metadata") where keyValid: return .userPublicMetadata(key)
        case ("user", "private_metadata") where keyValid: return .userPrivateMetadata(key)
        case ("org", "public_metadata") where keyValid: return .organizationPublicMetadata(key)
        case ("user", "public_metadata"), ("user", "private_metadata"), ("org", "public_metadata"):
            throw ParseError(message: "placeholder '{{\(path)}}' needs a key: segments of A-Z, a-z, 0-9, '_' and '-' separated by '.'")
        case ("user", _), ("org", _):
            throw ParseError(
                message: "placeholder '{{\(path)}}' is not one of user.email, user.public_metadata.KEY, user.private_metadata.KEY, org.public_metadata.KEY")
        default:
            throw ParseError(message: "placeholder '{{\(path)}}' has an unknown root: use user. or org.")
        }
    }

    static func isKeySegment(_ segment: String) -> Bool {
        !segment.isEmpty && segment.utf8.count <= 128
            && segment.utf8.allSatisfy { (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F || $0 == 0x2D }
    }

    /// The claim's value for `subject`; nil when a placeholder refers to nothing (the claim is omitted).
    public func evaluate(_ subject: ClaimSubject) -> JSONValue? {
        if parts.count == 1, case .placeholder(let source) = parts[0] { return subject.value(of: source) }
        var text = ""
        for part in parts {
            switch part {
            case .literal(let literal): text += literal
            case .placeholder(let source):
                guard let value = subject.value(of: source) else { return nil }
                if case .string(let s) = value { text += s } else { text += String(decoding: CustomClaims.encode(value), as: UTF8.self) }
            }
        }
        return .string(text)
    }
}

/// Whom a token's custom claims are computed for: the user (nil for `client_credentials`) and the
/// organization the token acts within (``OrganizationContext``), both read afresh at issuance.
public struct ClaimSubject: Sendable, Equatable {
    public var user: User?
    public var organization: Organization?

    public init(user: User? = nil, organization: Organization? = nil) {
        self.user = user
        self.organization = organization
    }

    /// The value a placeholder refers to; nil for nothing (a JSON `null` counts as nothing).
    public func value(of source: ClaimTemplate.Source) -> JSONValue? {
        let found: JSONValue?
        switch source {
        case .userEmail: found = user.map { .string($0.email) }
        case .userPublicMetadata(let key): found = user.flatMap { JSONValue.object($0.publicMetadata).value(atPath: key) }
        case .userPrivateMetadata(let key): found = user.flatMap { JSONValue.object($0.privateMetadata).value(atPath: key) }
        case .organizationPublicMetadata(let key): found = organization.flatMap { JSONValue.object($0.publicMetadata).value(atPath: key) }
        }
        return found == .null ? nil : found
    }
}

extension CustomClaims {
    /// The custom claims of one token kind, ready to append to its payload: static claims first,
    /// then templated ones, each group in name order; templated claims that refer to nothing are
    /// left out here. The caller appends them while they fit (``budget`` and the 8 KiB token).
    /// A name that ``nameProblem(_:)`` refuses is left out too: validation at save keeps such names
    /// out, and this keeps a value stored otherwise (an older rule, a restored archive) from
    /// overriding a registered claim; `refused` is told its name.
    public static func candidates(
        _ claims: [String: CustomClaim], for target: CustomClaimTarget, subject: ClaimSubject, refused: (String) -> Void = { _ in }
    ) -> [(name: String, value: JSONValue)] {
        var fixed: [(String, JSONValue)] = []
        var templated: [(String, JSONValue)] = []
        for name in claims.keys.sorted() {
            let claim = claims[name]!
            guard claim.targets.contains(target) else { continue }
            guard nameProblem(name) == nil else {
                refused(name)
                continue
            }
            guard let template = claim.template, !template.isStatic else {
                fixed.append((name, claim.value))
                continue
            }
            if let value = template.evaluate(subject) { templated.append((name, value)) }
        }
        return fixed + templated
    }

    /// Splits candidates into those that fit in `room` bytes of members (``memberSize(name:value:)``,
    /// at most ``budget``) and the names of those omitted; candidates are taken in order.
    public static func fit(
        _ candidates: [(name: String, value: JSONValue)], room: Int
    ) -> (kept: [(name: String, value: JSONValue)], omitted: [String]) {
        var kept: [(name: String, value: JSONValue)] = []
        var omitted: [String] = []
        var used = 0
        let limit = min(room, budget)
        for candidate in candidates {
            let size = memberSize(name: candidate.name, value: candidate.value)
            if used + size <= limit {
                kept.append(candidate)
                used += size
            } else {
                omitted.append(candidate.name)
            }
        }
        return (kept, omitted)
    }
}
