import GatehouseCrypto
import Testing

@Suite("PasswordHasher: Argon2id PHC strings")
struct PasswordHasherTests {
    /// Small parameters keep the suite fast; production uses the defaults.
    static let hasher = PasswordHasher(memoryKiB: 8 * 1024, iterations: 1)

    @Test("a hash verifies with its password and encodes argon2id v=19 with the hasher's parameters")
    func roundTrip() throws {
        let encoded = try Self.hasher.hash("correct horse battery staple")
        #expect(encoded.hasPrefix("$argon2id$v=19$m=8192,t=1,p=1$"))
        #expect(Self.hasher.verify("correct horse battery staple", encoded: encoded))
    }

    @Test("hashing the same password twice uses different salts")
    func saltsDiffer() throws {
        let first = try Self.hasher.hash("pw")
        let second = try Self.hasher.hash("pw")
        #expect(first != second)
        #expect(Self.hasher.verify("pw", encoded: first) && Self.hasher.verify("pw", encoded: second))
    }

    @Test(
        "a wrong password does not verify",
        arguments: ["", "Correct horse battery staple", "correct horse battery staple ", "correct horse", "correct horse battery staple\0"])
    func wrongPassword(_ attempt: String) throws {
        let encoded = try Self.hasher.hash("correct horse battery staple")
        #expect(!Self.hasher.verify(attempt, encoded: encoded))
    }

    @Test("passwords are compared as full UTF-8, including non-ASCII and embedded NUL")
    func fullUTF8() throws {
        let encoded = try Self.hasher.hash("pass\0word-ü")
        #expect(Self.hasher.verify("pass\0word-ü", encoded: encoded))
        #expect(!Self.hasher.verify("pass", encoded: encoded))
        #expect(!Self.hasher.verify("pass\0word-u\u{308}", encoded: encoded))
    }

    @Test(
        "a malformed or non-Argon2id encoding never verifies",
        arguments: [
            "",
            "not a hash",
            "$argon2id$",
            "$argon2id$v=19$m=8192,t=1,p=1$",
            "$argon2i$v=19$m=8192,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$Y2FyZ29ob3JzZWJhdHRlcnlzdGFwbGU",
            "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
            String(repeating: "$argon2id$", count: 20),
        ])
    func malformed(_ encoded: String) {
        #expect(!Self.hasher.verify("pw", encoded: encoded))
    }

    @Test("a truncated or altered hash does not verify")
    func alteredHash() throws {
        let encoded = try Self.hasher.hash("pw")
        #expect(!Self.hasher.verify("pw", encoded: String(encoded.dropLast(4))))
        var altered = Array(encoded.utf8)
        altered[altered.count - 2] = altered[altered.count - 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(!Self.hasher.verify("pw", encoded: String(decoding: altered, as: UTF8.self)))
    }

    struct RehashRow: Sendable, CustomStringConvertible {
        let description: String
        let current: PasswordHasher
        let needsRehash: Bool
    }

    @Test(
        "needsRehash is true exactly when parameters differ from the hasher's",
        arguments: [
            RehashRow(description: "same parameters: no rehash", current: PasswordHasher(memoryKiB: 8 * 1024, iterations: 1), needsRehash: false),
            RehashRow(description: "more memory: rehash", current: PasswordHasher(memoryKiB: 16 * 1024, iterations: 1), needsRehash: true),
            RehashRow(description: "less memory: rehash", current: PasswordHasher(memoryKiB: 4 * 1024, iterations: 1), needsRehash: true),
            RehashRow(description: "more iterations: rehash", current: PasswordHasher(memoryKiB: 8 * 1024, iterations: 2), needsRehash: true),
            RehashRow(description: "defaults (19 MiB, t=2): rehash", current: PasswordHasher(), needsRehash: true),
        ])
    func needsRehash(_ row: RehashRow) throws {
        let encoded = try Self.hasher.hash("pw")
        #expect(row.current.needsRehash(encoded) == row.needsRehash)
    }

    @Test("needsRehash is true for malformed encodings", arguments: ["", "garbage", "$argon2id$v=19$m=8192"])
    func needsRehashMalformed(_ encoded: String) {
        #expect(Self.hasher.needsRehash(encoded))
    }

    @Test("defaults are the OWASP Argon2id minimum: 19 MiB, 2 iterations")
    func defaults() {
        let hasher = PasswordHasher()
        #expect(hasher.memoryKiB == 19 * 1024)
        #expect(hasher.iterations == 2)
    }

    @Test("init clamps parameters into libsodium's range")
    func clamps() {
        let low = PasswordHasher(memoryKiB: 1, iterations: 0)
        #expect(low.memoryKiB == PasswordHasher.minimumMemoryKiB)
        #expect(low.memoryKiB == 8)
        #expect(low.iterations == 1)
        let high = PasswordHasher(memoryKiB: .max, iterations: .max)
        #expect(high.memoryKiB == PasswordHasher.maximumMemoryKiB)
        #expect(high.iterations == PasswordHasher.maximumIterations)
    }

    @Test(
        "validated rejects out-of-range parameters instead of clamping",
        arguments: [(memoryKiB: 4, iterations: 2), (memoryKiB: 19 * 1024, iterations: 0), (memoryKiB: -1, iterations: -1)])
    func validatedRejects(_ memoryKiB: Int, _ iterations: Int) {
        #expect(throws: CryptoError.self) { try PasswordHasher.validated(memoryKiB: memoryKiB, iterations: iterations) }
    }

    @Test("validated accepts in-range parameters unchanged")
    func validatedAccepts() throws {
        let hasher = try PasswordHasher.validated(memoryKiB: 8 * 1024, iterations: 3)
        #expect(hasher.memoryKiB == 8 * 1024 && hasher.iterations == 3)
    }
}
