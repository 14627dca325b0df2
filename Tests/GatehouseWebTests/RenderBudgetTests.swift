import Foundation
import Mustache
import Testing

@testable import GatehouseWeb

/// Pages rendered with tenant-written templates draw their list elements from one budget, so a
/// template whose sections re-enter a list (`{{#scopes}}` in `{{#scopes}}`…) cannot render the
/// body nᵏ times.
@Suite("Web: render budget of tenant templates")
struct RenderBudgetTests {
    static func render(_ source: String, _ context: [String: Any]) throws -> String {
        let template = try MustacheTemplate(string: source)
        let bounded = PageRenderer.bounded(context, largestBody: RenderBudget.largestSectionBody(in: source))
        return template.render(bounded)
    }

    @Test("a section bomb of 30 levels renders at most the budget's elements, at once")
    func bomb() throws {
        let source = String(repeating: "{{#scopes}}", count: 30) + "x" + String(repeating: "{{/scopes}}", count: 30)
        let started = Date()
        let output = try Self.render(source, ["scopes": [["name": "openid"], ["name": "email"]]])
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(output.count <= RenderBudget.outputBytes)
        #expect(!output.isEmpty)
    }

    @Test("ordinary lists render whole, nested lists included, and list transforms still work")
    func ordinary() throws {
        let source = "{{#providers}}[{{name}}:{{#scopes}}{{.}},{{/scopes}}]{{/providers}}{{^empty(providers)}}!{{/empty(providers)}}"
        let output = try Self.render(
            source, ["providers": [["name": "a", "scopes": ["x", "y"]], ["name": "b", "scopes": ["z"]]]])
        #expect(output == "[a:x,y,][b:z,]!")
    }

    @Test("the largest section body is measured in bytes between the tags")
    func largestBody() {
        #expect(RenderBudget.largestSectionBody(in: "no sections") == 0)
        #expect(RenderBudget.largestSectionBody(in: "{{#a}}12345{{/a}}{{^b}}12{{/b}}") == 5)
        #expect(RenderBudget.largestSectionBody(in: "{{#a}}1{{#b}}23{{/b}}4{{/a}}") == 16)
    }
}
