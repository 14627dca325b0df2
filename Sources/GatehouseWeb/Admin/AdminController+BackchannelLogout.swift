import Foundation
import GatehouseCore
import GatehouseStore

/// A client's `backchannel_logout_uri` and `backchannel_logout_session_required` (OpenID Connect
/// Back-Channel Logout 1.0 §2.2), shared by the admin API and the console's client forms.
extension AdminController {
    /// The body fields read here.
    static let backchannelLogoutFields: Set<String> = ["backchannel_logout_uri", "backchannel_logout_session_required"]

    /// Reads `backchannel_logout_uri` (`null` removes it) and `backchannel_logout_session_required`
    /// into `client`, collecting every problem. The URI follows the webhook destination rules
    /// (`WebhookDestinations`: absolute `https://`, or `http://` only to an address of
    /// `[federation] allowed_private_networks`; special-purpose addresses only inside them; no
    /// user information, no fragment, at most 2048 bytes); §2.2 allows a query and forbids a fragment.
    func applyBackchannelLogoutFields(_ input: inout JSONInput, to client: inout Client) {
        if input.isNull("backchannel_logout_uri") {
            client.backchannelLogoutURI = nil
        } else if let uri = input.string("backchannel_logout_uri", maxLength: WebhookDestinations.maxURLBytes) {
            if let problem = services.webhooks.problem(with: uri) {
                input.fail("backchannel_logout_uri", problem)
            } else {
                client.backchannelLogoutURI = uri
            }
        }
        if let required = input.bool("backchannel_logout_session_required") { client.backchannelLogoutSessionRequired = required }
    }

    /// Puts the tenant in the logout worker's index (`logout_tenants`) before a client with a
    /// `backchannel_logout_uri` is stored, so that the deliveries its sessions queue are found.
    func markLogoutTenant(for client: Client, in tenant: ResolvedTenant) async throws {
        guard client.backchannelLogoutURI != nil else { return }
        try await services.store.markLogoutTenant(tenant)
    }
}
