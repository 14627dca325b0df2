import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird

/// Passkeys on the tenant's pages (W3C WebAuthn): sign-in with a passkey alone from the login page
/// (user verification required: the passkey proves possession and the user's PIN or biometrics),
/// a passkey as second factor on the MFA page, and the account console's passkeys (add with
/// step-up, rename, remove with step-up). Every post carries the page's CSRF token; the script
/// that talks to the authenticator is ``Services/passkeyScript(mode:options:action:fields:)``.
struct PasskeyController {
    let services: Services
    var flow: BrowserFlowController { BrowserFlowController(services: services) }
    var account: AccountController { AccountController(services: services) }

    func register(on group: RouterGroup<TenantRequestContext>) {
        group.post("login/passkey") { request, context in try await self.signIn(request, context) }
        group.post("mfa/passkey") { request, context in try await self.secondFactor(request, context) }
        group.post("account/passkeys/new") { request, context in try await self.showRegistration(request, context) }
        group.post("account/passkeys") { request, context in try await self.finishRegistration(request, context) }
        group.post("account/passkeys/:passkey/rename") { request, context in try await self.rename(request, context) }
        group.post("account/passkeys/:passkey/remove") { request, context in try await self.remove(request, context) }
    }

    // MARK: Sign-in

    /// The login page's passkey script; nil when passkeys are off for the tenant. `conditional`:
    /// offer the passkeys in the email field's autofill (not on a page showing a refusal, so that an
    /// authenticator that answers by itself is not asked again and again).
    func loginScript(_ interaction: Interaction, conditional: Bool, _ context: TenantRequestContext) -> BuiltInScript? {
        guard let rp = services.passkeyRelyingParty(context.tenant) else { return nil }
        let challenge = services.passkeyChallenge(context.tenant, purpose: .signIn, binding: interaction.id)
        var options = services.passkeyOptions(rp, challenge: challenge, userVerification: "required")
        options["conditional"] = .bool(conditional)
        return services.passkeyScript(
            mode: "signin", options: options,
            action: "\(flow.issuerPath(context))/login/passkey",
            fields: ["interaction_id": interaction.id, "csrf_token": interaction.csrfToken])
    }

    /// `POST login/passkey`: a discoverable credential's assertion signs the user in (first factor,
    /// `amr` per ``Services/passkeyAMR(_:_:)``; with user verification it also satisfies the MFA
    /// policy). A refusal shows the login page again with the reason.
    func signIn(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let form = try await request.formParameters(limit: services.configuration.maxBodyBytes)
        let (interaction, client) = try await flow.loadInteraction(
            form["interaction_id"], csrf: form["csrf_token"], requireCSRF: true, request, context)
        guard let rp = services.passkeyRelyingParty(context.tenant) else { throw OAuthError.invalidRequest("Passkeys are not available here.") }
        do {
            let (passkey, assertion) = try await services.verifyPasskeyAssertion(
                form, rp, purpose: .signIn, binding: interaction.id, user: nil, requireUserVerification: true, database: context.database)
            guard let user = try await context.database.user(id: passkey.userID), !user.disabled else {
                throw PasskeyRefusal(message: "This account cannot sign in.")
            }
            // An address whose organization enforces single sign-on signs in there only, as with a
            // password or a magic link.
            if let refused = try await flow.enforcedSSORefusal(user.email, interaction: interaction, context) { return refused }
            return try await flow.proved(.firstFactor, interaction, client: client, user: user, amr: Services.passkeyAMR(passkey, assertion), request, context)
        } catch let refusal as PasskeyRefusal {
            return try await flow.renderLogin(interaction, client: client, email: nil, error: refusal.message, status: .unauthorized, context)
        }
    }

    /// The MFA page's script, offering the user's passkeys; nil when passkeys are off or the user has none.
    func secondFactorScript(_ interaction: Interaction, passkeys: [Passkey], _ context: TenantRequestContext) -> BuiltInScript? {
        guard !passkeys.isEmpty, let rp = services.passkeyRelyingParty(context.tenant) else { return nil }
        let challenge = services.passkeyChallenge(context.tenant, purpose: .secondFactor, binding: interaction.id)
        return services.passkeyScript(
            mode: "second-factor", options: services.passkeyOptions(rp, challenge: challenge, userVerification: "preferred", allow: passkeys),
            action: "\(flow.issuerPath(context))/mfa/passkey",
            fields: ["interaction_id": interaction.id, "csrf_token": interaction.csrfToken])
    }

    /// `POST mfa/passkey`: one of the pending user's passkeys as second factor (`amr` gains its
    /// method and `mfa`). A refusal counts as a wrong code.
    func secondFactor(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let form = try await request.formParameters(limit: services.configuration.maxBodyBytes)
        let mfa = MFAController(services: services)
        let (interaction, client, pending, user) = try await mfa.load(
            form["interaction_id"], csrf: form["csrf_token"], requireCSRF: true, stages: [.challenge], request, context)
        guard let rp = services.passkeyRelyingParty(context.tenant),
            services.secondFactors(for: pending, database: context.database).contains(.webauthn)
        else { throw OAuthError.invalidRequest("Passkeys are not available for this sign-in.") }
        do {
            let (passkey, _) = try await services.verifyPasskeyAssertion(
                form, rp, purpose: .secondFactor, binding: interaction.id, user: user.id, requireUserVerification: false,
                database: context.database)
            return try await flow.proved(
                .secondFactor(method: passkey.amrMethod), interaction, client: client, user: user, amr: pending.amr, request, context)
        } catch let refusal as PasskeyRefusal {
            let attempts = try await context.database.recordPendingAttempt(idHash: pending.idHash)
            if attempts >= PendingSignIn.maxAttempts {
                try await context.database.deletePendingSignIn(idHash: pending.idHash)
                throw OAuthError.accessDenied("Too many failed attempts. Go back to the application and sign in again.")
            }
            return try await mfa.renderChallenge(
                interaction, pending: pending, user: user, method: nil, error: refusal.message, notice: nil, status: .unauthorized, context)
        }
    }

    // MARK: Account console

    /// `POST account/passkeys/new`: after a recent sign-in (step-up), the page that registers a
    /// passkey of the signed-in user (resident key, user verification preferred, attestation
    /// `none`, or `direct` where the tenant requires `packed` attestation).
    func showRegistration(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (claims, form, user) = try await account.consoleUser(request, context)
        guard services.passkeyRelyingParty(context.tenant) != nil else { throw OAuthError.invalidRequest("Passkeys are not available here.") }
        if let reauthenticate = try await account.stepUp(claims, for: .passkey, context) { return reauthenticate }
        return try await registrationPage(claims, user: user, csrf: form["csrf_token"] ?? "", error: nil, context)
    }

    func registrationPage(
        _ claims: AccessTokenClaims, user: User, csrf: String, error: String?, _ context: TenantRequestContext
    ) async throws -> Response {
        guard let rp = services.passkeyRelyingParty(context.tenant) else { throw OAuthError.invalidRequest("Passkeys are not available here.") }
        let existing = try await context.database.passkeys(userID: user.id)
        var options = services.passkeyOptions(
            rp, challenge: services.passkeyChallenge(context.tenant, purpose: .register, binding: claims.jti), userVerification: "preferred")
        options["userId"] = .string(Base64URL.encode(Array(user.id.rawValue.utf8)))
        options["userName"] = .string(user.email)
        options["userDisplay"] = .string(user.name ?? user.email)
        options["exclude"] = .array(existing.map { .string(Base64URL.encode($0.credentialID)) })
        options["attestation"] = .string(rp.requiresAttestation ? "direct" : "none")
        let base = account.consolePath(context)
        let script = services.passkeyScript(mode: "register", options: options, action: "\(base)/passkeys", fields: ["csrf_token": csrf])
        var values: [String: Any] = ["back_url": base, "rp_id": rp.id]
        if let error { values["error"] = error }
        let body = services.pages.render("account_passkey", chrome: account.chrome("Add a passkey", context), values: values)
        return Responses.html(script.inserted(into: body), status: error == nil ? .ok : .badRequest, scripts: [script])
    }

    /// `POST account/passkeys`: the authenticator's answer; the passkey is stored and the user told by mail.
    func finishRegistration(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (claims, form, user) = try await account.consoleUser(request, context)
        guard let rp = services.passkeyRelyingParty(context.tenant) else { throw OAuthError.invalidRequest("Passkeys are not available here.") }
        guard try await account.recentlyAuthenticated(claims, context) else {
            throw OAuthError.invalidRequest("Sign in again to add a passkey: start from your account page.")
        }
        do {
            let passkey = try await services.auditedAccount(
                "user.passkey_added", user: user.id, data: .object(["name": .string(form["name"] ?? "")]), request, context
            ) { try await services.registerPasskey(form, rp, binding: claims.jti, user: user, database: context.database) }
            try await services.sendAccountEmail(
                .mfaChange, to: user, values: ["change": "A passkey (\(passkey.name)) was added to your account."], database: context.database)
            return account.back("passkey-added", context)
        } catch let refusal as PasskeyRefusal {
            return try await registrationPage(claims, user: user, csrf: form["csrf_token"] ?? "", error: refusal.message, context)
        }
    }

    /// `POST account/passkeys/{id}/rename`.
    func rename(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (_, form, user) = try await account.consoleUser(request, context)
        let name = (form["name"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, Passkey.isAcceptableName(name) else {
            throw OAuthError.invalidRequest("A passkey's name is 1 to \(Passkey.maximumNameLength) characters.")
        }
        guard let id = context.parameters.get("passkey"), try await context.database.renamePasskey(id: id, userID: user.id, name: name) else {
            throw OAuthError.invalidRequest("That passkey is not on your account.")
        }
        return account.back("passkey-renamed", context)
    }

    /// `POST account/passkeys/{id}/remove`, after a recent sign-in. Refused when it is the user's
    /// last way to sign in (no password, no linked provider, no other passkey), or their last
    /// second factor under a policy that requires one.
    func remove(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (claims, _, user) = try await account.consoleUser(request, context)
        if let reauthenticate = try await account.stepUp(claims, for: .passkeyRemove, context) { return reauthenticate }
        guard let id = context.parameters.get("passkey") else { throw OAuthError.invalidRequest("That passkey is not on your account.") }
        let removed: Bool
        do {
            removed = try await services.auditedAccount(
                "user.passkey_removed", user: user.id, data: .object(["passkey": .string(id)]), request, context, keepIf: { $0 }
            ) { try await services.removeSignInMethod(.passkey(id), of: user.id, database: context.database) }
        } catch let kept as SignInMethodKept {
            return account.back(kept.notice, context)
        }
        guard removed else { throw OAuthError.invalidRequest("That passkey is not on your account.") }
        try await services.sendAccountEmail(.mfaChange, to: user, values: ["change": "A passkey was removed from your account."], database: context.database)
        return account.back("passkey-removed", context)
    }
}
