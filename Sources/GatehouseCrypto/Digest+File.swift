internal import CSodium
internal import Foundation

extension Digest {
    /// SHA-256 of a file's bytes, read in 1 MiB chunks (`crypto_hash_sha256_init/update/final`),
    /// so files larger than memory can be hashed.
    /// - Returns: 32 bytes.
    /// - Throws: when the file cannot be opened or read.
    public static func sha256(fileAtPath path: String) throws -> [UInt8] {
        LibSodium.ensureReady()
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var state = crypto_hash_sha256_state()
        _ = crypto_hash_sha256_init(&state)
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            chunk.withUnsafeBytes { raw in
                _ = crypto_hash_sha256_update(&state, raw.bindMemory(to: UInt8.self).baseAddress, UInt64(raw.count))
            }
        }
        return [UInt8](unsafeUninitializedCapacity: sha256ByteCount) { output, initialized in
            _ = crypto_hash_sha256_final(&state, output.baseAddress!)
            initialized = sha256ByteCount
        }
    }
}
