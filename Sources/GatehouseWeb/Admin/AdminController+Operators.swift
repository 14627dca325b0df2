import Foundation
import GatehouseCore
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging

/// The operators of the admin console (docs/contract.md A10): the users of the operators'
/// directory (`OperatorDirectory`), for the instance admin token only.
extension AdminController {
    func registerOperatorRoutes(_ admin: RouterGroup<AppRequestContext>) {
        route(admin, .get, "operators", scope: nil) { request, context in try await self.listOperators(request, context) }
        route(admin, .post, "operators", scope: nil) { request, context in try await self.createOperator(request, context) }
        route(admin, .delete, "operators/:operator", scope: nil) { _, context in try await self.removeOperator(context) }
        route(admin, .post, "operators/:operator/reset-mfa", scope: nil) { _, context in try await self.resetOperatorMFA(context) }
    }

    /// The directory's database for an operators route; nil (an empty list, 404) before the first operator.
    func operatorsContext(_ context: AppRequestContext, create: Bool = false) async throws -> TenantContext? {
        guard let tenant = create ? try await OperatorDirectory.ensure(services) : try await OperatorDirectory.find(services) else {
            return nil
        }
        return TenantContext(base: context, tenant: tenant, database: try await services.store.storage(for: tenant))
    }

    /// Operators by id (oldest first), a page at a time (`limit`, `after`).
    func listOperators(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let page = try AdminPageRequest(request)
        let after = try page.cursor(UserID.init(rawValue:))
        guard let directory = try await operatorsContext(context) else {
            return Responses.json(page.page("operators", [UserView](), cursor: \.id), noStore: true, sorted: true)
        }
        let users = try await directory.database.listUsers(limit: page.limit + 1, after: after, email: nil, query: nil)
        return Responses.json(page.page("operators", users.map { UserView($0, admin: true) }, cursor: \.id), noStore: true, sorted: true)
    }

    /// `POST /admin/v1/operators` `{"email","password","name"}` → 201 with the operator; the
    /// password policy of users applies (`newUserFields`). The operator enrols an authenticator
    /// app at the first sign-in (the directory's MFA policy is `required`).
    func createOperator(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        input.rejectUnknown(["email", "password", "name"])
        let (email, password, name) = Self.newUserFields(&input, passwordRequired: true)
        try input.check()
        guard let directory = try await operatorsContext(context, create: true) else { throw StoreError.unavailable("no operators' directory") }
        let db = directory.database
        if try await db.user(email: email!) != nil { throw StoreError.conflict("an operator with this email already exists") }
        let hash = try await services.passwords.hash(password!)
        let now = services.clock.now
        let user = User(
            id: .generate(at: now), email: email!, emailVerified: true, name: name, passwordHash: hash, publicMetadata: [:],
            privateMetadata: [:], createdAt: now, updatedAt: now)
        try await db.insertUser(user)
        context.logger.info("operator created", metadata: ["operator": "\(user.id.rawValue)"])
        return created(UserView(user, admin: true))
    }

    /// The operator named by `:user`, or 404.
    func findOperator(_ context: AppRequestContext) async throws -> (any TenantHandle, User) {
        guard let directory = try await operatorsContext(context) else { throw ProblemDetails.notFound("no operator with this id") }
        guard let raw = context.parameters.get("operator"), let id = UserID(rawValue: raw), let user = try await directory.database.user(id: id)
        else { throw ProblemDetails.notFound("no operator with this id") }
        return (directory.database, user)
    }

    /// Removes an operator: their sessions end and the console no longer accepts them.
    func removeOperator(_ context: AppRequestContext) async throws -> Response {
        let (db, user) = try await findOperator(context)
        try await db.deleteUser(user.id, at: services.clock.now)
        context.logger.info("operator removed", metadata: ["operator": "\(user.id.rawValue)"])
        return Response(status: .noContent)
    }

    /// Removes an operator's second factors and recovery codes and ends their sessions: the next
    /// sign-in enrols an authenticator app again (for an operator who lost theirs).
    func resetOperatorMFA(_ context: AppRequestContext) async throws -> Response {
        let (db, user) = try await findOperator(context)
        try await services.resetSecondFactors(of: user.id, in: db)
        context.logger.info("operator MFA reset", metadata: ["operator": "\(user.id.rawValue)"])
        return Response(status: .noContent)
    }
}
