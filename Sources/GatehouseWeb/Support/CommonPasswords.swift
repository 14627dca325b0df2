import Foundation
import Synchronization

/// The list of commonly used passwords (NIST SP 800-63B §5.1.1.2), lowercased: built into the
/// binary (`EmbeddedCommonPasswords`, generated from `config/common-passwords.txt`), or the file
/// `[passwords] common_passwords_file` names instead. Parsed once per source.
enum CommonPasswords {
    private static let cache = Mutex<[String: Set<String>]>([:])

    /// The passwords of `path`, or of the built-in list when `path` is nil. A configured file that
    /// cannot be read is a configuration error reported at start, so this never silently shrinks.
    static func load(_ path: String?) -> Set<String> {
        let key = path ?? ""
        if let cached = cache.withLock({ $0[key] }) { return cached }
        let text = path.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? EmbeddedCommonPasswords.text
        let set = parse(text)
        cache.withLock { $0[key] = set }
        return set
    }

    /// One password per line; `#` starts a comment line; surrounding blanks are ignored.
    static func parse(_ text: String) -> Set<String> {
        var set = Set<String>()
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let value = line.trimmingCharacters(in: .whitespaces).lowercased()
            if !value.isEmpty { set.insert(value) }
        }
        return set
    }
}
