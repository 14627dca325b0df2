import ArgumentParser
import Foundation
import GatehouseAdminAPI

/// `gatehouse audit list|export|verify`: a tenant's audit log (docs/contract.md A9).
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "List, export and verify a tenant's audit log (a SHA-256 hash chain).",
        subcommands: [List.self, Export.self, Verify.self])

    /// The filters `list` and `export` share.
    struct Filters: ParsableArguments {
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Option(help: "Only entries of this type, e.g. user.created.") var type: String?
        @Option(help: "Only entries concerning this user (usr_…).") var user: String?
        @Option(help: "Only entries of this actor (usr_… or a client_id).") var actor: String?
        @Option(help: "Only entries concerning this organization (org_…).") var organization: String?
        @Option(help: "Only entries at or after this RFC 3339 time.") var since: String?
        @Option(help: "Only entries before this RFC 3339 time.") var until: String?

        func validate() throws {
            for (name, value) in [("since", since), ("until", until)] where value != nil {
                if time(value) == nil { throw ValidationError("--\(name) must be an RFC 3339 time such as 2026-12-06T10:00:00Z") }
            }
        }

        func time(_ raw: String?) -> Date? { raw.flatMap { try? Date($0, strategy: .iso8601) } }

        func page(_ client: Client, limit: Int?, after: String?) async throws -> Components.Schemas.AuditEventList {
            try await client.listAuditEvents(
                path: .init(slug: tenant),
                query: .init(
                    limit: limit, after: after, since: time(since), until: time(until), actor: actor, _type: type, userId: user,
                    organizationId: organization)
            ).ok.body.json
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List audit entries, newest first, a page at a time (--limit, --after, --all).",
            discussion: "Example: gatehouse audit list --tenant acme --type user.sign_in_failed --since 2026-12-01T00:00:00Z")
        @OptionGroup var admin: AdminOptions
        @OptionGroup var filters: Filters
        @OptionGroup var paging: Paging

        func run() async throws {
            try await runAdmin {
                let list = try await paging.fetch(try admin.api(), key: "events") { client, limit, after in
                    try await filters.page(client, limit: limit, after: after)
                }
                Paging.print(list, key: "events", columns: ["sequence", "occurred_at", "type", "target_id", "ip"], json: admin.json)
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write every matching entry to standard output as JSON Lines, newest first.",
            discussion: "Example: gatehouse audit export --tenant acme > acme-audit.jsonl")
        @OptionGroup var admin: AdminOptions
        @OptionGroup var filters: Filters

        func run() async throws {
            try await runAdmin {
                let api = try admin.api()
                var cursor: String?
                repeat {
                    let (typed, answer) = try await api.call { [cursor] in try await filters.page($0, limit: 1000, after: cursor) }
                    for event in (answer as? [String: Any])?["events"] as? [[String: Any]] ?? [] {
                        let line = try JSONSerialization.data(withJSONObject: event, options: [.sortedKeys, .withoutEscapingSlashes])
                        FileHandle.standardOutput.write(line + Data("\n".utf8))
                    }
                    cursor = typed.nextCursor
                } while cursor != nil
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the hash chain: prints OK and the count, or the first modified, inserted or deleted entry (exit 1).")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"

        func run() async throws {
            var intact = true
            try await runAdmin {
                let (result, answer) = try await admin.api().call { try await $0.verifyAuditLog(path: .init(slug: tenant)).ok.body.json }
                intact = result.ok
                if admin.json {
                    Output.json(answer)
                } else if let problem = result.problem {
                    Swift.print(
                        "FAILED: entry \(problem.sequence)\(problem.id.map { " (\($0))" } ?? "") \(problem.kind): \(problem.detail); "
                            + "\(result.checked) entries verified before it")
                } else {
                    Swift.print("OK: \(result.checked) entries verified")
                }
            }
            if !intact { throw ExitCode.failure }
        }
    }
}
