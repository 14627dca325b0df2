import GatehouseCrypto
import Testing

@Suite("Shared keys are safe to use from many tasks at once")
struct ConcurrencyTests {
    @Test("one SigningKey and its verifier sign and verify concurrently from 8 tasks", arguments: JWSAlgorithm.allCases)
    func concurrentSignVerify(_ algorithm: JWSAlgorithm) async throws {
        let key = try TestKeys.a(algorithm)
        let verified = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var ok = 0
                    for i in 0..<25 {
                        let message = Array("task \(task) message \(i)".utf8)
                        if key.verifier.verify(signature: try key.sign(message), message: message) { ok += 1 }
                    }
                    return ok
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(verified == 8 * 25)
    }
}
