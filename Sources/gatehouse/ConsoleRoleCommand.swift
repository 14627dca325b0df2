import ArgumentParser
import Foundation
import GatehouseAdminAPI

extension UserCommand {
    /// `gatehouse user console-role USER_ID [--role tenant_admin|tenant_viewer|none]`: shows, grants
    /// or takes away a user's admin console role (docs/contract.md A10).
    struct ConsoleRoleCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "console-role",
            abstract: "Show, grant or take away a user's admin console role (tenant_admin, tenant_viewer).",
            discussion: """
                A user with a role signs in at {public_url}/admin/t/{slug} through the tenant's own login and \
                sees that tenant only: tenant_admin changes everything of it but cannot create or delete tenants; \
                tenant_viewer reads only. Without --role the current role is shown; --role none takes it away.
                """)
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Argument(help: "User id (usr_…).") var id: String
        @Option(help: "tenant_admin, tenant_viewer or none.") var role: String?

        func validate() throws {
            if let role, !["tenant_admin", "tenant_viewer", "none"].contains(role) {
                throw ValidationError("--role must be tenant_admin, tenant_viewer or none")
            }
        }

        func run() async throws {
            let path = Operations.GetConsoleRole.Input.Path(slug: tenant, userId: id)
            try await runAdmin {
                let answer: Any?
                switch role {
                case nil:
                    answer = try await admin.api().answer { try await $0.getConsoleRole(path: path).ok.body.json }
                case "none":
                    _ = try await admin.api().answer { try await $0.removeConsoleRole(path: .init(slug: tenant, userId: id)).noContent }
                    answer = ["role": NSNull()]
                case let granted?:
                    let payload = Operations.SetConsoleRole.Input.Body.JsonPayload(role: granted == "tenant_admin" ? .tenantAdmin : .tenantViewer)
                    answer = try await admin.api().answer {
                        try await $0.setConsoleRole(path: .init(slug: tenant, userId: id), body: .json(payload)).ok.body.json
                    }
                }
                if admin.json { Output.json(answer); return }
                let shown = ((answer as? [String: Any])?["role"] as? String) ?? "none"
                Swift.print("user \(id) of tenant \(tenant): console role \(shown)")
            }
        }
    }
}

extension TemplateCommand {
    /// `gatehouse template versions NAME` and `gatehouse template restore NAME VERSION`.
    struct Versions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a template's versions (every save and reset, newest first, the last 50) with author and time.")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Argument(help: "Template name, e.g. email/verify or page/login.") var name: String

        func run() async throws {
            let template = try TemplateCommand.parse(name)
            try await runAdmin {
                let answer = try await admin.api().answer {
                    try await $0.listTemplateVersions(path: .init(slug: tenant, kind: template.kind, name: template.name)).ok.body.json
                }
                if admin.json { Output.json(answer); return }
                let versions = ((answer as? [String: Any])?["versions"] as? [[String: Any]]) ?? []
                Output.table(
                    ["id", "created_at", "author", "state"],
                    versions.map { v in
                        [
                            "\(v["id"] ?? "")", "\(v["created_at"] ?? "")", "\(v["author"] ?? "")",
                            v["body"] is String || v["subject"] is String ? "override" : "default",
                        ]
                    })
            }
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Roll a template back to one of its versions (saved as a new version).")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Argument(help: "Template name, e.g. email/verify or page/login.") var name: String
        @Argument(help: "The version's id (`template versions`).") var version: Int64

        func run() async throws {
            let template = try TemplateCommand.parse(name)
            try await runAdmin {
                let answer = try await admin.api().answer {
                    try await $0.restoreTemplateVersion(path: .init(slug: tenant, kind: template.kind, name: template.name, version: version)).ok.body
                        .json
                }
                if admin.json { Output.json(answer) } else { Swift.print("\(name): version \(version) restored for tenant \(tenant)") }
            }
        }
    }
}
