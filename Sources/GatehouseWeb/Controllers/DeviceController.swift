import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird

/// The device verification page at `{issuer}/device` (RFC 8628 §3.3, `verification_uri`).
///
/// - `GET` shows the `device` form (the code prefilled from `?user_code=`, §3.3.1). With a
///   signed-in session and a `user_code` it looks the code up at once and shows the confirmation.
/// - `POST` (`csrf_token` bound to the browser cookie, `user_code`, optionally `decision`
///   `approve`/`deny`) looks the code up. Without a session the browser signs in through the
///   tenant's own login flow (login page, throttles, MFA policy) as the account console does
///   (``AccountController/startSignIn(_:client:stepUp:invitation:marker:)``), and comes back here
///   with the code; with one, `device_confirm` shows the client's name and the scopes, and the
///   decision stores an approved grant or a denial (once: ``DeviceAuthorizationStore/decideDeviceAuthorization(userCodeHash:approving:now:)``)
///   and shows `device_done` ("you may return to your device").
/// - Wrong codes (unknown, used, expired or malformed) are limited per tenant and IP
///   (`Services.deviceCodeLimiter`, RFC 8628 §5.1); past the limit, 429 with `Retry-After`.
struct DeviceController {
    let services: Services

    /// The console flow marker of a sign-in that returns here: `device-` and the normalized code.
    static let markerPrefix = "device-"

    func register(on group: RouterGroup<TenantRequestContext>) {
        group.get("device") { request, context in try await self.show(request, context) }
        group.post("device") { request, context in try await self.submit(request, context) }
    }

    /// Where the console's callback sends a browser whose sign-in carried `marker`; nil for other markers.
    static func returnPath(marker: String, _ basePath: String) -> String? {
        guard marker.hasPrefix(markerPrefix), let code = DeviceFlow.normalizedUserCode(String(marker.dropFirst(markerPrefix.count))) else {
            return nil
        }
        return basePath + ProviderMetadata.Path.deviceVerification + "?user_code=" + display(code)
    }

    /// `XXXX-XXXX` of a normalized code.
    static func display(_ normalized: String) -> String { String(normalized.prefix(4)) + "-" + String(normalized.dropFirst(4)) }

    var flow: BrowserFlowController { BrowserFlowController(services: services) }

    func action(_ context: TenantRequestContext) -> String {
        services.basePath(of: context.tenant) + ProviderMetadata.Path.deviceVerification
    }

    /// `GET /device[?user_code=…]`.
    func show(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let typed: String = request.queryParameters["user_code"].map { String($0) } ?? ""
        if !typed.isEmpty, try await flow.currentSession(request, context) != nil {
            return try await lookUp(typed, decision: nil, request, context)
        }
        return form(request, context, userCode: typed)
    }

    /// `POST /device`.
    func submit(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let form = try await request.formParameters(limit: services.configuration.maxBodyBytes)
        guard services.checkCSRF(form["csrf_token"], binding: TenantCookie.browser.value(in: request), purpose: "device") else {
            return self.form(request, context, userCode: form["user_code"] ?? "", error: "The form expired. Please try again.")
        }
        return try await lookUp(form["user_code"] ?? "", decision: form["decision"], request, context)
    }

    /// The `device` form, with an error message and its status.
    func form(
        _ request: Request, _ context: TenantRequestContext, userCode: String, error: String? = nil, status: HTTPResponse.Status = .ok
    ) -> Response {
        let binding = flow.browserBinding(request, context)
        var values: [String: Any] = [
            "action": action(context), "csrf_token": services.csrfToken(binding: binding.value, purpose: "device"),
            "user_code": String(userCode.prefix(12)),
        ]
        if let error { values["error"] = error }
        var response = Responses.html(
            services.pages.render("device", chrome: flow.chrome("Connect a device", context), values: values),
            status: error == nil ? status : (status == .ok ? .badRequest : status))
        if let cookie = binding.cookie { response.setCookie(cookie) }
        return response
    }

    /// Looks `typed` up (counting a wrong code), then signs in, confirms or records `decision`.
    func lookUp(_ typed: String, decision: String?, _ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let now = services.clock.now
        let limiter = services.deviceCodeLimiter
        if let wait = limiter.wait(tenant: context.tenant.id, action: "device-code", ip: context.remoteAddress, now: now) {
            var response = form(
                request, context, userCode: typed, error: "Too many wrong codes. Please wait a moment and try again.", status: .tooManyRequests)
            response.headers[.retryAfter] = String(wait)
            return response
        }
        guard let code = DeviceFlow.normalizedUserCode(typed),
            let pending = try await context.database.pendingDeviceAuthorization(userCodeHash: DeviceFlow.userCodeHash(code), now: now),
            let client = try await context.database.client(clientID: pending.clientID)
        else {
            _ = limiter.take(tenant: context.tenant.id, action: "device-code", ip: context.remoteAddress, now: now)
            return form(request, context, userCode: typed, error: "That code is not valid. Check the code on your device and try again.")
        }
        guard let (session, user) = try await flow.currentSession(request, context) else {
            let accounts = AccountController(services: services)
            return try await accounts.startSignIn(
                context, client: try await accounts.consoleClient(context), marker: Self.markerPrefix + code)
        }
        guard let decision else { return confirmation(code: code, pending, client: client, user: user, request, context) }
        let grant: Grant? =
            decision == "approve"
            ? Grant(
                id: .generate(at: now), clientID: client.clientID, userID: user.id, sessionID: session.id, scope: pending.scope,
                authTime: session.authTime, amr: session.amr, nonce: nil, createdAt: now)
            : nil
        let hash = DeviceFlow.userCodeHash(code)
        guard try await context.database.decideDeviceAuthorization(userCodeHash: hash, approving: grant, now: now) else {
            return form(request, context, userCode: "", error: "That code was already used or has expired. Start again on your device.")
        }
        let body = services.pages.render(
            "device_done", chrome: flow.chrome(grant == nil ? "Access denied" : "Device connected", context),
            values: ["approved": grant != nil, "client_name": client.name])
        return Responses.html(body)
    }

    /// The `device_confirm` page: the client, the scopes, Approve and Deny.
    func confirmation(
        code: String, _ pending: DeviceAuthorization, client: Client, user: User, _ request: Request, _ context: TenantRequestContext
    ) -> Response {
        let binding = flow.browserBinding(request, context)
        let values: [String: Any] = [
            "action": action(context), "csrf_token": services.csrfToken(binding: binding.value, purpose: "device"),
            "user_code": Self.display(code), "client_name": client.name, "user_email": user.email,
            "scopes": pending.scope.values.sorted().map { ["name": $0, "description": StandardScope.describe($0)] },
        ]
        var response = Responses.html(
            services.pages.render("device_confirm", chrome: flow.chrome("Connect a device", context), values: values))
        if let cookie = binding.cookie { response.setCookie(cookie) }
        return response
    }
}
