import Foundation
import GatehouseCore
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging

/// The console's users of one tenant: the list with search and pages, creation, and the user's
/// page (the actions on it are in `ConsoleController+UserActions`). Input goes through the admin
/// API's own validation (`AdminController.newUser`, `applyUserPatch`), so the console accepts and
/// refuses exactly what `POST`/`PATCH /admin/v1/tenants/{slug}/users` do; a refused form is shown
/// again with each problem next to its field and nothing changed.
extension ConsoleController {
    static let userNotices = [
        "created": "The user was created.", "disabled": "The user was disabled and signed out everywhere.",
        "role": "The console role was saved.", "credentials": "Saved. A new password ended the user's sessions.",
        "enabled": "The user was enabled.", "verified": "The email address is marked verified.",
        "reset-sent": "A password reset link was sent to the user's email address.",
        "mfa-reset": "Two-step verification was reset: the second factors and recovery codes were removed and every session ended.",
        "mfa-none": "The user has no second factor; nothing was changed.", "metadata": "The metadata was saved.",
        "profile": "The phone number and address were saved.",
        "session-revoked": "The session was ended.", "deleted": "The user was deleted.", "passkey-removed": "The passkey was removed.",
    ]

    func registerUserRoutes(_ console: RouterGroup<AppRequestContext>) {
        console.get("tenants/:slug/users") { request, context in try await self.listUsers(request, context) }
        console.post("tenants/:slug/users") { request, context in try await self.createUser(request, context) }
        console.get("tenants/:slug/users/new") { request, context in try await self.newUser(request, context) }
        console.get("tenants/:slug/users/:user") { request, context in try await self.showUser(request, context) }
        registerUserActions(console)
    }

    /// Users by id (oldest first), `limit` per page (1…200, default 50) after the user `after`;
    /// `q` finds a user by id (`usr_…`) or users whose email or name contains it (as the admin
    /// API's `q`, case-insensitive for ASCII).
    func listUsers(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let page: TenantPage
        switch try await tenantGate(request, context, form: false) {
        case .ready(let found, _): page = found
        case .answer(let response): return response
        }
        let q = String((request.queryParameters["q"] ?? "").trimmingCharacters(in: .whitespaces).prefix(200))
        let (limit, after) = Self.pageParameters(request)
        var users: [User]
        if let id = UserID(rawValue: q) {
            users = try await page.database.user(id: id).map { [$0] } ?? []
        } else if q.utf8.contains(0) {
            users = []  // no email or name holds U+0000
        } else {
            users = try await page.database.listUsers(limit: limit + 1, after: UserID(rawValue: after), email: nil, query: q.isEmpty ? nil : q)
        }
        var values = tenantHeader(page)
        values["q"] = q
        values["new_url"] = "\(page.path)/users/new"
        if users.count > limit {
            users.removeLast(users.count - limit)
            let last = users[limit - 1].id.rawValue
            values["next_url"] = Self.nextURL("\(page.path)/users", after: last, limit: limit, extra: q.isEmpty ? [] : [("q", q)])
        }
        values["users"] = users.map { user -> [String: Any] in
            [
                "id": user.id.rawValue, "email": user.email, "name": user.name ?? "", "email_verified": user.emailVerified,
                "disabled": user.disabled, "url": "\(page.path)/users/\(user.id.rawValue)", "created_at": Self.date(user.createdAt),
            ]
        }
        if let notice = request.queryParameters["notice"].flatMap({ Self.userNotices[$0] }) { values["notice"] = notice }
        return self.page("admin_users", title: "Users", values: values, signedIn: page.signedIn)
    }

    func newUser(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        switch try await tenantGate(request, context, form: false) {
        case .ready(let page, _):
            var values = tenantHeader(page)
            values["action"] = "\(page.path)/users"
            return self.page("admin_user_new", title: "New user", values: values, signedIn: page.signedIn)
        case .answer(let response): return response
        }
    }

    /// Creates a user from the form (`email`, `name`, `password` optional, checkbox
    /// `email_verified`) as `POST /admin/v1/tenants/{slug}/users` would, recorded as
    /// `user.created` in the tenant's audit log with the insert.
    func createUser(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (page, form): (TenantPage, FormParameters)
        switch try await tenantGate(request, context, form: true) {
        case .ready(let found, let posted): (page, form) = (found, posted)
        case .answer(let response): return response
        }
        var sent: [String: JSONValue] = ["email": .string(form["email"] ?? ""), "email_verified": .bool(form["email_verified"] != nil)]
        if let name = form["name"] { sent["name"] = .string(name) }
        if let password = form["password"] { sent["password"] = .string(password) }
        var input = JSONInput(object: sent)
        let database = page.database
        do {
            if let user = try await AdminController(services: services).newUser(&input, in: database) {
                let draft = operatorDraft("user.created", page, target: ("user", nil), sent: sent, request, context)
                try await services.audited([draft], in: database) {
                    AuditRecorder.identify(target: user.id.rawValue)
                    try await database.insertUser(user)
                }
                logChange("user created", page, user.id.rawValue, context)
                return redirect("\(page.path)/users/\(user.id.rawValue)?notice=created", signedIn: page.signedIn)
            }
        } catch StoreError.conflict(let detail) {
            input.fail("email", detail)
        }
        // Shown as submitted (never the password), with each problem next to its field.
        var values = tenantHeader(page)
        values["action"] = "\(page.path)/users"
        values["email"] = form["email"] ?? ""
        values["name"] = form["name"] ?? ""
        values["email_verified"] = form["email_verified"] != nil
        Self.place(input.errors, in: &values)
        values["error"] = "Nothing was created: correct the fields below."
        return self.page("admin_user_new", title: "New user", values: values, signedIn: page.signedIn, status: .unprocessableContent)
    }

    /// The user of `:user` in the page's tenant, or nil (a user id of another tenant finds nothing here).
    func consoleUser(_ page: TenantPage, _ context: AppRequestContext) async throws -> User? {
        guard let raw = context.parameters.get("user"), let id = UserID(rawValue: raw) else { return nil }
        return try await page.database.user(id: id)
    }

    func noSuchUser(_ page: TenantPage) -> Response {
        missing(page, "No such user", "There is no user with this id in this tenant.", back: ("\(page.path)/users", "All users"))
    }

    func showUser(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let page: TenantPage
        switch try await tenantGate(request, context, form: false) {
        case .ready(let found, _): page = found
        case .answer(let response): return response
        }
        guard let user = try await consoleUser(page, context) else { return noSuchUser(page) }
        var values = try await userValues(page, user)
        if let notice = request.queryParameters["notice"].flatMap({ Self.userNotices[$0] }) { values["notice"] = notice }
        return self.page("admin_user", title: user.email, values: values, signedIn: page.signedIn)
    }

    /// The user page's values: the profile, second factors, active sessions (newest first, at
    /// most 100) with their revoke forms, both metadata objects as JSON text, the action forms.
    func userValues(_ page: TenantPage, _ user: User) async throws -> [String: Any] {
        let url = "\(page.path)/users/\(user.id.rawValue)"
        let now = services.clock.now
        let sessions = try await page.database.activeSessions(userID: user.id, at: now, limit: 100, before: nil)
        let factors = try await page.database.mfaFactors(userID: user.id)
        let passkeys = try await page.database.passkeys(userID: user.id)
        let role = try await page.database.consoleRole(of: user.id)
        let fields: [String: Any] = [
            "console_role": role?.rawValue ?? "", "role_none": role == nil, "role_tenant_viewer": role == .tenantViewer,
            "role_tenant_admin": role == .tenantAdmin, "console_role_action": "\(url)/console-role",
            "console_sign_in_url": "\(services.publicURL)\(Self.path)/t/\(page.tenant.slug)",
            "user_id": user.id.rawValue, "email": user.email, "name": user.name ?? "", "email_verified": user.emailVerified,
            "disabled": user.disabled, "has_password": user.passwordHash != nil, "created_at": Self.date(user.createdAt),
            "factors": factors.map { ["kind": $0.kind.rawValue] }, "has_factors": !factors.isEmpty,
            "passkeys": passkeys.map { passkey -> [String: Any] in
                [
                    "id": passkey.id, "name": passkey.name, "created_at": Self.date(passkey.createdAt),
                    "last_used_at": passkey.lastUsedAt.map(Self.date) ?? "never", "synced": passkey.backupEligible,
                    "remove_action": "\(url)/passkeys/\(passkey.id)/remove",
                ]
            },
            "sessions": sessions.map { session -> [String: Any] in
                var entry: [String: Any] = [
                    "id": session.id.rawValue, "created_at": Self.date(session.createdAt), "expires_at": Self.date(session.expiresAt),
                    "amr": session.amr.joined(separator: " "), "revoke_action": "\(url)/sessions/\(session.id.rawValue)/revoke",
                ]
                if let agent = session.userAgent, !agent.isEmpty { entry["user_agent"] = agent }
                if let ip = session.ipAddress, !ip.isEmpty { entry["ip"] = ip }
                return entry
            },
            "public_metadata": Self.jsonText(user.publicMetadata), "private_metadata": Self.jsonText(user.privateMetadata),
            "disable_action": "\(url)/disable", "enable_action": "\(url)/enable", "verify_action": "\(url)/verify-email",
            "reset_password_action": "\(url)/reset-password", "reset_mfa_action": "\(url)/reset-mfa", "metadata_action": "\(url)/metadata",
            "delete_action": "\(url)/delete", "profile_action": "\(url)/profile", "credentials_action": "\(url)/credentials",
            "new_email": user.email,
        ]
        return tenantHeader(page).merging(fields) { _, new in new }.merging(Self.profileValues(user)) { _, new in new }
    }

    /// A JSON object (metadata, custom claims) as indented text with sorted keys, for its textarea.
    static func jsonText<T: Encodable>(_ object: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(object)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
