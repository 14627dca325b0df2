#if canImport(Glibc)
    import Glibc
#endif
import Foundation

/// Keeps the data folder private whatever the process umask: folders 0700, files 0600.
enum PrivateFiles {
    /// Sets the process umask to 077, so every file created later (SQLite databases and their
    /// `-wal`/`-shm` files, keys, tokens, outbox messages) is private to the service user.
    static func restrictUmask() {
        #if canImport(Glibc)
            umask(0o077)
        #endif
    }

    /// Makes `directory` and everything below it private: 0700 for folders, 0600 for files
    /// (files made before this version, or by hand, are tightened at start).
    static func tighten(_ directory: URL) {
        let fm = FileManager.default
        try? fm.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory.path)
        guard let walker = fm.enumerator(at: directory, includingPropertiesForKeys: [.isDirectoryKey, .isSymbolicLinkKey]) else { return }
        for case let url as URL in walker {
            let values = try? url.resourceValues(forKeys: [.isDirectoryKey, .isSymbolicLinkKey])
            if values?.isSymbolicLink == true { continue }
            try? fm.setAttributes([.posixPermissions: values?.isDirectory == true ? 0o700 : 0o600], ofItemAtPath: url.path)
        }
    }
}
