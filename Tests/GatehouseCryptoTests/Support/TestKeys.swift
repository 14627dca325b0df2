import GatehouseCrypto

/// Generated keys shared by tests, so RSA-2048 generation runs a bounded number of times.
/// Two independent keys per algorithm ("A" and "B") for cross-key checks.
enum TestKeys {
    private static let keysA: [JWSAlgorithm: Result<SigningKey, any Error>] = generateAll()
    private static let keysB: [JWSAlgorithm: Result<SigningKey, any Error>] = generateAll()

    private static func generateAll() -> [JWSAlgorithm: Result<SigningKey, any Error>] {
        Dictionary(
            uniqueKeysWithValues: JWSAlgorithm.allCases.map { algorithm in
                (algorithm, Result { try SigningKey.generate(algorithm) })
            })
    }

    static func a(_ algorithm: JWSAlgorithm) throws -> SigningKey { try keysA[algorithm]!.get() }
    static func b(_ algorithm: JWSAlgorithm) throws -> SigningKey { try keysB[algorithm]!.get() }
}
