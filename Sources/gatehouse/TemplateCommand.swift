import ArgumentParser
import Foundation
import GatehouseAdminAPI

struct TemplateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "template", abstract: "Show, override, reset and test a tenant's page and email templates.",
        discussion: """
            Templates are named page/<name> (page/login, page/_head, …) or email/<name> (email/verify, email/reset, \
            email/magic_link, email/code, email/mfa_change, email/recovery_used, email/signup_attempt, email/invitation); `template list` shows them all. \
            They are Mustache; output every value with {{name}} (HTML-escaped): {{{name}}}, {{& name}}, delimiter \
            changes and pragmas are refused, with the line and the reason. Variables: templates/pages/README.md and \
            templates/email/README.md.

            File format of `set --file` (and of `get`): a page file is the raw Mustache template. An email file is

              Subject: Confirm your email address for {{tenant_name}}
              --- text
              Hello {{user_name}}, …
              --- html
              <!doctype html>…

            The `--- html` section is optional (without it the email is text only). `get` prints exactly this \
            format, so `gatehouse template get … > f`, edit, `gatehouse template set … --file f` round-trips.
            """,
        subcommands: [List.self, Get.self, SetTemplate.self, Reset.self, Test.self, Versions.self, Restore.self])

    /// `email/verify` → the admin API path of the template.
    static func parse(_ name: String) throws -> (kind: Components.Parameters.TemplateKind, name: String) {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, let kind = Components.Parameters.TemplateKind(rawValue: parts[0]), !parts[1].isEmpty else {
            throw ValidationError("template names look like email/verify or page/login")
        }
        return (kind, parts[1])
    }

    /// An email template file: `Subject: …`, `--- text`, text, optional `--- html`, html.
    struct EmailFile: Equatable {
        var subject: String
        var text: String
        var html: String?

        enum ParseError: Error, CustomStringConvertible {
            case problem(line: Int, String)
            var description: String {
                switch self {
                case .problem(let line, let reason): "line \(line): \(reason)"
                }
            }
        }

        init(subject: String, text: String, html: String?) {
            self.subject = subject
            self.text = text
            self.html = html
        }

        init(parsing file: String) throws {
            var subject: String?, text: [String]?, html: [String]?
            var section = "header"
            let lines = file.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
            for (index, line) in lines.enumerated() {
                let number = index + 1
                if line == "--- text" {
                    guard section == "header", subject != nil else {
                        throw ParseError.problem(line: number, "'--- text' must come once, after the Subject: line")
                    }
                    section = "text"; text = []; continue
                }
                if line == "--- html" {
                    guard section == "text" else { throw ParseError.problem(line: number, "'--- html' must come once, after '--- text'") }
                    section = "html"; html = []; continue
                }
                switch section {
                case "header":
                    if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
                    guard subject == nil, line.lowercased().hasPrefix("subject:") else {
                        throw ParseError.problem(line: number, "expected 'Subject: …' then '--- text'")
                    }
                    subject = line.dropFirst("subject:".count).trimmingCharacters(in: .whitespaces)
                case "text": text?.append(line)
                default: html?.append(line)
                }
            }
            guard let subject else { throw ParseError.problem(line: 1, "the file must start with 'Subject: …'") }
            guard let text else { throw ParseError.problem(line: lines.count, "no '--- text' section") }
            self.init(subject: subject, text: Self.join(text), html: html.map(Self.join))
        }

        /// Lines back to text; a section ends with one newline however many blank lines closed it.
        static func join(_ lines: [String]) -> String {
            var lines = lines
            while let last = lines.last, last.isEmpty { lines.removeLast() }
            return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
        }

        var rendered: String {
            var out = "Subject: \(subject)\n--- text\n\(text)"
            if !out.hasSuffix("\n") { out += "\n" }
            if let html {
                out += "--- html\n\(html)"
                if !out.hasSuffix("\n") { out += "\n" }
            }
            return out
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every template and whether the tenant overrides it.")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"

        func run() async throws {
            try await runAdmin {
                let result = try await admin.api().answer { try await $0.listTemplates(path: .init(slug: tenant)).ok.body.json }
                if admin.json { Output.json(result); return }
                let templates = (result as? [String: Any])?["templates"] as? [[String: Any]] ?? []
                Output.table(
                    ["name", "source", "updated_at"],
                    templates.map { t in
                        [
                            Output.describe(t["name"] ?? ""), (t["overridden"] as? Bool) == true ? "override" : "default",
                            (t["updated_at"] as? String) ?? "",
                        ]
                    })
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a template the tenant uses (its override, or the default) in the `set --file` format.",
            discussion: "Example: gatehouse template get --tenant acme email/verify > verify.txt")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Argument(help: "Template name, e.g. email/verify or page/login.") var name: String

        func run() async throws {
            try await runAdmin {
                let template = try TemplateCommand.parse(name)
                let result = try await admin.api().answer {
                    try await $0.getTemplate(path: .init(slug: tenant, kind: template.kind, name: template.name)).ok.body.json
                }
                if admin.json { Output.json(result); return }
                let t = result as? [String: Any] ?? [:]
                if (t["kind"] as? String) == "page" {
                    FileHandle.standardOutput.write(Data(((t["body"] as? String) ?? "").utf8))
                } else {
                    let file = EmailFile(
                        subject: (t["subject"] as? String) ?? "", text: (t["text"] as? String) ?? "",
                        html: t["html"] as? String)
                    FileHandle.standardOutput.write(Data(file.rendered.utf8))
                }
            }
        }
    }

    struct SetTemplate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Override a template for one tenant from a file.",
            discussion: """
                A page file is raw Mustache; an email file has a `Subject:` line, a `--- text` section and an optional \
                `--- html` section (see `gatehouse template --help`). A refused template prints each problem with its line.
                Example: gatehouse template set --tenant acme email/verify --file verify.txt
                """)
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Argument(help: "Template name, e.g. email/verify or page/login.") var name: String
        @Option(help: "The template file ('-' reads standard input).") var file: String

        func run() async throws {
            let data: Data?
            if file == "-" { data = FileHandle.standardInput.readDataToEndOfFile() } else { data = FileManager.default.contents(atPath: file) }
            guard let data, let content = String(data: data, encoding: .utf8) else {
                throw ValidationError("cannot read \(file) as UTF-8 text")
            }
            let body: Components.Schemas.TemplateUpdate
            if name.hasPrefix("email/") {
                let parsed: EmailFile
                do { parsed = try EmailFile(parsing: content) } catch { throw ValidationError("\(file): \(error)") }
                body = .init(subject: parsed.subject, text: parsed.text, html: parsed.html)
            } else {
                body = .init(body: content)
            }
            let template = try TemplateCommand.parse(name)
            try await runAdmin {
                let result = try await admin.api().answer {
                    try await $0.putTemplate(path: .init(slug: tenant, kind: template.kind, name: template.name), body: .json(body)).ok.body.json
                }
                if admin.json { Output.json(result) } else { print("\(name): override saved for tenant \(tenant)") }
            }
        }
    }

    struct Reset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a tenant's override: the default applies again.")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Argument(help: "Template name, e.g. email/verify or page/login.") var name: String
        @OptionGroup var confirmation: Confirmation

        func run() async throws {
            let template = try TemplateCommand.parse(name)
            try confirmation.require("the override of \(name) of tenant '\(tenant)'", typing: name)
            try await runAdmin {
                _ = try await admin.api().answer {
                    try await $0.resetTemplate(path: .init(slug: tenant, kind: template.kind, name: template.name)).noContent
                }
                if !admin.json { print("\(name): tenant \(tenant) uses the default") }
            }
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send an email template with sample values to an address (tests templates and delivery).",
            discussion: "Example: gatehouse template test --tenant acme email/verify --to ops@acme.com")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Argument(help: "Email template name, e.g. email/verify.") var name: String
        @Option(help: "Recipient address.") var to: String

        func run() async throws {
            let template = try TemplateCommand.parse(name)
            try await runAdmin {
                let result = try await admin.api().answer {
                    try await $0.testTemplate(path: .init(slug: tenant, kind: template.kind, name: template.name), body: .json(.init(to: to)))
                        .ok.body.json
                }
                if admin.json { Output.json(result); return }
                let id = ((result as? [String: Any])?["id"] as? String) ?? "?"
                print("queued \(id) to \(to)")
            }
        }
    }
}
