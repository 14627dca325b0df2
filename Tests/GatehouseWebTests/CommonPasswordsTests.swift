import Foundation
@testable import GatehouseWeb
import Testing

/// The common-password list is built into the binary, so no install layout can lose it.
@Suite("Web: built-in common-password list")
struct CommonPasswordsTests {
    static let listFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("config/common-passwords.txt")

    @Test("the built-in list is config/common-passwords.txt (run scripts/generate-embedded after editing it)")
    func embeddedMatchesTheFile() throws {
        let file = try String(contentsOf: Self.listFile, encoding: .utf8)
        #expect(CommonPasswords.parse(EmbeddedCommonPasswords.text) == CommonPasswords.parse(file))
    }

    @Test("without a configured file the whole list applies, wherever the binary runs")
    func builtInByDefault() throws {
        let list = CommonPasswords.load(nil)
        #expect(list.count > 11_000)
        #expect(list.contains("mopar440") && list.contains("password"))
    }

    @Test("a configured file replaces the list; one that cannot be read stops the start")
    func configuredFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("common-\(UUID().uuidString).txt")
        try "# ours\nCorrectHorse1\n".write(to: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: path) }
        #expect(CommonPasswords.load(path.path) == ["correcthorse1"])
        var config = GatehouseConfiguration()
        config.commonPasswordsFile = "/nonexistent/common-passwords.txt"
        #expect(config.validate().contains { $0.key == "passwords.common_passwords_file" })
    }
}
