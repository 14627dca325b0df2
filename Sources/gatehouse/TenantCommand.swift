import ArgumentParser
import Foundation

/// Durations: `90s`, `15m`, `8h`, `30d`, or plain seconds.
struct Duration: ExpressibleByArgument {
    let seconds: Int

    init?(argument: String) {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        if let unit = argument.last, let factor = units[unit], let value = Int(argument.dropLast()), value >= 0 {
            seconds = value * factor
        } else if let value = Int(argument), value >= 0 {
            seconds = value
        } else {
            return nil
        }
    }
}

struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant", abstract: "Create, list, show, update and delete tenants.",
        subcommands: [Create.self, List.self, Show.self, Update.self, Delete.self])

    static let columns = ["slug", "name", "environment", "issuer"]

    static func print(_ tenant: Any?, json: Bool) {
        if json { Output.json(tenant); return }
        guard var object = tenant as? [String: Any] else { return }
        if let settings = object.removeValue(forKey: "settings") as? [String: Any] {
            Output.record(object, keys: ["id", "slug", "name", "environment", "issuer", "created_at"])
            Output.record(settings, keys: settings.keys.sorted())
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a tenant.")
        @OptionGroup var admin: AdminOptions
        @Argument(help: "Slug: 2–63 characters of a-z, 0-9 and '-'.") var slug: String
        @Option(help: "Display name (default: the slug).") var name: String?
        @Option(help: "live, test or dev.") var environment: String = "dev"

        func run() async throws {
            try await runAdmin {
                let tenant = try await admin.client().call("POST", "/admin/v1/tenants",
                                                           body: ["slug": slug, "name": name ?? slug, "environment": environment])
                TenantCommand.print(tenant, json: admin.json)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tenants.")
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            try await runAdmin {
                let result = try await admin.client().call("GET", "/admin/v1/tenants")
                if admin.json { Output.json(result); return }
                let tenants = (result as? [String: Any])?["tenants"] as? [[String: Any]] ?? []
                Output.table(TenantCommand.columns, tenants.map { t in TenantCommand.columns.map { Output.describe(t[$0] ?? "") } })
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a tenant and its settings.")
        @OptionGroup var admin: AdminOptions
        @Argument var slug: String

        func run() async throws {
            try await runAdmin { TenantCommand.print(try await admin.client().call("GET", "/admin/v1/tenants/\(slug)"), json: admin.json) }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Update a tenant's name and settings.",
            discussion: "Example: gatehouse tenant update acme --mfa-policy required --session-duration 8h --allowed-origins \"https://app.acme.com\"")
        @OptionGroup var admin: AdminOptions
        @Argument var slug: String
        @Option(help: "Display name.") var name: String?
        @Option(help: "none, optional or required.") var mfaPolicy: String?
        @Option(help: "Browser session and refresh token lifetime, e.g. 8h.") var sessionDuration: Duration?
        @Option(help: "Access token lifetime, e.g. 15m.") var accessTokenTtl: Duration?
        @Option(help: "Refresh token lifetime, e.g. 30d.") var refreshTokenTtl: Duration?
        @Option(help: "Comma-separated CORS origins (empty string clears).") var allowedOrigins: String?

        func run() async throws {
            var settings: [String: Any] = [:]
            if let mfaPolicy { settings["mfa_policy"] = mfaPolicy }
            if let sessionDuration {
                settings["session_ttl"] = sessionDuration.seconds
                settings["refresh_token_ttl"] = sessionDuration.seconds
            }
            if let accessTokenTtl { settings["access_token_ttl"] = accessTokenTtl.seconds }
            if let refreshTokenTtl { settings["refresh_token_ttl"] = refreshTokenTtl.seconds }
            if let allowedOrigins {
                settings["allowed_origins"] = allowedOrigins.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
            var body: [String: Any] = [:]
            if let name { body["name"] = name }
            if !settings.isEmpty { body["settings"] = settings }
            try await runAdmin {
                TenantCommand.print(try await admin.client().call("PATCH", "/admin/v1/tenants/\(slug)", body: body), json: admin.json)
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a tenant with all its data.")
        @OptionGroup var admin: AdminOptions
        @Argument var slug: String

        func run() async throws {
            try await runAdmin {
                _ = try await admin.client().call("DELETE", "/admin/v1/tenants/\(slug)")
                if !admin.json { Swift.print("deleted tenant \(slug)") }
            }
        }
    }
}
