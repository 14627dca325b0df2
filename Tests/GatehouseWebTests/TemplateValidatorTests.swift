import Foundation
@testable import GatehouseWeb
import Testing

/// Template overrides are refused with the line and the reason (the rule: "a template that does
/// not parse, or that outputs unescaped variables, is refused with the line and reason").
@Suite("Web: template validation")
struct TemplateValidatorTests {
    struct Case: Sendable, CustomStringConvertible {
        let description: String
        let source: String
        let line: Int
        let reason: String
    }

    @Test(
        "a refused template names the line and the reason",
        arguments: [
            Case(
                description: "triple mustache outputs without escaping", source: "<p>\n{{title}}\n{{{user_name}}}</p>", line: 3,
                reason: "{{{user_name}}} outputs 'user_name' without HTML escaping"),
            Case(
                description: "ampersand outputs without escaping", source: "a\nb\n\n<b>{{& link }}</b>", line: 4,
                reason: "{{&link}} outputs 'link' without HTML escaping"),
            Case(description: "ampersand after spaces", source: "{{ &link}}", line: 1, reason: "without HTML escaping"),
            Case(description: "delimiter change", source: "x\n{{=<% %>=}}\n<%&link%>", line: 2, reason: "delimiter changes"),
            Case(description: "pragma", source: "{{% CONTENT_TYPE: TEXT }}{{link}}", line: 1, reason: "pragmas"),
            Case(
                description: "unclosed section", source: "line one\n{{#user_name}}Hi {{user_name}}\nbye", line: 2,
                reason: "section {{#user_name}} opened on line 2 is never closed"),
            Case(description: "unclosed inverted section", source: "\n\n{{^code}}no code", line: 3, reason: "never closed"),
            Case(description: "mismatched close", source: "{{#a}}\n{{/b}}", line: 2, reason: "{{/b}} does not match {{#a}} opened on line 1"),
            Case(description: "close without open", source: "text\n{{/a}}", line: 2, reason: "never opened"),
            Case(
                description: "crossed sections", source: "{{#a}}\n{{#b}}\n{{/a}}\n{{/b}}", line: 2,
                reason: "{{#b}} opened on line 2 is not closed before {{/a}}"),
            Case(description: "unterminated tag", source: "ok\n\nHello {{user_name", line: 3, reason: "never closed with '}}'"),
            Case(description: "unknown partial", source: "{{> login}}", line: 1, reason: "partial {{> login}} is not available"),
            Case(description: "inheritance", source: "\n{{< _head}}{{/_head}}", line: 2, reason: "inheritance"),
            Case(description: "block", source: "{{$title}}x{{/title}}", line: 1, reason: "inheritance"),
            Case(description: "lines counted through multi-line comments", source: "{{! a\ncomment\n}}\n{{{x}}}", line: 4, reason: "{{{x}}}"),
            Case(description: "empty tag", source: "a {{ }} b", line: 1, reason: "empty tag"),
        ])
    func refused(_ c: Case) {
        let problems = TemplateValidator.problems(in: c.source, allowedPartials: ["_head", "_foot"])
        #expect(!problems.isEmpty, "\(c.description) was accepted")
        guard let first = problems.first else { return }
        #expect(first.line == c.line, "\(c.description): \(problems)")
        #expect(first.description.contains(c.reason), "\(c.description): \(first)")
        #expect(first.description.hasPrefix("line \(c.line): "))
        #expect(throws: TemplateProblem.self) { try TemplateValidator.validate(c.source, allowedPartials: ["_head", "_foot"]) }
    }

    @Test("every problem is reported, in line order")
    func allProblems() {
        let problems = TemplateValidator.problems(in: "{{{a}}}\nok {{b}}\n{{&c}}\n{{#d}}")
        #expect(problems.map(\.line) == [1, 3, 4], "\(problems)")
    }

    @Test(
        "escaped variables, sections, inverted sections, comments, transforms and allowed partials pass",
        arguments: [
            "", "plain text", "{{x}} {{ y }} {{#s}}{{z}}{{/s}}{{^s}}none{{/s}}{{! note }}",
            "{{#error}}{{^empty(error)}}<p>{{error}}</p>{{/empty(error)}}{{/error}}", "{{> _head}}\n<h1>{{title}}</h1>\n{{> _foot}}",
            "{{#list}}{{.}}{{/list}}", "a { b } c {x} }}",
        ])
    func accepted(_ source: String) {
        #expect(TemplateValidator.problems(in: source, allowedPartials: ["_head", "_foot"]).isEmpty)
    }

    @Test("every default page and email template passes the check an override must pass")
    func defaultsPass() async throws {
        let templates = repositoryRoot.appendingPathComponent("templates")
        let pages = try await PageRenderer(directory: templates.appendingPathComponent("pages").path)
        #expect(pages.templateNames.contains("page/login") && pages.templateNames.contains("page/_head"))
        for name in pages.templateNames {
            let source = pages.defaultSource(named: name) ?? ""
            // The console's own pages (never a tenant's to override) may frame the template
            // preview and post to it (`<iframe sandbox>`, `formaction`), which overrides may not.
            let problems =
                TemplateValidator.problems(in: source, allowedPartials: pages.allowedPartials(for: name))
                + (PageRenderer.isConsolePage(name) && name.hasPrefix("page/admin_template") ? [] : HTMLOverridePolicy.problems(in: source))
            #expect(problems.isEmpty, "\(name): \(problems)")
        }
        let emails = try EmailService.loadDefaults(directory: templates.appendingPathComponent("email").path)
        #expect(Set(emails.keys).isSuperset(of: EmailTemplate.allCases.map(\.stem)))
        for (stem, source) in emails {
            for (part, text) in [("subject", source.subject), ("text", source.text), ("html", source.html ?? "")] {
                #expect(TemplateValidator.problems(in: text).isEmpty, "\(stem).\(part)")
                if part == "html" { #expect(HTMLOverridePolicy.problems(in: text).isEmpty, "\(stem).html: \(HTMLOverridePolicy.problems(in: text))") }
            }
            #expect(source.html != nil, "\(stem) has an HTML part")
        }
    }

    static let hostile = "<script>alert(1)</script>\"'&<img src=x onerror=alert(2)>"

    @Test("an XSS corpus through every variable of every default page: nothing comes out unescaped")
    func pagesEscapeEveryVariable() async throws {
        let pages = try await PageRenderer(directory: repositoryRoot.appendingPathComponent("templates/pages").path)
        let tag = try Regex(#"\{\{\s*[#^/]?\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}"#)
        for name in pages.templateNames where !name.hasPrefix("page/_") {
            let source = pages.defaultSource(named: name) ?? ""
            var values: [String: Any] = [:]
            for match in source.matches(of: tag) {
                if let variable = match.output[1].substring { values[String(variable)] = Self.hostile }
            }
            let chrome = PageRenderer.Chrome(title: Self.hostile, tenantName: Self.hostile, tenantSlug: Self.hostile)
            let html = pages.render(String(name.dropFirst(5)), chrome: chrome, values: values)
            #expect(!html.contains("<script>alert(1)"), "\(name)")
            #expect(!html.contains("<img src=x"), "\(name)")
            #expect(!html.contains("\"'&<"), "\(name)")
            #expect(html.contains("&lt;script&gt;alert(1)"), "\(name) shows the values (escaped)")
        }
    }

    @Test("partials may not include partials, so no override can recurse")
    func partialsOfPartials() async throws {
        let pages = try await PageRenderer(directory: repositoryRoot.appendingPathComponent("templates/pages").path)
        #expect(pages.allowedPartials(for: "page/_head").isEmpty)
        #expect(pages.allowedPartials(for: "page/login") == Set(["_head", "_foot"]).union(pages.allowedPartials(for: "page/login")))
        #expect(!TemplateValidator.problems(in: "{{> _head}}", allowedPartials: pages.allowedPartials(for: "page/_head")).isEmpty)
    }

    @Test("deeply nested sections are refused before parsing: an override cannot exhaust the stack", arguments: [33, 3000, 100_000])
    func deepNesting(_ depth: Int) {
        let source = String(repeating: "{{#a}}", count: depth) + String(repeating: "{{/a}}", count: depth)
        let problems = TemplateValidator.problems(in: source)
        #expect(problems.contains { $0.reason.contains("nested more than") || $0.reason.contains("larger than") })
    }

    @Test("nesting up to the limit is accepted")
    func nestingAtLimit() {
        let depth = TemplateValidator.maximumSectionDepth
        let source = String(repeating: "{{#a}}", count: depth) + "x" + String(repeating: "{{/a}}", count: depth)
        #expect(TemplateValidator.problems(in: source).isEmpty)
    }
}
