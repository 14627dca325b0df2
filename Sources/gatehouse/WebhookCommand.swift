import ArgumentParser
import Foundation
import GatehouseAdminAPI

/// `gatehouse webhook add|list|show|update|remove|rotate-secret|test|deliveries|redeliver`: the
/// webhook endpoints of a tenant and their deliveries (docs/contract.md A9).
struct WebhookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook",
        abstract: "Manage a tenant's webhook endpoints: add, list, show, update, remove, rotate-secret, test, deliveries, redeliver.",
        discussion: """
            Events are POSTed to each endpoint signed per the Standard Webhooks specification (webhook-id, \
            webhook-timestamp, webhook-signature). The secret (whsec_…) is shown once, by add and rotate-secret.
            Example: gatehouse webhook add --tenant acme --endpoint-url https://crm.acme.com/hooks/gatehouse --event user.created
            """,
        subcommands: [Add.self, List.self, Show.self, Update.self, Remove.self, RotateSecret.self, Test.self, Deliveries.self, Redeliver.self])

    static let keys = [
        "id", "url", "events", "enabled", "description", "secret", "previous_secret_expires_at", "failing_since", "created_at", "updated_at",
    ]
    static let deliveryColumns = ["id", "event_type", "status", "attempts", "last_response_status", "last_error", "created_at"]

    static func print(_ value: Any?, json: Bool, keys: [String] = keys) {
        if json { Output.json(value) } else if let value = value as? [String: Any] { Output.record(value, keys: keys) }
    }

    static func secretNotice(json: Bool) {
        if !json { FileHandle.standardError.write(Data("Store the secret now: it is not shown again.\n".utf8)) }
    }

    /// `--tenant` and the endpoint's id, shared by every command on one endpoint.
    struct Target: ParsableArguments {
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @Argument(help: "The endpoint's id (whk_…).") var webhook: String

        var path: (slug: String, webhookId: String) { (tenant, webhook) }
    }

    /// Options shared by `add` and `update`.
    struct Fields: ParsableArguments {
        @Option(
            name: .customLong("endpoint-url"),
            help: "Where events are POSTed: https:// (http:// only to an address of [federation] allowed_private_networks).")
        var url: String?
        @Option(name: .customLong("event"), help: "Event type to send (repeatable; replaces the list; none: every type).")
        var events: [String] = []
        @Flag(help: "Send every event type (update: clears the list).") var allEvents = false
        @Option(help: ArgumentHelp("Whether events are sent.", valueName: "true|false")) var enabled: Bool?
        @Option(help: "A note for people (at most 500 characters).") var description: String?

        func validate() throws {
            if allEvents, !events.isEmpty { throw ValidationError("--all-events and --event exclude each other") }
        }

        var body: OpenWebhookFields {
            var body = OpenWebhookFields()
            (body.url, body.enabled, body.description) = (url, enabled, description)
            body.events = allEvents ? [] : (events.isEmpty ? nil : events)
            return body
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an endpoint; prints its secret once.",
            discussion: "Example: gatehouse webhook add --tenant acme --endpoint-url https://crm.acme.com/hooks --event user.created --event user.deleted")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @OptionGroup var fields: Fields

        func validate() throws { if fields.url == nil { throw ValidationError("--endpoint-url is required") } }

        func run() async throws {
            let body = fields.body
            try await runAdmin {
                let created = try await admin.api().answer { try await $0.createWebhook(path: .init(slug: tenant), body: .json(body)).created.body.json }
                WebhookCommand.print(created, json: admin.json)
                WebhookCommand.secretNotice(json: admin.json)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a tenant's endpoints (--limit, --after, --all).")
        @OptionGroup var admin: AdminOptions
        @Option(help: "Tenant slug.") var tenant: String = "default"
        @OptionGroup var paging: Paging

        func run() async throws {
            try await runAdmin {
                let list = try await paging.fetch(try admin.api(), key: "webhooks") { client, limit, after in
                    try await client.listWebhooks(path: .init(slug: tenant), query: .init(limit: limit, after: after)).ok.body.json
                }
                Paging.print(list, key: "webhooks", columns: ["id", "url", "enabled", "events", "description"], json: admin.json)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an endpoint (never its secret).")
        @OptionGroup var admin: AdminOptions
        @OptionGroup var target: Target

        func run() async throws {
            let path = target.path
            try await runAdmin {
                let shown = try await admin.api().answer {
                    try await $0.getWebhook(path: .init(slug: path.slug, webhookId: path.webhookId)).ok.body.json
                }
                WebhookCommand.print(shown, json: admin.json)
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Update an endpoint. Only the options given change; --event replaces the list.",
            discussion: "Example: gatehouse webhook update whk_… --tenant acme --enabled false")
        @OptionGroup var admin: AdminOptions
        @OptionGroup var target: Target
        @OptionGroup var fields: Fields

        func run() async throws {
            let (body, path) = (fields.body, target.path)
            if body.isEmpty { throw ValidationError("nothing to update: pass at least one option (see --help)") }
            try await runAdmin {
                let updated = try await admin.api().answer {
                    try await $0.updateWebhook(path: .init(slug: path.slug, webhookId: path.webhookId), body: .json(body)).ok.body.json
                }
                WebhookCommand.print(updated, json: admin.json)
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an endpoint with its deliveries, pending ones included.")
        @OptionGroup var admin: AdminOptions
        @OptionGroup var target: Target
        @OptionGroup var confirmation: Confirmation

        func run() async throws {
            let path = target.path
            try confirmation.require("webhook endpoint \(path.webhookId) of tenant '\(path.slug)' with its deliveries", typing: path.webhookId)
            try await runAdmin {
                _ = try await admin.api().answer { try await $0.deleteWebhook(path: .init(slug: path.slug, webhookId: path.webhookId)).noContent }
                if !admin.json { Swift.print("removed webhook endpoint \(path.webhookId)") }
            }
        }
    }

    struct RotateSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-secret",
            abstract: "Issue a new secret (printed once); the old one keeps signing beside it during the overlap.",
            discussion: "Example: gatehouse webhook rotate-secret whk_… --tenant acme --overlap 1h")
        @OptionGroup var admin: AdminOptions
        @OptionGroup var target: Target
        @Option(help: ArgumentHelp("How long the old secret keeps signing, e.g. 1h (default 24h; 0 stops it at once).", valueName: "duration"))
        var overlap: Duration?

        func run() async throws {
            let path = target.path
            let body = overlap.map { Operations.RotateWebhookSecret.Input.Body.json(.init(overlapSeconds: $0.seconds)) }
            try await runAdmin {
                let rotated = try await admin.api().answer {
                    try await $0.rotateWebhookSecret(path: .init(slug: path.slug, webhookId: path.webhookId), body: body).ok.body.json
                }
                WebhookCommand.print(rotated, json: admin.json)
                WebhookCommand.secretNotice(json: admin.json)
            }
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue a webhook.test event for the endpoint; follow it with `webhook deliveries`.")
        @OptionGroup var admin: AdminOptions
        @OptionGroup var target: Target

        func run() async throws {
            let path = target.path
            try await runAdmin {
                let queued = try await admin.api().answer {
                    try await $0.testWebhook(path: .init(slug: path.slug, webhookId: path.webhookId)).accepted.body.json
                }
                WebhookCommand.print(queued, json: admin.json, keys: ["id", "event_id"] + WebhookCommand.deliveryColumns.dropFirst())
            }
        }
    }

    struct Deliveries: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the endpoint's deliveries, newest first (--limit, --after, --all).")
        @OptionGroup var admin: AdminOptions
        @OptionGroup var target: Target
        @OptionGroup var paging: Paging

        func run() async throws {
            let path = target.path
            try await runAdmin {
                let list = try await paging.fetch(try admin.api(), key: "deliveries") { client, limit, after in
                    try await client.listWebhookDeliveries(
                        path: .init(slug: path.slug, webhookId: path.webhookId), query: .init(limit: limit, after: after)
                    ).ok.body.json
                }
                Paging.print(list, key: "deliveries", columns: WebhookCommand.deliveryColumns, json: admin.json)
            }
        }
    }

    struct Redeliver: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue a delivery's event again (same body and webhook-id) as a new delivery.")
        @OptionGroup var admin: AdminOptions
        @OptionGroup var target: Target
        @Argument(help: "The delivery's id (whd_…).") var delivery: String

        func run() async throws {
            let path = target.path
            try await runAdmin {
                let queued = try await admin.api().answer {
                    try await $0.redeliverWebhook(path: .init(slug: path.slug, webhookId: path.webhookId, deliveryId: delivery)).accepted.body.json
                }
                WebhookCommand.print(queued, json: admin.json, keys: ["id", "event_id"] + WebhookCommand.deliveryColumns.dropFirst())
            }
        }
    }
}
