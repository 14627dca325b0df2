import ArgumentParser
import Foundation
import GatehouseAdminAPI

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "List and rotate a tenant's token signing keys.",
        discussion: """
            A key is `next` (published in the JWKS, not yet signing), `active` (signing), or `retired` (published \
            until every token it signed has expired). Private keys never leave the server.
            """,
        subcommands: [List.self, Rotate.self])

    static let columns = ["kid", "algorithm", "status", "created_at", "activates_at", "retires_at", "expires_at"]

    static func print(_ result: Any?, json: Bool) {
        if json { Output.json(result); return }
        let keys = (result as? [String: Any])?["keys"] as? [[String: Any]] ?? []
        Output.table(columns, keys.map { k in columns.map { Output.describe(k[$0] ?? "") } })
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List signing keys that are still published, with their schedule.")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"

        func run() async throws {
            try await runAdmin {
                KeysCommand.print(try await admin.api().answer { try await $0.listKeys(path: .init(slug: tenant)).ok.body.json }, json: admin.json)
            }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a key rotation: publish a new key per algorithm that starts signing after the pre-publication window.",
            discussion: """
                The current key keeps signing until the new one activates, then stays published until the tokens it \
                signed have expired. Rotating again while a new key is pending returns the pending key.
                Example: gatehouse keys rotate --tenant acme --algorithm ES256
                """)
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Option(help: "Algorithm to rotate (repeatable): EdDSA, ES256 or RS256; must be enabled for the tenant (default: every enabled algorithm).")
        var algorithm: [String] = []

        func run() async throws {
            let body = algorithm.isEmpty ? nil : Operations.RotateKeys.Input.Body.json(.init(algorithms: algorithm.flatMap(commaSeparated)))
            try await runAdmin {
                let keys = try await admin.api().answer { try await $0.rotateKeys(path: .init(slug: tenant), body: body).ok.body.json }
                KeysCommand.print(keys, json: admin.json)
            }
        }
    }
}
