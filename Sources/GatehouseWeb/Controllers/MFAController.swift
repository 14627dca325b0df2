import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The second step of a browser sign-in: the MFA challenge and enrolment pages.
struct MFAController {
    let services: Services
    var flow: BrowserFlowController { BrowserFlowController(services: services) }

    func register(on group: RouterGroup<TenantRequestContext>) {
        group.get("mfa") { request, context in try await self.showChallenge(request, context) }
        group.post("mfa") { request, context in try await self.submitChallenge(request, context) }
        group.post("mfa/email") { request, context in try await self.sendEmailCode(request, context) }
        group.get("mfa/enrol") { request, context in try await self.showEnrol(request, context) }
        group.post("mfa/enrol") { request, context in try await self.submitEnrol(request, context) }
        group.post("mfa/enrol/done") { request, context in try await self.finishEnrol(request, context) }
    }

    var path: (TenantRequestContext) -> String { { [services] in services.basePath(of: $0.tenant) } }

    /// The interaction and its pending sign-in at one of `stages`, with the user and client.
    func load(
        _ id: String?, csrf: String?, requireCSRF: Bool, stages: [PendingSignIn.Stage], _ request: Request,
        _ context: TenantRequestContext
    ) async throws -> (Interaction, Client, PendingSignIn, User) {
        let (interaction, client) = try await flow.loadInteraction(id, csrf: csrf, requireCSRF: requireCSRF, request, context)
        guard let pending = try await context.database.pendingSignIn(idHash: SecretHash.of(interaction.id), at: services.clock.now),
            stages.contains(pending.stage), let user = try await context.database.user(id: pending.userID), !user.disabled
        else {
            throw OAuthError.invalidRequest("This sign-in expired. Go back to the application and try again.")
        }
        return (interaction, client, pending, user)
    }

    func renderChallenge(
        _ interaction: Interaction, pending: PendingSignIn, user: User, method: SecondFactorMethod?, error: String?,
        notice: String?, status: HTTPResponse.Status, _ context: TenantRequestContext
    ) async throws -> Response {
        let kinds = try await context.database.mfaFactors(userID: user.id).map(\.kind)
        let usable = services.secondFactors(for: pending, database: context.database)
        let totp = kinds.contains(.totp) && usable.contains(.totp)
        let email = kinds.contains(.email) && usable.contains(.email)
        let chosen = method ?? (totp ? .totp : email ? .email : .recovery)
        var values: [String: Any] = [
            "action": "\(path(context))/mfa", "email_action": "\(path(context))/mfa/email", "interaction_id": interaction.id,
            "csrf_token": interaction.csrfToken, "masked_email": services.maskedEmail(user.email),
            "method_totp": chosen == .totp, "method_email": chosen == .email, "method_recovery": chosen == .recovery,
        ]
        if totp { values["totp"] = true }
        if email { values["email"] = true }
        if let error { values["error"] = error }
        if let notice { values["notice"] = notice }
        // A passkey as second factor: the page's script offers the user's passkeys.
        let passkeys = usable.contains(.webauthn) ? try await context.database.passkeys(userID: user.id) : []
        let script = PasskeyController(services: services).secondFactorScript(interaction, passkeys: passkeys, context)
        if script != nil { values["passkey"] = true }
        let body = services.pages.render("mfa", chrome: flow.chrome("Two-step verification", context), values: values)
        return Responses.html(
            script?.inserted(into: body) ?? body, status: status, formActions: flow.formActions(for: interaction),
            scripts: script.map { [$0] } ?? [])
    }

    func showChallenge(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (interaction, _, pending, user) = try await load(
            request.queryParameters["interaction"], csrf: nil, requireCSRF: false,
            stages: [.challenge], request, context)
        return try await renderChallenge(interaction, pending: pending, user: user, method: nil, error: nil, notice: nil, status: .ok, context)
    }

    /// Checks the code; five wrong codes end the challenge, and the account's second-factor budget
    /// (across challenges) answers 429 once used.
    func submitChallenge(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let form = try await request.formParameters(limit: services.configuration.maxBodyBytes)
        let (interaction, client, pending, user) = try await load(
            form["interaction_id"], csrf: form["csrf_token"], requireCSRF: true,
            stages: [.challenge], request, context)
        let method = SecondFactorMethod(form: form["method"]) ?? .totp
        if let proven = try await services.checkSecondFactor(
            method, code: form["code"] ?? "", pending: pending, user: user,
            database: context.database, ip: context.remoteAddress)
        {
            return try await flow.proved(.secondFactor(method: proven), interaction, client: client, user: user, amr: pending.amr, request, context)
        }
        let attempts = try await context.database.recordPendingAttempt(idHash: pending.idHash)
        if attempts >= PendingSignIn.maxAttempts {
            try await context.database.deletePendingSignIn(idHash: pending.idHash)
            throw OAuthError.accessDenied("Too many incorrect codes. Go back to the application and sign in again.")
        }
        return try await renderChallenge(
            interaction, pending: pending, user: user, method: method,
            error: "That code is not right. \(PendingSignIn.maxAttempts - attempts) attempts left.",
            notice: nil, status: .unauthorized, context)
    }

    func sendEmailCode(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let form = try await request.formParameters(limit: services.configuration.maxBodyBytes)
        let (interaction, _, pending, user) = try await load(
            form["interaction_id"], csrf: form["csrf_token"], requireCSRF: true,
            stages: [.challenge], request, context)
        guard try await context.database.mfaFactors(userID: user.id).contains(where: { $0.kind == .email }),
            services.secondFactors(for: pending, database: context.database).contains(.email)
        else {
            throw OAuthError.invalidRequest("Email codes are not available for this sign-in.")
        }
        if let wait = services.actionLimiter.take(
            tenant: context.tenant.id, action: "email-code", ip: context.remoteAddress,
            now: services.clock.now)
        {
            var response = try await renderChallenge(
                interaction, pending: pending, user: user, method: .email,
                error: "Please wait \(wait) seconds before asking for another code.", notice: nil,
                status: .tooManyRequests, context)
            response.headers[.retryAfter] = String(wait)
            return response
        }
        try await services.sendChallengeCode(pending, user: user, database: context.database)
        return try await renderChallenge(
            interaction, pending: pending, user: user, method: .email, error: nil,
            notice: "We emailed you a code. It expires in 10 minutes.", status: .ok, context)
    }

    // MARK: Enrolment (MFA required, no factor yet)

    func renderEnrol(
        _ interaction: Interaction, pending: PendingSignIn, user: User, error: String?, status: HTTPResponse.Status,
        _ context: TenantRequestContext
    ) async throws -> Response {
        let enrolment = try await services.totpEnrolment(pending, user: user, database: context.database)
        var values: [String: Any] = [
            "action": "\(path(context))/mfa/enrol", "interaction_id": interaction.id, "csrf_token": interaction.csrfToken,
            "qr_data_url": enrolment.qrDataURL, "otpauth_uri": enrolment.uri, "secret": enrolment.secret, "required": true,
        ]
        if let error { values["error"] = error }
        return Responses.html(
            services.pages.render("mfa_enrol", chrome: flow.chrome("Set up two-step verification", context), values: values),
            status: status, formActions: flow.formActions(for: interaction))
    }

    func showEnrol(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let (interaction, _, pending, user) = try await load(
            request.queryParameters["interaction"], csrf: nil, requireCSRF: false,
            stages: [.enrol], request, context)
        return try await renderEnrol(interaction, pending: pending, user: user, error: nil, status: .ok, context)
    }

    /// Confirms the authenticator with one valid code, then shows the recovery codes once.
    func submitEnrol(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let form = try await request.formParameters(limit: services.configuration.maxBodyBytes)
        let (interaction, _, pending, user) = try await load(
            form["interaction_id"], csrf: form["csrf_token"], requireCSRF: true,
            stages: [.enrol], request, context)
        guard
            let codes = try await services.confirmTOTPEnrolment(
                sealed: pending.sealedEnrolSecret, code: form["code"] ?? "", user: user,
                database: context.database, ip: context.remoteAddress)
        else {
            let attempts = try await context.database.recordPendingAttempt(idHash: pending.idHash)
            if attempts >= PendingSignIn.maxAttempts {
                try await context.database.deletePendingSignIn(idHash: pending.idHash)
                throw OAuthError.accessDenied("Too many incorrect codes. Go back to the application and sign in again.")
            }
            return try await renderEnrol(
                interaction, pending: pending, user: user,
                error: "That code is not right. Check the time on your device and try again.",
                status: .unauthorized, context)
        }
        var enrolled = pending
        enrolled.stage = .enrolled
        enrolled.sealedEnrolSecret = nil
        try await context.database.savePendingSignIn(enrolled)
        return Responses.html(
            services.pages.render(
                "recovery_codes", chrome: flow.chrome("Save your recovery codes", context),
                values: [
                    "codes": codes, "action": "\(path(context))/mfa/enrol/done", "interaction_id": interaction.id,
                    "csrf_token": interaction.csrfToken, "continue_label": "I saved them, continue",
                ]), formActions: flow.formActions(for: interaction))
    }

    /// Completes the sign-in after enrolment: the new authenticator was just proven.
    func finishEnrol(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let form = try await request.formParameters(limit: services.configuration.maxBodyBytes)
        let (interaction, client, pending, user) = try await load(
            form["interaction_id"], csrf: form["csrf_token"], requireCSRF: true,
            stages: [.enrolled], request, context)
        return try await flow.proved(.secondFactor(method: "otp"), interaction, client: client, user: user, amr: pending.amr, request, context)
    }
}
