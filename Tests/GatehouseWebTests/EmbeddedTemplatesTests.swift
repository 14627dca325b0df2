import Foundation
@testable import GatehouseWeb
import Testing

/// The default templates are built into the binary, so no install layout can lose them, and a
/// templates folder still replaces them file by file.
@Suite("Web: built-in default templates")
struct EmbeddedTemplatesTests {
    static let templates = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("templates")

    @Test("the built-in templates are templates/pages and templates/email (run scripts/generate-embedded after editing them)")
    func embeddedMatchesTheFolder() throws {
        var onDisk: [String: String] = [:]
        for kind in ["pages", "email"] {
            let folder = Self.templates.appendingPathComponent(kind)
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".mustache") {
                onDisk["\(kind)/\(name)"] = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            }
        }
        #expect(Set(EmbeddedTemplates.files.keys) == Set(onDisk.keys))
        for (path, text) in onDisk { #expect(EmbeddedTemplates.files[path] == text, "\(path) differs") }
    }

    @Test("without a templates folder every page renders from the built-in templates")
    func pagesWithoutAFolder() async throws {
        let pages = try await PageRenderer(directory: "/nonexistent/templates/pages")
        let html = pages.render(
            "login", chrome: .init(title: "Sign in", tenantName: "Acme", tenantSlug: "acme"),
            values: ["action": "/t/acme/login"])
        #expect(html.contains("<form") && html.contains("Acme") && !html.contains("is missing"))
        #expect(pages.defaultSource(named: "page/login") == EmbeddedTemplates.files["pages/login.mustache"])
    }

    @Test("a file in the templates folder replaces its built-in template; the others stay")
    func folderOverlays() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pages-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "<p>ours {{tenant_name}}</p>".write(to: folder.appendingPathComponent("message.mustache"), atomically: true, encoding: .utf8)
        let pages = try await PageRenderer(directory: folder.path)
        let chrome = PageRenderer.Chrome(title: "t", tenantName: "Acme", tenantSlug: "acme")
        #expect(pages.render("message", chrome: chrome, values: [:]) == "<p>ours Acme</p>")
        #expect(pages.render("login", chrome: chrome, values: [:]).contains("<form"))
    }
}
