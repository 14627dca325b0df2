import Foundation
import GatehouseCore
import GatehouseStore
import HTTPTypes
import Hummingbird

/// The account console's organization pages (docs/contract.md A8):
///
/// - `GET {issuer}/account/organizations`: the user's organizations (name, slug, role), a "Leave"
///   form for each, a link to the members page of those the user owns or administers;
/// - `POST …/organizations/{org}/leave`: ends the user's membership (refused for the last owner);
/// - `GET …/organizations/{org}?after=&limit=`: the members (email, name, role), 25 a page by
///   default (`limit` 1–100), keyset-paginated by user id, for owners and admins;
/// - `POST …/organizations/{org}/members/{user}/role` (`role`) and `…/members/{user}/remove`;
/// - invitations: `AccountOrganizationsController+Invitations`.
///
/// `{org}` is the organization's id or slug. Who may change whom is `MembershipManagement`'s;
/// an organization the user is not a member of answers 404, as an unknown one does. Every form
/// carries the console's CSRF token; changing or removing another member is a sensitive change and
/// needs a recent sign-in (`AccountController.stepUp`), leaving does not.
struct AccountOrganizationsController {
    let services: Services

    var console: AccountController { AccountController(services: services) }

    func register(on group: RouterGroup<TenantRequestContext>) {
        group.get("account/organizations") { request, context in try await self.list(request, context) }
        group.get("account/organizations/:org") { request, context in try await self.members(request, context) }
        group.post("account/organizations/:org/leave") { request, context in try await self.leave(request, context) }
        group.post("account/organizations/:org/members/:user/role") { request, context in
            try await self.changeRole(request, context)
        }
        group.post("account/organizations/:org/members/:user/remove") { request, context in
            try await self.remove(request, context)
        }
        registerInvitationRoutes(on: group)
    }

    func path(_ context: TenantRequestContext) -> String { "\(console.consolePath(context))/organizations" }

    static let notices: [String: (text: String, error: Bool)] = [
        "left": ("You left the organization.", false),
        "role-changed": ("The member's role was changed.", false),
        "removed": ("The member was removed from the organization.", false),
        "reauthenticated": ("You signed in again. Make your change once more.", false),
        "last-owner": ("An organization always keeps one owner. Make another member an owner first.", true),
        "owner-only": (MembershipManagement.Refusal.ownerOnly.message, true),
        "unknown-role": ("There is no such role in this organization.", true),
    ]

    /// The signed-in console user, or nil (the console signs in at `/account`).
    func signedIn(_ request: Request, _ context: TenantRequestContext) async throws -> (AccessTokenClaims, User)? {
        let client = try await console.consoleClient(context)
        guard let claims = try await console.consoleToken(request, context, client: client),
            let id = UserID(rawValue: claims.sub), let user = try await context.database.user(id: id), !user.disabled
        else { return nil }
        return (claims, user)
    }

    func selfService(_ user: UserID, _ context: TenantRequestContext) -> OrganizationSelfService {
        OrganizationSelfService(database: context.database, user: user, now: services.clock.now, services: services, ip: context.remoteAddress)
    }

    func notice(_ request: Request, into values: inout [String: Any]) {
        if let key = request.queryParameters["notice"], let notice = Self.notices[key] ?? Self.invitationNotices[key] {
            values[notice.error ? "error" : "notice"] = notice.text
        }
    }

    func list(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        guard let (claims, user) = try await signedIn(request, context) else { return Responses.redirect(to: console.consolePath(context)) }
        let csrf = services.csrfToken(binding: claims.jti, purpose: "account")
        let base = path(context)
        let invitations = try await pendingInvitations(for: user, csrf: csrf, context)
        let entries = try await selfService(user.id, context).organizations()
        var values: [String: Any] = [
            "organizations": entries.map { entry -> [String: Any] in
                let id = entry.organization.id.rawValue
                var row: [String: Any] = [
                    "id": id, "name": entry.organization.name, "slug": entry.organization.slug, "role": entry.membership.role,
                    "leave_action": "\(base)/\(id)/leave", "csrf_token": csrf,
                ]
                if entry.manages { row["manage_url"] = "\(base)/\(id)" }
                return row
            },
            "invitations": invitations, "has_invitations": !invitations.isEmpty,
            "account_url": console.consolePath(context),
        ]
        notice(request, into: &values)
        return Responses.html(services.pages.render("account_organizations", chrome: console.chrome("Your organizations", context), values: values))
    }

    func members(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        guard let (claims, user) = try await signedIn(request, context) else { return Responses.redirect(to: console.consolePath(context)) }
        let service = selfService(user.id, context)
        let query = request.queryParameters
        var limit = 25
        if let raw = query["limit"] {
            guard let value = Int(raw), (1...100).contains(value) else { throw OAuthError.invalidRequest("limit must be 1 to 100") }
            limit = value
        }
        var after: UserID?
        if let raw = query["after"] {
            guard let id = UserID(rawValue: raw) else { throw OAuthError.invalidRequest("after is not a member cursor") }
            after = id
        }
        let entry: OrganizationSelfService.Entry
        do { entry = try await service.managed(context.parameters.get("org")) } catch let failure as OrganizationSelfService.Failure {
            return refusal(failure, context)
        }
        let fetched = try await service.members(of: entry, limit: limit + 1, after: after)
        let rows = fetched.prefix(limit)
        let roles = try await service.assignableRoles(in: entry)
        let csrf = services.csrfToken(binding: claims.jti, purpose: "account")
        let base = "\(path(context))/\(entry.organization.id.rawValue)"
        let actor = entry.membership.role
        var values: [String: Any] = [
            "organization": ["id": entry.organization.id.rawValue, "name": entry.organization.name, "slug": entry.organization.slug],
            "your_role": actor,
            "members": rows.map { row -> [String: Any] in
                let target = row.membership.role
                let userID = row.membership.userID.rawValue
                let changeable = MembershipManagement.refusalToChangeRole(actor: actor, from: target, to: target) == nil
                var member: [String: Any] = [
                    "user_id": userID, "email": row.user?.email ?? "", "name": row.user?.name ?? "", "role": target,
                    "is_you": row.membership.userID == user.id, "csrf_token": csrf,
                    "can_change": changeable, "role_action": "\(base)/members/\(userID)/role",
                    "can_remove": MembershipManagement.refusalToRemove(actor: actor, target: target) == nil,
                    "remove_action": "\(base)/members/\(userID)/remove",
                    "roles": roles.map { ["name": $0, "selected": $0 == target] as [String: Any] },
                ]
                if row.user == nil { member["email"] = "(deleted user)" }
                return member
            },
            "back_url": path(context),
        ]
        values.merge(try await invitationValues(entry, roles: roles, csrf: csrf, context)) { _, new in new }
        if fetched.count > limit, let last = rows.last {
            values["next_url"] = "\(base)?after=\(last.membership.userID.rawValue)&limit=\(limit)"
        }
        if after != nil { values["first_url"] = limit == 25 ? base : "\(base)?limit=\(limit)" }
        notice(request, into: &values)
        return Responses.html(
            services.pages.render(
                "account_organization_members", chrome: console.chrome(entry.organization.name, context), values: values))
    }

    func leave(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let claims = try await console.authorizedForm(request, context)
        guard let user = UserID(rawValue: claims.sub) else { throw OAuthError.invalidRequest("You are no longer signed in.") }
        do {
            _ = try await selfService(user, context).leave(context.parameters.get("org"))
            return Responses.redirect(to: "\(path(context))?notice=left")
        } catch let failure as OrganizationSelfService.Failure {
            if failure == .lastOwner { return Responses.redirect(to: "\(path(context))?notice=last-owner") }
            return refusal(failure, context)
        }
    }

    func changeRole(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (claims, form) = try await console.authorizedFormWithFields(request, context)
        return try await manage(claims, context) { service, org in
            _ = try await service.changeRole(org, member: context.parameters.get("user"), to: form["role"] ?? "")
            return "role-changed"
        }
    }

    func remove(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let claims = try await console.authorizedForm(request, context)
        return try await manage(claims, context) { service, org in
            try await service.remove(org, member: context.parameters.get("user"))
            return "removed"
        }
    }

    /// Runs a member change of an owner or admin after the step-up check; back to the members page
    /// with a notice, or to the organizations page when the user no longer manages it.
    func manage(
        _ claims: AccessTokenClaims, _ context: TenantRequestContext,
        _ change: (OrganizationSelfService, String?) async throws -> String
    ) async throws -> Response {
        guard let user = UserID(rawValue: claims.sub) else { throw OAuthError.invalidRequest("You are no longer signed in.") }
        let service = selfService(user, context)
        let org = context.parameters.get("org")
        let entry: OrganizationSelfService.Entry
        do { entry = try await service.managed(org) } catch let failure as OrganizationSelfService.Failure {
            return refusal(failure, context)
        }
        if let reauthenticate = try await console.stepUp(claims, for: .organizations, context) { return reauthenticate }
        let back = "\(path(context))/\(entry.organization.id.rawValue)"
        do {
            let notice = try await change(service, entry.organization.id.rawValue)
            let stillManages = (try? await service.managed(entry.organization.id.rawValue)) != nil
            return Responses.redirect(to: "\(stillManages ? back : path(context))?notice=\(notice)")
        } catch let failure as OrganizationInvitations.Failure {
            guard let key = Self.noticeKey(failure) else { return invitationRefusal(failure, context) }
            return Responses.redirect(to: "\(back)?notice=\(key)")
        } catch let failure as OrganizationSelfService.Failure {
            switch failure {
            case .lastOwner: return Responses.redirect(to: "\(back)?notice=last-owner")
            case .refused(.ownerOnly): return Responses.redirect(to: "\(back)?notice=owner-only")
            case .unknownRole: return Responses.redirect(to: "\(back)?notice=unknown-role")
            default: return refusal(failure, context)
            }
        }
    }

    /// A refusal as a page: 404 for an organization (or member) the user cannot see, 403 for a
    /// member who does not manage it, 409 for the last owner.
    func refusal(_ failure: OrganizationSelfService.Failure, _ context: TenantRequestContext) -> Response {
        let (status, heading, message): (HTTPResponse.Status, String, String) =
            switch failure {
            case .notFound: (.notFound, "Organization not found", "There is no such organization among yours.")
            case .refused(let refusal): (.forbidden, "Not allowed", refusal.message)
            case .lastOwner: (.conflict, "Not allowed", Self.notices["last-owner"]!.text)
            case .unknownRole: (.badRequest, "Not allowed", Self.notices["unknown-role"]!.text)
            }
        return Responses.html(
            services.pages.render(
                "message", chrome: console.chrome(heading, context),
                values: [
                    "heading": heading, "message": message, "error": true, "link_url": path(context),
                    "link_text": "Back to your organizations",
                ]), status: status)
    }
}
