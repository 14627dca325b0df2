import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird

/// The console's signing keys of one tenant (docs/contract.md A7): the keys that are not expired
/// with their schedule (kid, algorithm, status, published, signing from, retired, leaving the
/// JWKS; never private material), and a rotation confirmed by typing the tenant's slug. Both run
/// the admin API's code (`AdminController.liveSigningKeys`, `rotationAlgorithms`, the store's
/// `rotateSigningKeys`), so the console lists and rotates exactly as `GET /admin/v1/tenants/{slug}/keys`
/// and `POST …/keys/rotate` do; a rotation is recorded as `signing_key.rotated`, actor `operator`.
extension ConsoleController {
    func registerKeyRoutes(_ console: RouterGroup<AppRequestContext>) {
        console.get("tenants/:slug/keys") { request, context in
            switch try await self.tenantGate(request, context, form: false) {
            case .ready(let page, _): return try await self.keysPage(page, values: [:])
            case .answer(let response): return response
            }
        }
        console.post("tenants/:slug/keys/rotate") { request, context in try await self.rotateKeys(request, context) }
    }

    /// The keys page with `values` added (notice, problems, the rotation's new kids).
    func keysPage(_ page: TenantPage, values extra: [String: Any], status: HTTPResponse.Status = .ok) async throws -> Response {
        let now = services.clock.now
        let keys = try await AdminController(services: services).liveSigningKeys(in: page.database)
        let fresh = Set((extra["new_kids"] as? [String]) ?? [])
        var values = tenantHeader(page)
        values["keys"] = keys.map { key -> [String: Any] in
            let status = key.status(at: now)
            var row: [String: Any] = [
                "kid": key.kid, "algorithm": key.algorithm, "status": status.rawValue, "status_\(status.rawValue)": true,
                "created_at": Self.date(key.createdAt), "activates_at": Self.date(key.activatesAt), "new": fresh.contains(key.kid),
            ]
            if let retires = key.retiresAt { row["retires_at"] = Self.date(retires) }
            if let expires = key.expiresAt { row["expires_at"] = Self.date(expires) }
            return row
        }
        let checked = Set((extra["checked"] as? [String]) ?? page.tenant.tenant.settings.signingAlgorithms.map(\.rawValue))
        values["algorithms"] = page.tenant.tenant.settings.signingAlgorithms.map { ["value": $0.rawValue, "checked": checked.contains($0.rawValue)] }
        values["rotate_action"] = "\(page.path)/keys/rotate"
        values["jwks_url"] = services.issuer(of: page.tenant) + ProviderMetadata.Path.jwks
        values.merge(extra.filter { $0.key != "new_kids" && $0.key != "checked" }) { _, new in new }
        return self.page("admin_keys", title: "Signing keys", values: values, signedIn: page.signedIn, status: status)
    }

    /// Starts a rotation when `confirm` is exactly the tenant's slug: a new key per algorithm
    /// checked (`algorithms`; none checked: every enabled algorithm), published in the JWKS at
    /// once and signing after the pre-publication window; an algorithm with a key already
    /// waiting keeps it.
    func rotateKeys(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (page, form): (TenantPage, FormParameters)
        switch try await tenantGate(request, context, form: true) {
        case .ready(let found, let posted): (page, form) = (found, posted)
        case .answer(let response): return response
        }
        let checked = form.pairs.filter { $0.name == "algorithms" }.map(\.value)
        var sent: [String: JSONValue] = [:]
        if !checked.isEmpty { sent["algorithms"] = .array(checked.map(JSONValue.string)) }
        var input = JSONInput(object: sent)
        let algorithms = AdminController.rotationAlgorithms(&input, tenant: page.tenant)
        if form["confirm"] != page.tenant.slug { input.fail("confirm", "Type the slug '\(page.tenant.slug)' exactly to rotate the keys.") }
        guard input.errors.isEmpty else {
            var values: [String: Any] = ["checked": checked, "error": "Nothing was rotated: correct the fields below."]
            Self.place(input.errors, in: &values)
            return try await keysPage(page, values: values, status: .unprocessableContent)
        }
        let draft = operatorDraft("signing_key.rotated", page, target: ("signing_key", nil), sent: sent, request, context)
        let now = services.clock.now
        let rotated = try await services.audited([draft], in: page.database) {
            try await page.database.rotateSigningKeys(algorithms: algorithms, at: now)
        }
        logChange("signing keys rotated", page, rotated.map(\.kid).joined(separator: ","), context)
        let described = rotated.map { "\($0.kid) (\($0.algorithm), signing from \(Self.date($0.activatesAt)))" }.joined(separator: ", ")
        return try await keysPage(
            page, values: ["new_kids": rotated.map(\.kid), "notice": "Published in the JWKS: \(described)."])
    }
}
