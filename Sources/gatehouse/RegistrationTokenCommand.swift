import ArgumentParser
import Foundation
import GatehouseAdminAPI

extension ClientCommand {
    /// `gatehouse client registration-token create|list|revoke`: initial access tokens of dynamic
    /// client registration (RFC 7591 §3).
    struct RegistrationTokenCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "registration-token",
            abstract: "Make, list and revoke initial access tokens for dynamic client registration (RFC 7591).",
            discussion: """
                With the tenant's dynamic_client_registration set to token (gatehouse tenant update --dynamic-client-registration \
                token), a client registers itself at {issuer}/register with one of these tokens as a bearer token.
                """,
            subcommands: [Create.self, List.self, Revoke.self])

        static let keys = ["id", "description", "created_at", "expires_at", "max_uses", "uses", "token"]

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Make an initial access token; it is shown once.",
                discussion: "Example: gatehouse client registration-token create --tenant acme --expires-in 7d --max-uses 10")
            @OptionGroup var admin: AdminOptions
            @Option(help: "Tenant slug.") var tenant: String = "default"
            @Option(help: "What the token is for.") var description: String?
            @Option(help: ArgumentHelp("Lifetime, e.g. 7d (default: no expiry).", valueName: "duration")) var expiresIn: Duration?
            @Option(help: "Registrations it allows (default: any number).") var maxUses: Int?

            func run() async throws {
                let body = Components.Schemas.RegistrationTokenCreate(description: description, expiresIn: expiresIn?.seconds, maxUses: maxUses)
                try await runAdmin {
                    let made = try await admin.api().answer {
                        try await $0.createRegistrationToken(path: .init(slug: tenant), body: .json(body)).created.body.json
                    }
                    if admin.json { Output.json(made) } else if let made = made as? [String: Any] { Output.record(made, keys: keys) }
                    if !admin.json { FileHandle.standardError.write(Data("Store the token now: it is not shown again.\n".utf8)) }
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List initial access tokens (without the tokens), newest first.")
            @OptionGroup var admin: AdminOptions
            @Option(help: "Tenant slug.") var tenant: String = "default"

            func run() async throws {
                try await runAdmin {
                    let list = try await admin.api().answer { try await $0.listRegistrationTokens(path: .init(slug: tenant)).ok.body.json }
                    if admin.json { Output.json(list); return }
                    let tokens = ((list as? [String: Any])?["registration_tokens"] as? [[String: Any]]) ?? []
                    let columns = ["id", "description", "uses", "max_uses", "expires_at"]
                    Output.table(columns, tokens.map { token in columns.map { token[$0].map(Output.describe) ?? "" } })
                }
            }
        }

        struct Revoke: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Revoke an initial access token; clients registered with it stay.")
            @OptionGroup var admin: AdminOptions
            @Option(help: "Tenant slug.") var tenant: String = "default"
            @Argument(help: "Token id (rat_…).") var id: String

            func run() async throws {
                try await runAdmin {
                    _ = try await admin.api().answer { try await $0.deleteRegistrationToken(path: .init(slug: tenant, tokenId: id)).noContent }
                    if !admin.json { Swift.print("revoked registration token \(id)") }
                }
            }
        }
    }
}
