import Foundation
import GatehouseCore
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging

/// The forms of the console's user page: disable and enable, mark the email verified, send a
/// password reset link, reset two-step verification, edit the metadata, end a session and
/// delete with the email typed as confirmation. Each change is recorded in the tenant's audit
/// log (actor `operator`) in the transaction that makes it (`Services.audited`), under the type
/// the admin API would record (`user.updated`, `user.deleted`, `session.revoked`,
/// `user.mfa_disabled`), or `user.password_reset_sent`.
extension ConsoleController {
    func registerUserActions(_ console: RouterGroup<AppRequestContext>) {
        userForm(console, "disable") { try await self.setDisabled(true, $0, $1, $2, $3, $4) }
        userForm(console, "enable") { try await self.setDisabled(false, $0, $1, $2, $3, $4) }
        userForm(console, "verify-email") { try await self.markVerified($0, $1, $2, $3, $4) }
        userForm(console, "reset-password") { try await self.sendPasswordReset($0, $1, $2, $3, $4) }
        userForm(console, "reset-mfa") { try await self.resetMFA($0, $1, $2, $3, $4) }
        userForm(console, "metadata") { try await self.saveMetadata($0, $1, $2, $3, $4) }
        userForm(console, "profile") { try await self.saveProfile($0, $1, $2, $3, $4) }
        userForm(console, "credentials") { try await self.saveCredentials($0, $1, $2, $3, $4) }
        userForm(console, "delete") { try await self.deleteUser($0, $1, $2, $3, $4) }
        userForm(console, "console-role") { try await self.setConsoleRole($0, $1, $2, $3, $4) }
        userForm(console, "sessions/:session/revoke") { try await self.revokeSession($0, $1, $2, $3, $4) }
        userForm(console, "passkeys/:passkey/remove") { try await self.removePasskey($0, $1, $2, $3, $4) }
    }

    /// The handler of a user's form at `tenants/:slug/users/:user/{action}`.
    typealias UserForm = @Sendable (TenantPage, FormParameters, User, Request, AppRequestContext) async throws -> Response

    /// Registers a user form: `handler` runs with the console session and CSRF token checked (400
    /// otherwise), the tenant and the user of `:user` in it found (404 pages otherwise).
    func userForm(_ console: RouterGroup<AppRequestContext>, _ action: String, _ handler: @escaping UserForm) {
        console.post(RouterPath("tenants/:slug/users/:user/" + action)) { request, context in
            switch try await self.tenantGate(request, context, form: true) {
            case .ready(let page, let form):
                guard let user = try await self.consoleUser(page, context) else { return self.noSuchUser(page) }
                return try await handler(page, form, user, request, context)
            case .answer(let response): return response
            }
        }
    }

    /// Logs an operator's change (never its values): the tenant, the target's id and the operator.
    func logChange(_ message: String, _ page: TenantPage, _ target: String, _ context: AppRequestContext) {
        context.logger.info(
            "console: \(message)", metadata: ["tenant": "\(page.tenant.slug)", "target": "\(target)", "operator": "\(page.signedIn.user.id.rawValue)"])
    }

    /// Applies `sent`, a `PATCH /admin/v1/tenants/{slug}/users/{id}` body, through the admin API's
    /// own rules and records `user.updated`. - Returns: the problems; none when it was saved.
    func patchUser(
        _ sent: [String: JSONValue], _ page: TenantPage, _ user: User, _ request: Request, _ context: AppRequestContext
    ) async throws -> [ProblemDetails.FieldError] {
        let admin = AdminController(services: services)
        var input = JSONInput(object: sent)
        var changed = user
        let password = admin.applyUserPatch(&input, to: &changed)
        guard input.errors.isEmpty else { return input.errors }
        let draft = operatorDraft("user.updated", page, target: ("user", user.id.rawValue), sent: sent, request, context)
        do {
            _ = try await services.audited([draft], in: page.database) {
                try await admin.saveUser(changed, original: user, password: password, in: page.database)
            }
        } catch StoreError.conflict(let message) {
            return [.init(field: "email", message: message)]
        }
        logChange("user updated (\(sent.keys.sorted().joined(separator: ", ")))", page, user.id.rawValue, context)
        return []
    }

    /// Disables (every session ends and every grant is revoked, `AccountStore.updateUser`) or enables the user.
    func setDisabled(
        _ disabled: Bool, _ page: TenantPage, _ form: FormParameters, _ user: User, _ request: Request, _ context: AppRequestContext
    ) async throws -> Response {
        _ = try await patchUser(["disabled": .bool(disabled)], page, user, request, context)
        return redirect("\(page.path)/users/\(user.id.rawValue)?notice=\(disabled ? "disabled" : "enabled")", signedIn: page.signedIn)
    }

    func markVerified(
        _ page: TenantPage, _ form: FormParameters, _ user: User, _ request: Request, _ context: AppRequestContext
    ) async throws -> Response {
        _ = try await patchUser(["email_verified": .bool(true)], page, user, request, context)
        return redirect("\(page.path)/users/\(user.id.rawValue)?notice=verified", signedIn: page.signedIn)
    }

    /// Emails the user a password reset link (the "Forgot password" mail and link, valid 30
    /// minutes); a disabled user gets none.
    func sendPasswordReset(
        _ page: TenantPage, _ form: FormParameters, _ user: User, _ request: Request, _ context: AppRequestContext
    ) async throws -> Response {
        guard !user.disabled else {
            var values = try await userValues(page, user)
            values["error"] = "A disabled user cannot reset their password: enable the user first."
            return self.page("admin_user", title: user.email, values: values, signedIn: page.signedIn, status: .unprocessableContent)
        }
        if let wait = services.consoleMailLimiter.take(tenant: page.tenant.id, action: "console-mail", ip: nil, now: services.clock.now) {
            var values = try await userValues(page, user)
            values["error"] = "No email was sent: at most 20 emails at once, then one every 6 seconds per tenant. Retry in \(wait) s."
            return self.page("admin_user", title: user.email, values: values, signedIn: page.signedIn, status: .tooManyRequests)
        }
        let draft = operatorDraft("user.password_reset_sent", page, target: ("user", user.id.rawValue), request, context)
        try await services.audited([draft], in: page.database) {
            try await services.emailOneTimeLink(
                .reset, purpose: .resetPassword, to: user, path: "/reset", lifetime: AccountFlowsController.resetLifetime, interactionID: nil,
                database: page.database)
        }
        logChange("password reset sent", page, user.id.rawValue, context)
        return redirect("\(page.path)/users/\(user.id.rawValue)?notice=reset-sent", signedIn: page.signedIn)
    }

    /// Removes the user's second factors and recovery codes and ends their sessions, as
    /// `gatehouse operator reset-mfa` does for operators; one `user.mfa_disabled` per factor.
    func resetMFA(
        _ page: TenantPage, _ form: FormParameters, _ user: User, _ request: Request, _ context: AppRequestContext
    ) async throws -> Response {
        let factors = try await page.database.mfaFactors(userID: user.id)
        guard !factors.isEmpty else { return redirect("\(page.path)/users/\(user.id.rawValue)?notice=mfa-none", signedIn: page.signedIn) }
        let drafts = factors.map { factor -> AuditDraft in
            var draft = operatorDraft(
                "user.mfa_disabled", page, target: ("user", user.id.rawValue), sent: ["factor": .string(factor.kind.rawValue)], request, context)
            draft.changes = []
            return draft
        }
        _ = try await services.audited(drafts, in: page.database) { try await services.resetSecondFactors(of: user.id, in: page.database) }
        logChange("second factors reset", page, user.id.rawValue, context)
        return redirect("\(page.path)/users/\(user.id.rawValue)?notice=mfa-reset", signedIn: page.signedIn)
    }

    /// Saves `public_metadata` and `private_metadata` (JSON objects of at most 8 KiB each, checked
    /// by the admin API's rule; an empty field is `{}`); a refused form changes neither.
    func saveMetadata(
        _ page: TenantPage, _ form: FormParameters, _ user: User, _ request: Request, _ context: AppRequestContext
    ) async throws -> Response {
        var sent: [String: JSONValue] = [:]
        var problems: [ProblemDetails.FieldError] = []
        for key in ["public_metadata", "private_metadata"] where Self.sent(form, key) {
            let text = form[key] ?? "{}"
            if let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) {
                sent[key] = value
            } else {
                problems.append(.init(field: key, message: "is not valid JSON"))
            }
        }
        if problems.isEmpty {
            problems = try await patchUser(sent, page, user, request, context)
            if problems.isEmpty { return redirect("\(page.path)/users/\(user.id.rawValue)?notice=metadata", signedIn: page.signedIn) }
        }
        var values = try await userValues(page, user)
        for key in ["public_metadata", "private_metadata"] where Self.sent(form, key) { values[key] = form[key] ?? "" }
        Self.place(problems, in: &values)
        values["error"] = "Nothing was saved: correct the fields below."
        return self.page("admin_user", title: user.email, values: values, signedIn: page.signedIn, status: .unprocessableContent)
    }

    /// Deletes the user when `confirm` is exactly their email address; the last owner of an
    /// organization is refused (409) as by the admin API.
    func deleteUser(
        _ page: TenantPage, _ form: FormParameters, _ user: User, _ request: Request, _ context: AppRequestContext
    ) async throws -> Response {
        var refusal = "Type the email address '\(user.email)' exactly to delete this user."
        var status = HTTPResponse.Status.unprocessableContent
        if form["confirm"] == user.email {
            let draft = operatorDraft("user.deleted", page, target: ("user", user.id.rawValue), request, context)
            do {
                try await services.audited([draft], in: page.database) { try await page.database.deleteUser(user.id, at: services.clock.now) }
                logChange("user deleted", page, user.id.rawValue, context)
                return redirect("\(page.path)/users?notice=deleted", signedIn: page.signedIn)
            } catch StoreError.conflict(let detail) {
                refusal = "The user was not deleted: \(detail)."
                status = .conflict
            }
        }
        var values = try await userValues(page, user)
        values["delete_error"] = refusal
        return self.page("admin_user", title: user.email, values: values, signedIn: page.signedIn, status: status)
    }

    /// Ends one of the user's sessions and revokes the grants issued under it; a session of
    /// another user, or one already ended, is a 404 page.
    func revokeSession(
        _ page: TenantPage, _ form: FormParameters, _ user: User, _ request: Request, _ context: AppRequestContext
    ) async throws -> Response {
        let now = services.clock.now
        guard let raw = context.parameters.get("session"), let id = SessionID(rawValue: raw),
            let session = try await page.database.session(id: id), session.userID == user.id, session.isActive(at: now)
        else {
            let back = "\(page.path)/users/\(user.id.rawValue)"
            return missing(page, "No such session", "This user has no active session with this id.", back: (back, "Back to the user"))
        }
        let draft = operatorDraft("session.revoked", page, target: ("session", id.rawValue), userID: user.id.rawValue, request, context)
        _ = try await services.audited([draft], in: page.database) { try await page.database.endSession(id: id, at: now) }
        logChange("session revoked", page, user.id.rawValue, context)
        return redirect("\(page.path)/users/\(user.id.rawValue)?notice=session-revoked", signedIn: page.signedIn)
    }

    /// Removes one of the user's passkeys as the admin API's `DELETE …/passkeys/{id}` does
    /// (`passkey.deleted`): refused (409, the reason on the page) when it is their last way to
    /// sign in or their last second factor under policy `required`.
    func removePasskey(
        _ page: TenantPage, _ form: FormParameters, _ user: User, _ request: Request, _ context: AppRequestContext
    ) async throws -> Response {
        let back = "\(page.path)/users/\(user.id.rawValue)"
        let id = context.parameters.get("passkey") ?? ""
        let draft = operatorDraft("passkey.deleted", page, target: ("passkey", id), userID: user.id.rawValue, request, context)
        let removed: Bool
        do {
            removed = try await services.audited([draft], in: page.database, keepIf: { $0 }) {
                try await self.services.removeSignInMethod(.passkey(id), of: user.id, database: page.database)
            }
        } catch let kept as SignInMethodKept {
            var values = try await userValues(page, user)
            values["passkeys_error"] = kept.description
            return self.page("admin_user", title: user.email, values: values, signedIn: page.signedIn, status: .conflict)
        }
        guard removed else { return missing(page, "No such passkey", "This user has no passkey with this id.", back: (back, "Back to the user")) }
        logChange("passkey removed", page, user.id.rawValue, context)
        return redirect("\(back)?notice=passkey-removed", signedIn: page.signedIn)
    }

    /// Grants `role` (`tenant_admin`, `tenant_viewer`; empty: none) as the admin API's
    /// `PUT …/users/{id}/console-role` does, recorded as `user.console_role_changed`. Nobody takes
    /// their own role away here (they would lock themselves out mid-form).
    func setConsoleRole(
        _ page: TenantPage, _ form: FormParameters, _ user: User, _ request: Request, _ context: AppRequestContext
    ) async throws -> Response {
        let raw = form["role"] ?? ""
        let role = ConsoleRole(rawValue: raw)
        guard raw.isEmpty || role != nil else {
            var values = try await userValues(page, user)
            values["console_role_error"] = "Choose no role, tenant_viewer or tenant_admin."
            return self.page("admin_user", title: user.email, values: values, signedIn: page.signedIn, status: .unprocessableContent)
        }
        if !page.signedIn.isOperator, page.signedIn.user.id == user.id {
            var values = try await userValues(page, user)
            values["console_role_error"] = "You cannot change your own console role."
            return self.page("admin_user", title: user.email, values: values, signedIn: page.signedIn, status: .conflict)
        }
        let sent: [String: JSONValue] = ["role": role.map { .string($0.rawValue) } ?? .null]
        let draft = operatorDraft("user.console_role_changed", page, target: ("user", user.id.rawValue), sent: sent, request, context)
        let now = services.clock.now
        try await services.audited([draft], in: page.database) {
            try await page.database.setConsoleRole(role, of: user.id, at: now)
        }
        logChange("console role changed", page, user.id.rawValue, context)
        return redirect("\(page.path)/users/\(user.id.rawValue)?notice=role", signedIn: page.signedIn)
    }
}
