import Foundation
import GatehouseCrypto

/// An end user of one tenant.
public struct User: Codable, Sendable, Equatable {
    public var id: UserID
    /// Normalized (see `EmailAddress.normalize`); unique within the tenant.
    public var email: String
    public var emailVerified: Bool
    public var name: String?
    /// Argon2id PHC string; nil for users without a password.
    public var passwordHash: String?
    public var disabled: Bool
    /// JSON object the user may read (`/v1/me`, the account console) and custom claims may
    /// release (docs/contract.md A9); at most ``User/metadataLimit`` bytes encoded.
    public var publicMetadata: [String: JSONValue]
    /// JSON object only admins read; custom claims may release it (docs/contract.md A9).
    public var privateMetadata: [String: JSONValue]
    /// E.164 (`+` and 7 to 15 digits, ``PhoneNumber/isValid(_:)``), released as `phone_number`
    /// with the `phone` scope (OIDC Core §5.1, §5.4).
    public var phoneNumber: String?
    public var phoneNumberVerified: Bool
    /// Released as `address` with the `address` scope (OIDC Core §5.1.1).
    public var address: PostalAddress?
    public var createdAt: Date
    public var updatedAt: Date

    /// Largest encoded size of each metadata object, in bytes (8 KiB).
    public static let metadataLimit = 8192

    public init(
        id: UserID, email: String, emailVerified: Bool, name: String?, passwordHash: String?,
        disabled: Bool = false, publicMetadata: [String: JSONValue] = [:], privateMetadata: [String: JSONValue] = [:],
        phoneNumber: String? = nil, phoneNumberVerified: Bool = false, address: PostalAddress? = nil, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.email = email
        self.emailVerified = emailVerified
        self.name = name
        self.passwordHash = passwordHash
        self.disabled = disabled
        self.publicMetadata = publicMetadata
        self.privateMetadata = privateMetadata
        self.phoneNumber = phoneNumber
        self.phoneNumberVerified = phoneNumberVerified
        self.address = address
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A postal address (OIDC Core §5.1.1): every member optional, at least one present.
public struct PostalAddress: Codable, Sendable, Equatable {
    /// The full address for display; lines separated by "\n".
    public var formatted: String?
    public var streetAddress: String?
    public var locality: String?
    public var region: String?
    public var postalCode: String?
    public var country: String?

    enum CodingKeys: String, CodingKey {
        case formatted, locality, region, country
        case streetAddress = "street_address"
        case postalCode = "postal_code"
    }

    public init(
        formatted: String? = nil, streetAddress: String? = nil, locality: String? = nil, region: String? = nil, postalCode: String? = nil,
        country: String? = nil
    ) {
        self.formatted = formatted
        self.streetAddress = streetAddress
        self.locality = locality
        self.region = region
        self.postalCode = postalCode
        self.country = country
    }

    /// The JSON object (OIDC Core §5.1.1) as `Encodable` writes it, absent members left out.
    public var jsonObject: [UInt8] {
        var json = JSONObjectWriter(capacity: 128)
        json.add("formatted", formatted)
        json.add("street_address", streetAddress)
        json.add("locality", locality)
        json.add("region", region)
        json.add("postal_code", postalCode)
        json.add("country", country)
        return json.finish()
    }

    /// The member names, as the JSON object and the admin API spell them.
    public static let memberNames = ["formatted", "street_address", "locality", "region", "postal_code", "country"]
    /// Longest member, in characters.
    public static let maximumLength = 500

    /// Whether no member is set.
    public var isEmpty: Bool { [formatted, streetAddress, locality, region, postalCode, country].allSatisfy { $0 == nil } }
}

/// Phone numbers as users' profiles hold them.
public enum PhoneNumber {
    /// Whether `raw` is an E.164 number (ITU-T E.164, as OIDC Core §5.1 recommends): `+`, a
    /// non-zero digit, then 6 to 14 more digits.
    public static func isValid(_ raw: String) -> Bool {
        let digits = raw.utf8.dropFirst()
        return raw.utf8.first == UInt8(ascii: "+") && (7...15).contains(digits.count) && digits.first != UInt8(ascii: "0")
            && digits.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}

/// Email address handling.
public enum EmailAddress {
    /// Unicode NFC, trimmed, lowercased local part and domain; nil when it is not `local@domain`
    /// with a dot-free-or-dotted domain and no spaces, or longer than 254 characters (RFC 5321 §4.5.3.1).
    public static func normalize(_ raw: String) -> String? {
        let s = raw.trimmingCharacters(in: .whitespacesAndNewlines).precomposedStringWithCanonicalMapping.lowercased()
        // Exactly one "@": quoted local parts (RFC 5322 §3.4.1) are not accepted.
        guard s.count <= 254, let at = s.firstIndex(of: "@"), s.lastIndex(of: "@") == at else { return nil }
        let local = s[..<at]
        let domain = s[s.index(after: at)...]
        guard !local.isEmpty, local.count <= 64, !domain.isEmpty, !domain.hasPrefix("."), !domain.hasSuffix("."),
            !s.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0.asciiValue.map { $0 < 0x20 } == true }),
            !domain.contains("@"), !s.unicodeScalars.contains(where: isInvisible)
        else { return nil }
        return s
    }

    /// Code points that display as nothing or as something else: controls, format characters
    /// (zero-width space and joiners, soft hyphen, bidirectional marks and overrides, BOM),
    /// separators, private-use, surrogate and unassigned code points. An address holding one
    /// looks identical to another account's address (a look-alike) while being a different key.
    static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .spaceSeparator, .privateUse, .surrogate,
            .unassigned:
            true
        default: false
        }
    }
}

/// A browser or device sign-in of a user, kept server-side in the tenant database.
public struct Session: Codable, Sendable, Equatable {
    public var id: SessionID
    /// SHA-256 of the cookie value.
    public var tokenHash: [UInt8]
    public var userID: UserID
    /// When the user last authenticated (OIDC Core `auth_time`).
    public var authTime: Date
    /// Authentication methods used (RFC 8176 values), e.g. `["pwd"]`.
    public var amr: [String]
    public var createdAt: Date
    public var expiresAt: Date
    public var revokedAt: Date?
    public var userAgent: String?
    public var ipAddress: String?

    public init(
        id: SessionID, tokenHash: [UInt8], userID: UserID, authTime: Date, amr: [String], createdAt: Date,
        expiresAt: Date, revokedAt: Date? = nil, userAgent: String? = nil, ipAddress: String? = nil
    ) {
        self.id = id
        self.tokenHash = tokenHash
        self.userID = userID
        self.authTime = authTime
        self.amr = amr
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.userAgent = userAgent
        self.ipAddress = ipAddress
    }

    /// Not revoked and not expired at `now`.
    public func isActive(at now: Date) -> Bool { revokedAt == nil && now < expiresAt }
}

/// Display names of users.
public enum DisplayName {
    public static let maximumLength = 200

    /// The problem with `name`, or nil when acceptable: at most `limit` characters (200 by
    /// default), and no control characters (C0, DEL, C1: they rewrite terminals and cut strings
    /// short) or bidirectional overrides (they disguise what is displayed around them). Used for
    /// every name or description shown to people: users, tenants, organizations, roles.
    public static func problem(_ name: String, limit: Int = maximumLength) -> String? {
        // Code points, as JSON Schema maxLength counts them (the admin API document states 200).
        if name.unicodeScalars.count > limit { return "must be at most \(limit) characters" }
        let forbidden = name.unicodeScalars.contains { scalar in
            scalar.properties.generalCategory == .control
                || (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
        }
        return forbidden ? "must not contain control characters or bidirectional overrides" : nil
    }
}
