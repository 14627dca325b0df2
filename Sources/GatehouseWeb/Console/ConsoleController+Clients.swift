import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging

/// The console's clients of one tenant: the list, creation (a confidential client's secret key
/// shown once), the client's page with its settings form, secret rotation (the new key shown
/// once) and deletion with the client_id typed as confirmation. The form becomes the admin API's
/// JSON body and goes through `AdminController.applyClientFields`, so the console accepts and
/// refuses exactly what `POST`/`PATCH /admin/v1/tenants/{slug}/clients` do, each problem shown next
/// to its field. Changes are recorded in the tenant's audit log (actor `operator`) with the change:
/// `client.created`, `client.updated`, `client.secret_rotated`, `client.deleted`.
extension ConsoleController {
    static let clientNotices = ["saved": "The client was saved.", "deleted": "The client was deleted."]

    func registerClientRoutes(_ console: RouterGroup<AppRequestContext>) {
        console.get("tenants/:slug/clients") { request, context in try await self.listClients(request, context) }
        console.post("tenants/:slug/clients") { request, context in try await self.createClient(request, context) }
        console.get("tenants/:slug/clients/new") { request, context in try await self.newClient(request, context) }
        clientRoute(console, "", form: false) { page, _, client, request, _ in
            try await self.shownClient(page, client, notice: request.queryParameters["notice"].flatMap { Self.clientNotices[$0] })
        }
        clientRoute(console, "", form: true) { try await self.updateClient($0, $1, $2, $3, $4) }
        clientRoute(console, "/rotate-secret", form: true) { try await self.rotateSecret($0, $1, $2, $3, $4) }
        clientRoute(console, "/delete", form: true) { try await self.deleteClient($0, $1, $2, $3, $4) }
    }

    /// The handler of a page or form of one client (`tenants/:slug/clients/:client…`).
    typealias ClientHandler = @Sendable (TenantPage, FormParameters, Client, Request, AppRequestContext) async throws -> Response

    /// Registers a client's page (`form` false, GET) or form (POST): `handler` runs once the
    /// operator (and for a form the CSRF token), the tenant and the client of `:client` in it are
    /// found (sign-in, 400 and 404 otherwise). A form about the account console's built-in
    /// client is refused (409 page): the server manages it.
    func clientRoute(_ console: RouterGroup<AppRequestContext>, _ suffix: String, form: Bool, _ handler: @escaping ClientHandler) {
        let body: @Sendable (Request, AppRequestContext) async throws -> Response = { request, context in
            switch try await self.tenantGate(request, context, form: form) {
            case .ready(let page, let posted):
                guard let clientID = context.parameters.get("client"), let client = try await page.database.client(clientID: clientID) else {
                    let back = ("\(page.path)/clients", "All clients")
                    return self.missing(page, "No such client", "There is no client with this client_id in this tenant.", back: back)
                }
                if form, let refused = try await self.refuseBuiltin(page, client) { return refused }
                return try await handler(page, posted, client, request, context)
            case .answer(let response): return response
            }
        }
        let path = RouterPath("tenants/:slug/clients/:client" + suffix)
        if form { console.post(path, use: body) } else { console.get(path, use: body) }
    }

    /// Clients by client_id, `limit` per page (1…200, default 50) after the client_id `after`; as
    /// in the admin API's list, the built-in account console client is not among them.
    func listClients(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let page: TenantPage
        switch try await tenantGate(request, context, form: false) {
        case .ready(let found, _): page = found
        case .answer(let response): return response
        }
        let (limit, after) = Self.pageParameters(request)
        let matching = try await page.database.listClients().sorted { $0.clientID < $1.clientID }.filter { after.isEmpty || $0.clientID > after }
        let shown = Array(matching.prefix(limit))
        var values = tenantHeader(page)
        values["new_url"] = "\(page.path)/clients/new"
        values["clients"] = shown.map { client -> [String: Any] in
            [
                "client_id": client.clientID, "name": client.name, "type": client.type.rawValue, "first_party": client.firstParty,
                "url": "\(page.path)/clients/\(client.clientID)",
            ]
        }
        if matching.count > limit, let last = shown.last {
            values["next_url"] = Self.nextURL("\(page.path)/clients", after: last.clientID, limit: limit)
        }
        if let notice = request.queryParameters["notice"].flatMap({ Self.clientNotices[$0] }) { values["notice"] = notice }
        return self.page("admin_clients", title: "Clients", values: values, signedIn: page.signedIn)
    }

    /// The admin API's body for the client form: `name`, `type` (on create), `redirect_uris` and
    /// `post_logout_redirect_uris` one per line, the `grant_types` checked, `first_party`, and
    /// the two signing algorithms. A textarea left out of the form is left out of the body.
    static func clientBody(_ form: FormParameters, creating: Bool) -> [String: JSONValue] {
        var body: [String: JSONValue] = [
            "name": .string(form["name"] ?? ""), "first_party": .bool(form["first_party"] != nil),
            "grant_types": .array(form.pairs.filter { $0.name == "grant_types" }.map { .string($0.value) }),
        ]
        if creating { body["type"] = .string(form["type"] ?? "") }
        for key in ["redirect_uris", "post_logout_redirect_uris"] where sent(form, key) { body[key] = .array(lines(form[key])) }
        for key in ["id_token_signed_response_alg", "access_token_signing_alg"] { if let value = form[key] { body[key] = .string(value) } }
        // The edit page's further fields; an emptied one removes the value (JSON merge patch null).
        func text(_ key: String) -> String? { sent(form, key) ? (form[key] ?? "").trimmingCharacters(in: .whitespacesAndNewlines) : nil }
        if sent(form, "organization_required_shown") {
            body["organization_required"] = .bool(form["organization_required"] != nil)
            body["require_pushed_authorization_requests"] = .bool(form["require_pushed_authorization_requests"] != nil)
            body["dpop_bound_access_tokens"] = .bool(form["dpop_bound_access_tokens"] != nil)
            body["backchannel_logout_session_required"] = .bool(form["backchannel_logout_session_required"] != nil)
        }
        if let scopes = text("allowed_scopes") { body["allowed_scopes"] = scopes.isEmpty ? .null : .string(scopes) }
        if let method = text("token_endpoint_auth_method"), !method.isEmpty { body["token_endpoint_auth_method"] = .string(method) }
        for key in ["jwks_uri", "backchannel_logout_uri"] {
            if let uri = text(key) { body[key] = uri.isEmpty ? .null : .string(uri) }
        }
        for key in ["jwks", "custom_claims"] {
            guard let raw = text(key) else { continue }
            body[key] = raw.isEmpty ? .null : ((try? JSONDecoder().decode(JSONValue.self, from: Data(raw.utf8))) ?? .string(raw))
        }
        return body
    }

    /// The form's values for `client` (stored, or as submitted in `form`): its fields, the grant
    /// type checkboxes and the algorithms the tenant enables.
    func clientValues(_ page: TenantPage, _ client: Client, form: FormParameters? = nil) -> [String: Any] {
        let settings = page.tenant.tenant.settings
        func options(_ enabled: [JWSAlgorithm], _ selected: JWSAlgorithm) -> [[String: Any]] {
            enabled.map { ["value": $0.rawValue, "selected": $0 == selected] }
        }
        var values = tenantHeader(page)
        let fields: [String: Any] = [
            "client_id": client.clientID, "name": form?["name"] ?? client.name, "type": client.type.rawValue,
            "type_\(client.type.rawValue)": true, "confidential": client.type == .confidential, "first_party": client.firstParty,
            "redirect_uris": form.map { $0["redirect_uris"] ?? "" } ?? client.redirectURIs.joined(separator: "\n"),
            "post_logout_redirect_uris": form.map { $0["post_logout_redirect_uris"] ?? "" } ?? client.postLogoutRedirectURIs.joined(separator: "\n"),
            "grant_types": GrantType.allCases.map { ["value": $0.rawValue, "checked": client.grantTypes.contains($0)] },
            "id_token_algorithms": options(Array(settings.idTokenSigningAlgorithms), client.idTokenSigningAlgorithm),
            "access_token_algorithms": options(Array(settings.signingAlgorithms), client.accessTokenSigningAlgorithm),
            "allowed_scopes": form.map { $0["allowed_scopes"] ?? "" } ?? client.allowedScopes.map { $0.description } ?? "",
            "organization_required": client.organizationRequired,
            "require_pushed_authorization_requests": client.requirePushedAuthorizationRequests,
            "dpop_bound_access_tokens": client.dpopBoundAccessTokens,
            "backchannel_logout_uri": form.map { $0["backchannel_logout_uri"] ?? "" } ?? client.backchannelLogoutURI ?? "",
            "backchannel_logout_session_required": client.backchannelLogoutSessionRequired,
            "auth_methods": Client.registrableMethods(for: client.type).map {
                ["value": $0.rawValue, "selected": (form?["token_endpoint_auth_method"] ?? client.tokenEndpointAuthMethod?.rawValue) == $0.rawValue]
            },
            "jwks_uri": form.map { $0["jwks_uri"] ?? "" } ?? client.jwksURI ?? "",
            "jwks": form.map { $0["jwks"] ?? "" } ?? client.jwks.map { Self.jsonText(["keys": $0]) } ?? "",
            "custom_claims": form.map { $0["custom_claims"] ?? "" } ?? (client.customClaims.isEmpty ? "" : Self.jsonText(client.customClaims)),
            "created_at": Self.date(client.createdAt), "action": "\(page.path)/clients/\(client.clientID)",
            "rotate_action": "\(page.path)/clients/\(client.clientID)/rotate-secret", "delete_action": "\(page.path)/clients/\(client.clientID)/delete",
        ]
        values.merge(fields) { _, new in new }
        if let expiry = client.previousSecretExpiresAt { values["previous_secret_expires_at"] = Self.date(expiry) }
        return values
    }

    func newClient(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        switch try await tenantGate(request, context, form: false) {
        case .ready(let page, _):
            var values = clientValues(page, AdminController(services: services).newClient(in: page.tenant))
            values["action"] = "\(page.path)/clients"
            return self.page("admin_client_new", title: "New client", values: values, signedIn: page.signedIn)
        case .answer(let response): return response
        }
    }

    /// Creates a client as `POST /admin/v1/tenants/{slug}/clients` would and shows its page with
    /// the secret key of a confidential client, this once.
    func createClient(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (page, form): (TenantPage, FormParameters)
        switch try await tenantGate(request, context, form: true) {
        case .ready(let found, let posted): (page, form) = (found, posted)
        case .answer(let response): return response
        }
        let admin = AdminController(services: services)
        let body = Self.clientBody(form, creating: true)
        var input = JSONInput(object: body)
        var client = admin.newClient(in: page.tenant)
        admin.applyClientFields(&input, to: &client, tenant: page.tenant, creating: true)
        guard input.errors.isEmpty else {
            var values = clientValues(page, client, form: form)
            values["action"] = "\(page.path)/clients"
            Self.place(input.errors, in: &values)
            values["error"] = "Nothing was created: correct the fields below."
            return self.page("admin_client_new", title: "New client", values: values, signedIn: page.signedIn, status: .unprocessableContent)
        }
        let draft = operatorDraft("client.created", page, target: ("client", nil), sent: body, request, context)
        let secret = try await services.audited([draft], in: page.database) { try await admin.registerNewClient(&client, in: page.tenant) }
        logChange("client created", page, client.clientID, context)
        return try await shownClient(page, client, secret: secret, notice: "The client was created.", status: .created)
    }

    /// A client's page; with `secret`, the key shown this once (the page is never cached).
    func shownClient(
        _ page: TenantPage, _ client: Client, secret: String? = nil, notice: String? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        var values = clientValues(page, client)
        values["builtin"] = try await AdminController.isBuiltin(client, in: page.database)
        if let secret { values["secret"] = secret }
        if let notice { values["notice"] = notice }
        return self.page("admin_client", title: client.name, values: values, signedIn: page.signedIn, status: status)
    }

    /// Saves the settings form as `PATCH /admin/v1/tenants/{slug}/clients/{client_id}` would.
    func updateClient(
        _ page: TenantPage, _ form: FormParameters, _ original: Client, _ request: Request, _ context: AppRequestContext
    ) async throws -> Response {
        let admin = AdminController(services: services)
        let body = Self.clientBody(form, creating: false)
        var input = JSONInput(object: body)
        var client = original
        admin.applyClientFields(&input, to: &client, tenant: page.tenant, creating: false)
        guard input.errors.isEmpty else {
            var values = clientValues(page, client, form: form)
            Self.place(input.errors, in: &values)
            values["error"] = "Nothing was saved: correct the fields below."
            return self.page("admin_client", title: original.name, values: values, signedIn: page.signedIn, status: .unprocessableContent)
        }
        let draft = operatorDraft("client.updated", page, target: ("client", client.clientID), sent: body, request, context)
        try await services.audited([draft], in: page.database) {
            try await admin.markLogoutTenant(for: client, in: page.tenant)
            try await page.database.updateClient(client)
            try await admin.ensureKeys(for: client, in: page.tenant)
        }
        services.forgetClientKeys(of: client.clientID, in: page.tenant)
        logChange("client updated", page, client.clientID, context)
        return redirect("\(page.path)/clients/\(client.clientID)?notice=saved", signedIn: page.signedIn)
    }

    /// The 409 page for a change to the account console's built-in client, or nil for any other client.
    func refuseBuiltin(_ page: TenantPage, _ client: Client) async throws -> Response? {
        guard try await AdminController.isBuiltin(client, in: page.database) else { return nil }
        var values = clientValues(page, client)
        values["builtin"] = true
        values["error"] = "This is the account console's built-in client: the server manages it and it cannot be changed or deleted."
        return self.page("admin_client", title: client.name, values: values, signedIn: page.signedIn, status: .conflict)
    }

    /// Issues a new secret key (shown once); the old one stays valid for `overlap_seconds` (0 when
    /// empty, at most 30 days, the admin API's rule).
    func rotateSecret(
        _ page: TenantPage, _ form: FormParameters, _ client: Client, _ request: Request, _ context: AppRequestContext
    ) async throws -> Response {
        var sent: [String: JSONValue] = [:]
        if let raw = form["overlap_seconds"]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty {
            sent["overlap_seconds"] = Int(raw).map { .number(Double($0)) } ?? .string(raw)
        }
        var input = JSONInput(object: sent)
        let overlap = AdminController.rotationOverlap(&input)
        if client.type != .confidential { input.fail("overlap_seconds", "public clients have no secret key") }
        guard input.errors.isEmpty else {
            var values = clientValues(page, client)
            values["overlap_seconds"] = form["overlap_seconds"] ?? ""
            Self.place(input.errors, in: &values)
            return self.page("admin_client", title: client.name, values: values, signedIn: page.signedIn, status: .unprocessableContent)
        }
        let admin = AdminController(services: services)
        let draft = operatorDraft("client.secret_rotated", page, target: ("client", client.clientID), sent: sent, request, context)
        let (updated, secret) = try await services.audited([draft], in: page.database) {
            try await admin.rotateSecret(of: client, overlap: overlap, in: page.tenant)
        }
        logChange("client secret rotated", page, client.clientID, context)
        return try await shownClient(page, updated, secret: secret, notice: "A new secret key was issued.")
    }

    /// Deletes the client when `confirm` is exactly its client_id.
    func deleteClient(
        _ page: TenantPage, _ form: FormParameters, _ client: Client, _ request: Request, _ context: AppRequestContext
    ) async throws -> Response {
        guard form["confirm"] == client.clientID else {
            var values = clientValues(page, client)
            values["delete_error"] = "Type the client_id '\(client.clientID)' exactly to delete this client."
            return self.page("admin_client", title: client.name, values: values, signedIn: page.signedIn, status: .unprocessableContent)
        }
        let draft = operatorDraft("client.deleted", page, target: ("client", client.clientID), request, context)
        try await services.audited([draft], in: page.database) {
            try await services.store.deleteClient(clientID: client.clientID, in: page.tenant)
        }
        services.forgetClientKeys(of: client.clientID, in: page.tenant)
        logChange("client deleted", page, client.clientID, context)
        return redirect("\(page.path)/clients?notice=deleted", signedIn: page.signedIn)
    }
}
