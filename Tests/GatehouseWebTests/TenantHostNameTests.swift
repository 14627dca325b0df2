import GatehouseCore
import Hummingbird
import Testing

@testable import GatehouseWeb

/// A request's `Host` names a tenant only by a DNS name: IP literals are answered by the public
/// routes at once, without a lookup, and no tenant can take a name an address could be read as.
struct TenantHostNameTests {
    @Test("Host values: port, trailing dot and case are dropped; IP literals name no tenant")
    func hosts() {
        #expect(TenantHostResponder<CallbackResponder<AppRequestContext>>.host(ofAuthority: "Login.Acme.COM:8443") == "login.acme.com")
        #expect(TenantHostResponder<CallbackResponder<AppRequestContext>>.host(ofAuthority: "login.acme.com.") == "login.acme.com")
        #expect(TenantHostResponder<CallbackResponder<AppRequestContext>>.host(ofAuthority: "127.0.0.1:8080") == nil)
        #expect(TenantHostResponder<CallbackResponder<AppRequestContext>>.host(ofAuthority: "10.1.2.3") == nil)
        #expect(TenantHostResponder<CallbackResponder<AppRequestContext>>.host(ofAuthority: "[::1]:8080") == nil)
        #expect(TenantHostResponder<CallbackResponder<AppRequestContext>>.host(ofAuthority: "") == nil)
    }

    @Test("a tenant host name is a DNS name whose last label is not a number")
    func tenantHostnames() {
        #expect(TenantSettings.isValidHostname("login.acme.com"))
        #expect(TenantSettings.isValidHostname("a1.example.co2"))
        #expect(!TenantSettings.isValidHostname("10.1.2.3"))
        #expect(!TenantSettings.isValidHostname("login.acme.123"))
        #expect(!TenantSettings.isValidHostname("Login.acme.com"))
    }
}
