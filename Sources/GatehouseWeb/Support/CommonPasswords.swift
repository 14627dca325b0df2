import Foundation
import Synchronization

/// The list of commonly used passwords, loaded once per file.
enum CommonPasswords {
    private static let cache = Mutex<[String: Set<String>]>([:])

    /// A handful refused even when the list file is missing.
    static let builtIn: Set<String> = ["password", "12345678", "123456789", "1234567890", "qwertyuiop", "password1", "iloveyou",
                                       "11111111", "00000000", "abcdefgh", "sunshine", "princess", "football", "baseball",
                                       "welcome1", "admin123", "letmein1", "passw0rd", "password123", "qwerty123"]

    /// The lowercased passwords of `path` (located like the templates), plus `builtIn`.
    static func load(_ path: String) -> Set<String> {
        if let cached = cache.withLock({ $0[path] }) { return cached }
        var set = builtIn
        let located = Secrets.locate(path, default: "./config/common-passwords.txt")
        if let text = try? String(contentsOfFile: located, encoding: .utf8) {
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                let value = line.trimmingCharacters(in: .whitespaces).lowercased()
                if !value.isEmpty { set.insert(value) }
            }
        }
        cache.withLock { $0[path] = set }
        return set
    }
}
