import Foundation
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The cookies of a tenant's pages, all scoped to the tenant's base path (`/t/{slug}`, or `/` on a
/// tenant host), `HttpOnly`,
/// `SameSite=Lax` and `Secure` when the public URL is https.
enum TenantCookie: String {
    /// Binds login interactions and page forms to one browser (login CSRF defence).
    case browser = "gh_browser"
    /// The SSO session: a 256-bit secret whose SHA-256 is stored server-side.
    case session = "gh_session"
    /// The account console's access token.
    case console = "gh_console"
    /// The account console's pending authorization request (`state` and PKCE verifier).
    case consoleFlow = "gh_console_flow"
    /// The link token of the organization invitation this browser is accepting (for the sign-up
    /// page and the console's callback; cleared once the callback used it).
    case invitation = "gh_invitation"

    /// Reads this cookie from a request.
    func value(in request: Request) -> String? {
        guard let value = request.cookies[rawValue]?.value, !value.isEmpty, value.utf8.count <= 4096 else { return nil }
        return value
    }

    /// A cookie setting `value` for `maxAge` seconds.
    func make(_ value: String, tenant: ResolvedTenant, services: Services, maxAge: Int?, path: String? = nil) -> Cookie {
        Cookie(
            name: rawValue, value: value, maxAge: maxAge, path: path ?? services.addressing.cookiePath(of: tenant.tenant),
            secure: services.secureCookies, httpOnly: true, sameSite: .lax)
    }

    /// A cookie that deletes this one.
    func clear(tenant: ResolvedTenant, services: Services, path: String? = nil) -> Cookie {
        Cookie(
            name: rawValue, value: "", maxAge: 0, path: path ?? services.addressing.cookiePath(of: tenant.tenant),
            secure: services.secureCookies, httpOnly: true, sameSite: .lax)
    }
}
