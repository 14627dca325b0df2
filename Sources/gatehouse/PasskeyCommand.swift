import ArgumentParser
import Foundation
import GatehouseAdminAPI

extension UserCommand {
    /// `gatehouse user passkeys list|remove`: a user's passkeys through the admin API.
    struct PasskeysCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "passkeys", abstract: "List or remove a user's passkeys (WebAuthn credentials).",
            subcommands: [List.self, Remove.self])

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List a user's passkeys, oldest first.")
            @OptionGroup var admin: AdminOptions
            @Option(help: "Tenant slug.") var tenant: String = "default"
            @Argument(help: "User id (usr_…).") var id: String

            func run() async throws {
                try await runAdmin {
                    let answer = try await admin.api().answer { try await $0.listPasskeys(path: .init(slug: tenant, userId: id)).ok.body.json }
                    if admin.json { Output.json(answer); return }
                    let items = ((answer as? [String: Any])?["items"] as? [[String: Any]]) ?? []
                    if items.isEmpty { Swift.print("user \(id) has no passkeys") }
                    for item in items {
                        let used = (item["last_used_at"] as? String) ?? "never"
                        Swift.print("\(item["id"] ?? "")  \(item["name"] ?? "")  created \(item["created_at"] ?? "")  last used \(used)")
                    }
                }
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Remove a user's passkey (refused when it is their only way to sign in).")
            @OptionGroup var admin: AdminOptions
            @Option(help: "Tenant slug.") var tenant: String = "default"
            @Argument(help: "User id (usr_…).") var id: String
            @Argument(help: "Passkey id (psk_…).") var passkey: String

            func run() async throws {
                try await runAdmin {
                    _ = try await admin.api().answer {
                        try await $0.deletePasskey(path: .init(slug: tenant, userId: id, passkeyId: passkey)).noContent
                    }
                    if !admin.json { Swift.print("removed passkey \(passkey) of user \(id)") }
                }
            }
        }
    }
}
