import GatehouseCrypto
import Testing

@Suite("ConstantTime comparison")
struct ConstantTimeTests {
    struct Row: Sendable, CustomStringConvertible {
        let description: String
        let a: String
        let b: String
        let equal: Bool
    }

    static let rows: [Row] = [
        Row(description: "equal strings are equal", a: "s3cr3t-token", b: "s3cr3t-token", equal: true),
        Row(description: "two empty values are equal", a: "", b: "", equal: true),
        Row(description: "a difference in the first byte is unequal", a: "xbcdef", b: "abcdef", equal: false),
        Row(description: "a difference in the last byte is unequal", a: "abcdef", b: "abcdeg", equal: false),
        Row(description: "a prefix is unequal (lengths differ)", a: "abc", b: "abcdef", equal: false),
        Row(description: "empty versus non-empty is unequal", a: "", b: "a", equal: false),
        Row(description: "strings compare UTF-8 bytes without normalisation", a: "\u{E9}", b: "e\u{301}", equal: false),
    ]

    @Test("byte comparison", arguments: rows)
    func bytes(_ row: Row) {
        #expect(ConstantTime.equals(Array(row.a.utf8), Array(row.b.utf8)) == row.equal)
        #expect(ConstantTime.equals(Array(row.b.utf8), Array(row.a.utf8)) == row.equal)
    }

    @Test("string comparison", arguments: rows)
    func strings(_ row: Row) {
        #expect(ConstantTime.equals(row.a, row.b) == row.equal)
    }
}
