import ArgumentParser
import Foundation
import GatehouseAdminAPI

extension OrgCommand {
    static let invitationKeys = [
        "id", "email", "role", "status", "organization_id", "invited_by", "created_at", "expires_at", "accepted_at", "accepted_by",
        "revoked_at",
    ]

    static func printInvitation(_ invitation: Any?, json: Bool) {
        if json { Output.json(invitation) } else if let invitation = invitation as? [String: Any] { Output.record(invitation, keys: invitationKeys) }
    }

    /// `gatehouse org invite ORG --email E --role R`.
    struct Invite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Invite an address into an organization with a role (single use, expiring; only that verified address accepts).",
            discussion: "Example: gatehouse org invite customer-a --email bob@customera.com --role admin --tenant saas")
        @OptionGroup var admin: AdminOptions
        @OptionGroup var target: OrganizationTarget
        @Option(help: "The address to invite.") var email: String
        @Option(help: "Role name.") var role: String = "member"
        @Option(help: "Lifetime in seconds (60 to 2592000; default 7 days).") var expiresIn: Int?

        func run() async throws {
            let body = Components.Schemas.InvitationCreate(email: email, role: role, expiresIn: expiresIn)
            try await runAdmin {
                let invitation = try await admin.api().answer {
                    try await $0.createOrganizationInvitation(path: .init(slug: target.tenant, org: target.org), body: .json(body)).created.body.json
                }
                OrgCommand.printInvitation(invitation, json: admin.json)
            }
        }
    }

    /// `gatehouse org invitations ORG`.
    struct Invitations: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List an organization's invitations, newest first, a page at a time (--limit, --after, --all).")
        @OptionGroup var admin: AdminOptions
        @OptionGroup var target: OrganizationTarget
        @OptionGroup var paging: Paging

        func run() async throws {
            try await runAdmin {
                let list = try await paging.fetch(try admin.api(), key: "invitations") { client, limit, after in
                    try await client.listOrganizationInvitations(path: .init(slug: target.tenant, org: target.org), query: .init(limit: limit, after: after))
                        .ok.body.json
                }
                Paging.print(list, key: "invitations", columns: ["id", "email", "role", "status", "expires_at"], json: admin.json)
            }
        }
    }

    /// `gatehouse org revoke ORG INVITATION`.
    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a pending invitation: its link stops working at once.")
        @OptionGroup var admin: AdminOptions
        @OptionGroup var target: OrganizationTarget
        @Argument(help: "Invitation id (inv_…).") var invitation: String

        func run() async throws {
            try await runAdmin {
                let revoked = try await admin.api().answer {
                    try await $0.revokeOrganizationInvitation(path: .init(slug: target.tenant, org: target.org, invitationId: invitation)).ok.body.json
                }
                OrgCommand.printInvitation(revoked, json: admin.json)
            }
        }
    }

    /// `gatehouse org resend ORG INVITATION`.
    struct Resend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give a pending or expired invitation a new link and expiry (the old link stops working).")
        @OptionGroup var admin: AdminOptions
        @OptionGroup var target: OrganizationTarget
        @Argument(help: "Invitation id (inv_…).") var invitation: String
        @Option(help: "Lifetime in seconds (60 to 2592000; default 7 days).") var expiresIn: Int?

        func run() async throws {
            let body = Components.Schemas.InvitationResend(expiresIn: expiresIn)
            try await runAdmin {
                let renewed = try await admin.api().answer {
                    try await $0.resendOrganizationInvitation(path: .init(slug: target.tenant, org: target.org, invitationId: invitation), body: .json(body))
                        .ok.body.json
                }
                OrgCommand.printInvitation(renewed, json: admin.json)
            }
        }
    }
}
