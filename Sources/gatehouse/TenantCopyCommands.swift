import ArgumentParser
import Foundation
import GatehouseAdminAPI
import GatehouseOutbound
import GatehouseStore

/// Where an archive's passphrase comes from: `--passphrase-file`, the environment variable
/// `GATEHOUSE_ARCHIVE_PASSPHRASE`, or a prompt on an interactive terminal (never an argument: it
/// would show in `ps` and shell history).
struct PassphraseOptions: ParsableArguments {
    @Option(name: .long, help: "File whose first line is the archive passphrase (default: env GATEHOUSE_ARCHIVE_PASSPHRASE, else a prompt).")
    var passphraseFile: String?

    func passphrase(confirm: Bool) throws -> String {
        if let passphraseFile {
            guard let data = FileManager.default.contents(atPath: passphraseFile),
                let line = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).first
            else {
                throw ValidationError("cannot read \(passphraseFile)")
            }
            return String(line)
        }
        if let value = ProcessInfo.processInfo.environment["GATEHOUSE_ARCHIVE_PASSPHRASE"], !value.isEmpty { return value }
        guard isatty(STDIN_FILENO) == 1 else {
            throw ValidationError("no passphrase: pass --passphrase-file or set GATEHOUSE_ARCHIVE_PASSPHRASE")
        }
        guard let first = getpass("Archive passphrase: ").map({ String(cString: $0) }) else { throw ValidationError("no passphrase") }
        if confirm {
            guard let second = getpass("Repeat the passphrase: ").map({ String(cString: $0) }), second == first else {
                throw ValidationError("the passphrases differ")
            }
        }
        return first
    }
}

/// Prints an import or clone report: the new tenant, and every client key that changed.
func printCopyReport(_ report: Any?, json: Bool) {
    if json { Output.json(report); return }
    guard let object = report as? [String: Any], let tenant = object["tenant"] as? [String: Any] else { return }
    Output.record(tenant, keys: ["id", "slug", "name", "environment", "issuer"])
    print("users: \(object["users"] as? Int ?? 0)")
    if let hostname = object["dropped_hostname"] as? String {
        print("note: the copy is not served on \(Output.terminalSafe(hostname)) (set its own hostname with tenant update)")
    }
    let changes = object["client_key_changes"] as? [[String: Any]] ?? []
    if changes.isEmpty {
        print("client keys: unchanged")
    } else {
        print("new client keys (the secrets are shown only now):")
        Output.table(
            ["name", "previous client id", "client id", "client secret"],
            changes.map { change in
                [
                    Output.describe(change["name"] ?? ""), Output.describe(change["previous_client_id"] ?? ""),
                    Output.describe(change["client_id"] ?? ""), (change["client_secret"] as? String) ?? "-",
                ]
            })
    }
}

extension TenantCommand {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a tenant to one file, encrypted under a passphrase.",
            discussion: """
                The file holds the tenant's settings and database: users (with password hashes and second factors), \
                clients, upstream providers, templates and signing keys, their private parts sealed under the passphrase \
                (Argon2id, XChaCha20-Poly1305). Sessions and tokens are not in it, and every grant is marked revoked, so no \
                token of the source works where the file is imported. The server keeps serving the tenant meanwhile.
                Example: gatehouse tenant export acme --out acme.gatehouse-tenant --passphrase-file pass.txt
                """)
        @OptionGroup var admin: AdminOptions
        @Argument(help: "Tenant slug.") var slug: String
        @Option(help: "File to write (created with mode 0600; an existing file is refused).") var out: String
        @OptionGroup var secret: PassphraseOptions

        func run() async throws {
            let passphrase = try secret.passphrase(confirm: true)
            guard !FileManager.default.fileExists(atPath: out) else { throw ValidationError("\(out) exists; choose a new file") }
            try await runAdmin {
                let body = Array(try JSONSerialization.data(withJSONObject: ["passphrase": passphrase]))
                let response = try await admin.client().send(
                    "POST", adminPath("tenants", slug, "export"),
                    headers: [("Content-Type", "application/json")], body: body,
                    http: AdminClient.fileHTTP)
                guard FileManager.default.createFile(atPath: out, contents: Data(response.body), attributes: [.posixPermissions: 0o600]) else {
                    throw AdminError(status: nil, detail: "cannot write \(out)")
                }
                if admin.json {
                    Output.json(["tenant": slug, "file": out, "bytes": response.body.count])
                } else {
                    Swift.print("tenant \(slug) written to \(out) (\(response.body.count) bytes); keep the passphrase apart from the file")
                }
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a tenant from a file made by 'tenant export'.",
            discussion: """
                Users keep their ids, passwords and second factors; clients keep their keys unless a key already exists \
                in this instance (importing into the instance it came from): then new keys are issued and printed once. \
                The signing keys come along. Sessions and tokens of the source do not work at the copy.
                Example: gatehouse tenant import acme.gatehouse-tenant --slug acme-staging --passphrase-file pass.txt
                """)
        @OptionGroup var admin: AdminOptions
        @Argument(help: "The archive file.") var file: String
        @Option(help: "Slug of the new tenant (default: the exported tenant's).") var slug: String?
        @OptionGroup var secret: PassphraseOptions

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
            let passphrase = try secret.passphrase(confirm: false)
            try await runAdmin {
                let response = try await admin.client().send(
                    "POST", adminPath("tenant-imports", query: slug.map { [("slug", $0)] } ?? []),
                    headers: [
                        ("Content-Type", "application/octet-stream"), ("Accept", "application/json"),
                        ("Gatehouse-Archive-Passphrase", passphrase),
                    ],
                    body: Array(data), http: AdminClient.fileHTTP)
                printCopyReport(try? JSONSerialization.jsonObject(with: Data(response.body)), json: admin.json)
            }
        }
    }

    struct Clone: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a tenant within this instance, e.g. production into staging.",
            discussion: """
                The copy gets the settings, templates, upstream providers, users and clients (every client with new keys, \
                printed once), and signing keys of its own; no sessions or tokens, and not the source's own host. \
                --scrub-pii replaces every email (<user id>@example.invalid) and name, and drops passwords, second factors \
                and upstream identities; no value of the source remains in the copy's file.
                Example: gatehouse tenant clone acme --to acme-staging --scrub-pii
                """)
        @OptionGroup var admin: AdminOptions
        @Argument(help: "Slug of the tenant to copy.") var slug: String
        @Option(help: "Slug of the new tenant.") var to: String
        @Flag(help: "Replace emails and names; drop passwords, second factors and upstream identities.") var scrubPii = false

        func run() async throws {
            try await runAdmin {
                let report = try await admin.api().answer {
                    try await $0.cloneTenant(path: .init(slug: slug), body: .json(.init(to: to, scrubPii: scrubPii))).created.body.json
                }
                printCopyReport(report, json: admin.json)
            }
        }
    }
}
