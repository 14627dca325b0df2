import Foundation
import GatehouseCrypto
import Testing

@Suite("Recovery codes")
struct RecoveryCodesTests {
    @Test("codes look like ab3d-9kx2-q7m4 and use only the unambiguous alphabet")
    func format() {
        let codes = RecoveryCodes.generate()
        #expect(codes.count == 10)
        let alphabet = Set(RecoveryCodes.alphabet)
        for code in codes {
            let bytes = Array(code.utf8)
            #expect(bytes.count == 14)
            #expect(bytes[4] == UInt8(ascii: "-") && bytes[9] == UInt8(ascii: "-"))
            let data = bytes.enumerated().filter { $0.offset != 4 && $0.offset != 9 }.map(\.element)
            #expect(data.allSatisfy(alphabet.contains))
            #expect(RecoveryCodes.normalize(code).utf8.count == 12)
        }
        #expect(Set(codes).count == codes.count)
    }

    @Test("the alphabet has 31 distinct lowercase characters without 0 1 i l o, so a code carries ≥ 50 bits")
    func entropy() {
        let alphabet = RecoveryCodes.alphabet
        #expect(alphabet.count == 31)
        #expect(Set(alphabet).count == alphabet.count)
        #expect(!alphabet.contains { "01ilo".utf8.contains($0) })
        #expect(alphabet.allSatisfy { ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "2") && $0 <= UInt8(ascii: "9")) })
        let bits = Double(RecoveryCodes.groupLength * RecoveryCodes.groupCount) * log2(Double(alphabet.count))
        #expect(bits >= 59)
    }

    @Test("every alphabet character occurs (uniform draw sanity check)")
    func coverage() {
        let seen = Set(RecoveryCodes.generate(count: 200).flatMap { RecoveryCodes.normalize($0).utf8 })
        #expect(seen == Set(RecoveryCodes.alphabet))
    }

    @Test("count 0 gives no codes; other counts give that many")
    func counts() {
        #expect(RecoveryCodes.generate(count: 0).isEmpty)
        #expect(RecoveryCodes.generate(count: 3).count == 3)
    }

    static let normalizeRows: [(input: String, expected: String)] = [
        ("ab3d-9kx2-q7m4", "ab3d9kx2q7m4"),
        ("AB3D-9KX2-Q7M4", "ab3d9kx2q7m4"),
        ("  ab3d 9kx2\tq7m4 ", "ab3d9kx2q7m4"),
        ("ab3d--9kx2 - q7m4", "ab3d9kx2q7m4"),
        ("", ""),
        ("ÄB3D", "Äb3d"),
    ]

    @Test("normalize strips spaces and dashes and lowercases ASCII letters", arguments: normalizeRows)
    func normalize(_ row: (input: String, expected: String)) {
        #expect(RecoveryCodes.normalize(row.input) == row.expected)
    }
}
