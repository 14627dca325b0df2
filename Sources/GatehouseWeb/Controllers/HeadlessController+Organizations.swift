import Foundation
import GatehouseCore
import GatehouseStore
import HTTPTypes
import Hummingbird

/// The headless organization routes (docs/contract.md A8), with the user's access token
/// (`Authorization: Bearer …`, issued to the calling client) like `/v1/me`:
///
/// - `GET /v1/organizations`: `{"organizations": [{id, name, slug, role, public_metadata, joined_at}]}`;
/// - `GET /v1/organizations/{org}/members?limit=&after=`: `{"members": [...], "next_cursor"}`
///   (owners and admins; `limit` 1–1000, default 100; the cursor is a user id);
/// - `PATCH /v1/organizations/{org}/members/{user}` `{"role"}`: the member after the change;
/// - `DELETE /v1/organizations/{org}/members/{user}`: 204 (owners and admins);
/// - `DELETE /v1/organizations/{org}/membership`: leaves, 204.
///
/// `{org}` is the id or the slug. Errors are RFC 6749 §5.2 JSON: 404 `not_found` for an
/// organization the user is not a member of (as for one that does not exist) or an unknown member,
/// 403 `access_denied` for what the user's role does not allow (`MembershipManagement`), 409
/// `conflict` when the organization would lose its last owner, 400 `invalid_request` for an unknown
/// role or a malformed body, 401 `invalid_token` without a valid token of an active user.
extension HeadlessController {
    func registerOrganizationRoutes(_ group: RouterGroup<HeadlessRequestContext>) {
        group.get("organizations") { request, context in try await self.listOrganizations(request, context) }
        group.get("organizations/:org/members") { request, context in try await self.listMembers(request, context) }
        group.patch("organizations/:org/members/:user") { request, context in try await self.changeMemberRole(request, context) }
        group.delete("organizations/:org/members/:user") { request, context in
            try await self.userOrganizations(request, context).remove(context.parameters.get("org"), member: context.parameters.get("user"))
            return Response(status: .noContent, headers: [.cacheControl: "no-store"])
        }
        group.delete("organizations/:org/membership") { request, context in
            _ = try await self.userOrganizations(request, context).leave(context.parameters.get("org"))
            return Response(status: .noContent, headers: [.cacheControl: "no-store"])
        }
        for path in ["organizations", "organizations/:org/members", "organizations/:org/members/:user", "organizations/:org/membership"] {
            group.on(RouterPath(stringLiteral: path), method: .options) { _, _ in Response(status: .noContent) }
        }
    }

    /// A refused organization request in the headless error shape.
    struct OrganizationRefusal: HTTPResponseError {
        let failure: OrganizationSelfService.Failure

        var status: HTTPResponse.Status {
            switch failure {
            case .notFound: .notFound
            case .refused: .forbidden
            case .lastOwner: .conflict
            case .unknownRole: .badRequest
            }
        }

        func response(from request: Request, context: some RequestContext) throws -> Response {
            let (code, description): (String, String) =
                switch failure {
                case .notFound: ("not_found", "no such organization or member among the user's organizations")
                case .refused(let refusal): ("access_denied", refusal.message)
                case .lastOwner: ("conflict", "an organization always keeps one owner: make another member an owner first")
                case .unknownRole: ("invalid_request", "role is not a role of this tenant")
                }
            return Responses.json(["error": code, "error_description": description], status: status, noStore: true)
        }
    }

    /// The signed-in user's organization service, from the bearer access token.
    func userOrganizations(_ request: Request, _ context: HeadlessRequestContext) async throws -> HeadlessOrganizations {
        let claims = try await bearer(request, context)
        guard let id = UserID(rawValue: claims.sub), let user = try await context.database.user(id: id), !user.disabled else {
            throw OAuthError.invalidToken("the access token's subject is not an active user")
        }
        return HeadlessOrganizations(
            service: OrganizationSelfService(
                database: context.database, user: id, now: services.clock.now, services: services, ip: context.remoteAddress))
    }

    /// `OrganizationSelfService` whose failures are `OrganizationRefusal`s.
    struct HeadlessOrganizations {
        let service: OrganizationSelfService

        func run<T>(_ body: () async throws -> T) async throws -> T {
            do { return try await body() } catch let failure as OrganizationSelfService.Failure {
                throw OrganizationRefusal(failure: failure)
            }
        }

        func managed(_ key: String?) async throws -> OrganizationSelfService.Entry { try await run { try await service.managed(key) } }
        func remove(_ key: String?, member: String?) async throws { try await run { try await service.remove(key, member: member) } }
        func leave(_ key: String?) async throws -> Organization { try await run { try await service.leave(key) } }
        func changeRole(_ key: String?, member: String?, to role: String) async throws -> Membership {
            try await run { try await service.changeRole(key, member: member, to: role) }
        }
    }

    /// One of the user's memberships.
    struct MembershipView: Encodable {
        let id, name, slug, role: String
        let publicMetadata: [String: JSONValue]
        let joinedAt: Date

        enum CodingKeys: String, CodingKey {
            case id, name, slug, role
            case publicMetadata = "public_metadata"
            case joinedAt = "joined_at"
        }
    }

    func listOrganizations(_ request: Request, _ context: HeadlessRequestContext) async throws -> Response {
        let entries = try await userOrganizations(request, context).service.organizations()
        let views = entries.map {
            MembershipView(
                id: $0.organization.id.rawValue, name: $0.organization.name, slug: $0.organization.slug, role: $0.membership.role,
                publicMetadata: $0.organization.publicMetadata, joinedAt: $0.membership.createdAt)
        }
        return Responses.json(["organizations": views], noStore: true, sorted: true)
    }

    func listMembers(_ request: Request, _ context: HeadlessRequestContext) async throws -> Response {
        let organizations = try await userOrganizations(request, context)
        let entry = try await organizations.managed(context.parameters.get("org"))
        let page = try AdminPageRequest(request)
        let after = try page.cursor(UserID.init(rawValue:))
        let rows = try await organizations.service.members(of: entry, limit: page.limit + 1, after: after)
        let views = rows.map { AdminController.MemberView($0.membership, user: $0.user) }
        return Responses.json(page.page("members", views, cursor: \.userID), noStore: true, sorted: true)
    }

    /// The body is checked before the token, like the other headless routes with a body.
    func changeMemberRole(_ request: Request, _ context: HeadlessRequestContext) async throws -> Response {
        var input = try await body(request)
        input.rejectUnknown(["role"])
        let role = input.string("role", required: true, maxLength: 64)
        if !input.errors.isEmpty { throw OAuthError.invalidRequest(input.errors.map { "\($0.field) \($0.message)" }.joined(separator: "; ")) }
        let organizations = try await userOrganizations(request, context)
        let membership = try await organizations.changeRole(context.parameters.get("org"), member: context.parameters.get("user"), to: role!)
        let user = try await context.database.user(id: membership.userID)
        return Responses.json(AdminController.MemberView(membership, user: user), noStore: true, sorted: true)
    }
}
