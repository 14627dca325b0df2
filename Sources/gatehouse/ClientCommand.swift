import ArgumentParser
import Foundation

struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client", abstract: "Create, list, show and delete OAuth clients of a tenant.",
        subcommands: [Create.self, List.self, Show.self, Delete.self])

    static let keys = ["client_id", "client_secret", "name", "type", "redirect_uris", "post_logout_redirect_uris", "grant_types",
                       "first_party", "token_endpoint_auth_method", "created_at"]

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a client. The secret key of a confidential client is shown once.")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Option(help: "Display name.") var name: String
        @Option(help: "public or confidential.") var type: String = "confidential"
        @Option(help: "Redirect URI (repeatable).") var redirectUri: [String] = []
        @Option(help: "Post-logout redirect URI (repeatable).") var postLogoutRedirectUri: [String] = []
        @Option(help: "Grant type (repeatable): authorization_code, refresh_token, client_credentials.") var grantType: [String] = []
        @Flag(help: "First-party client: no consent page.") var firstParty = false

        func run() async throws {
            var body: [String: Any] = ["name": name, "type": type, "redirect_uris": redirectUri,
                                       "post_logout_redirect_uris": postLogoutRedirectUri, "first_party": firstParty]
            if !grantType.isEmpty { body["grant_types"] = grantType }
            try await runAdmin {
                let client = try await admin.client().call("POST", "/admin/v1/tenants/\(tenant)/clients", body: body)
                if admin.json { Output.json(client) } else if let client = client as? [String: Any] { Output.record(client, keys: ClientCommand.keys) }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List clients.")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"

        func run() async throws {
            let columns = ["client_id", "name", "type", "grant_types"]
            try await runAdmin {
                let result = try await admin.client().call("GET", "/admin/v1/tenants/\(tenant)/clients")
                if admin.json { Output.json(result); return }
                let clients = (result as? [String: Any])?["clients"] as? [[String: Any]] ?? []
                Output.table(columns, clients.map { c in columns.map { Output.describe(c[$0] ?? "") } })
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a client.")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Argument(help: "client_id (pk_…).") var clientID: String

        func run() async throws {
            try await runAdmin {
                let client = try await admin.client().call("GET", "/admin/v1/tenants/\(tenant)/clients/\(clientID)")
                if admin.json { Output.json(client) } else if let client = client as? [String: Any] { Output.record(client, keys: ClientCommand.keys) }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a client and revoke its grants.")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Argument(help: "client_id (pk_…).") var clientID: String

        func run() async throws {
            try await runAdmin {
                _ = try await admin.client().call("DELETE", "/admin/v1/tenants/\(tenant)/clients/\(clientID)")
                if !admin.json { print("deleted client \(clientID)") }
            }
        }
    }
}
