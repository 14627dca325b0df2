import Foundation
import GatehouseCrypto

/// The prefix of a family of identifiers (docs/contract.md A1: `ten_`, `usr_`, `ses_`, `grt_`, `cli_`, …).
public protocol IdentifierKind: Sendable {
    /// The prefix including the underscore, e.g. `"usr_"`.
    static var prefix: String { get }
}

/// A prefixed, sortable identifier: the kind's prefix followed by a ULID (26 Crockford base32 characters).
///
/// Identifiers are typed by their kind so that a user id can never be passed where a session id is
/// expected. Database row numbers are never exposed.
public struct Identifier<Kind: IdentifierKind>: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible, Comparable {
    public let rawValue: String

    /// Accepts only strings of the form `<prefix><ULID>`.
    public init?(rawValue: String) {
        // Compared as UTF-8 bytes: a valid identifier is ASCII, and Characters would cost a
        // grapheme walk on every identifier read from a row or a request.
        let prefix = Kind.prefix.utf8
        let utf8 = rawValue.utf8
        guard utf8.count == prefix.count + 26, utf8.starts(with: prefix), utf8.dropFirst(prefix.count).allSatisfy(ULID.isDigit)
        else { return nil }
        self.rawValue = rawValue
    }

    /// A new identifier for the instant `date` with 80 random bits.
    public static func generate(at date: Date) -> Self {
        Self(unchecked: Kind.prefix + ULID.make(at: date))
    }

    init(unchecked: String) { self.rawValue = unchecked }

    public var description: String { rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        guard let value = Self(rawValue: string) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a \(Kind.prefix) identifier")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

public enum TenantKind: IdentifierKind { public static let prefix = "ten_" }
public enum UserKind: IdentifierKind { public static let prefix = "usr_" }
public enum SessionKind: IdentifierKind { public static let prefix = "ses_" }
public enum GrantKind: IdentifierKind { public static let prefix = "grt_" }
public enum ClientRecordKind: IdentifierKind { public static let prefix = "cli_" }
public enum OrganizationKind: IdentifierKind { public static let prefix = "org_" }

public typealias TenantID = Identifier<TenantKind>
public typealias UserID = Identifier<UserKind>
public typealias SessionID = Identifier<SessionKind>
public typealias GrantID = Identifier<GrantKind>
public typealias ClientRecordID = Identifier<ClientRecordKind>
public typealias OrganizationID = Identifier<OrganizationKind>

/// Universally Unique Lexicographically Sortable Identifier: 48-bit millisecond timestamp and
/// 80 random bits, encoded as 26 characters of Crockford's base32.
public enum ULID {
    static let alphabet: [Character] = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    /// ``alphabet`` by byte value: `digits[b]` is whether byte `b` is one of its digits.
    private static let digits: [Bool] = alphabet.reduce(into: [Bool](repeating: false, count: 256)) { table, digit in
        table[Int(digit.asciiValue!)] = true
    }

    /// Whether `byte` is a digit of ``alphabet`` (a valid identifier is ASCII, so bytes suffice).
    static func isDigit(_ byte: UInt8) -> Bool { digits[Int(byte)] }

    /// A new ULID string for `date`.
    public static func make(at date: Date) -> String {
        // Rounded to the nearest millisecond: truncating the binary double would make some
        // whole-millisecond instants one millisecond early.
        let millis = UInt64(max(0, (date.timeIntervalSince1970 * 1000).rounded()))
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<6 { bytes[i] = UInt8((millis >> (8 * (5 - UInt64(i)))) & 0xFF) }
        let random = SecureRandom.bytes(10)
        for i in 0..<10 { bytes[6 + i] = random[i] }
        // 128 bits → 26 base32 characters (the first carries 3 bits).
        var value =
            (UInt64(bytes[0]) << 56) | (UInt64(bytes[1]) << 48) | (UInt64(bytes[2]) << 40) | (UInt64(bytes[3]) << 32)
            | (UInt64(bytes[4]) << 24) | (UInt64(bytes[5]) << 16) | (UInt64(bytes[6]) << 8) | UInt64(bytes[7])
        var low =
            (UInt64(bytes[8]) << 56) | (UInt64(bytes[9]) << 48) | (UInt64(bytes[10]) << 40) | (UInt64(bytes[11]) << 32)
            | (UInt64(bytes[12]) << 24) | (UInt64(bytes[13]) << 16) | (UInt64(bytes[14]) << 8) | UInt64(bytes[15])
        var chars = [Character](repeating: "0", count: 26)
        for i in stride(from: 25, through: 0, by: -1) {
            chars[i] = alphabet[Int(low & 0x1F)]
            low = (low >> 5) | ((value & 0x1F) << 59)
            value >>= 5
        }
        return String(chars)
    }
}
