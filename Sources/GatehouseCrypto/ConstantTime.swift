internal import CSodium

/// Comparisons whose running time does not depend on where the inputs differ, for secrets such as
/// MACs, token hashes, PKCE verifiers' digests and client secrets.
public enum ConstantTime {
    /// Compares two byte arrays in constant time (`sodium_memcmp`).
    ///
    /// Only the contents are protected; the lengths are not secret. Returns `false` at once when the
    /// lengths differ. Two empty arrays are equal.
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        LibSodium.ensureReady()
        return a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in
                sodium_memcmp(pa.baseAddress!, pb.baseAddress!, a.count) == 0
            }
        }
    }

    /// Compares the UTF-8 bytes of two strings in constant time (no Unicode normalisation).
    public static func equals(_ a: String, _ b: String) -> Bool {
        equals(Array(a.utf8), Array(b.utf8))
    }
}
