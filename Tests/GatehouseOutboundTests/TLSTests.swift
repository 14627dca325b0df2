import GatehouseOutbound
import Testing

/// TLS is always verified: peer certificate against the CA bundle, and host name (VERIFYHOST=2);
/// and an https exchange never continues over http.
@Suite(.enabled(if: TestProcess.hasOpenSSL, TestProcess.noOpenSSL), .localHTTPServer)
struct TLSTests {
    let server = LocalHTTPServer.running

    var trusting: HTTPClient {
        HTTPClient(policy: OutboundPolicy(caBundlePath: server.certificatePath, allowPrivateDestinations: true, allowedSchemes: ["http", "https"]))
    }

    @Test("https with the server's CA in caBundlePath succeeds")
    func trustedCertificateSucceeds() async throws {
        let base = try #require(server.secureBase)
        let response = try await trusting.get(url: "\(base)/ok")
        #expect(response.status == 200)
        #expect(response.effectiveURL == "\(base)/ok")
    }

    @Test("a certificate not signed by a trusted CA is a tlsFailure")
    func untrustedCertificateFails() async throws {
        let base = try #require(server.secureBase)
        #expect(await errorKind { try await HTTPClient(policy: .loopback).get(url: "\(base)/ok") } == .tlsFailure)
    }

    @Test("a certificate for another host name is a tlsFailure even from a trusted CA")
    func hostNameMismatchFails() async throws {
        let port = try #require(server.httpsPort)
        // The certificate names only IP 127.0.0.1; "localhost" reaches the same listener.
        #expect(await errorKind { try await trusting.get(url: "https://localhost:\(port)/ok") } == .tlsFailure)
    }

    @Test("a nonexistent CA bundle is a tlsFailure, not a silent fallback to the system store")
    func missingBundleFails() async throws {
        let base = try #require(server.secureBase)
        let client = HTTPClient(policy: OutboundPolicy(caBundlePath: "/nonexistent/ca.pem", allowPrivateDestinations: true))
        #expect(await errorKind { try await client.get(url: "\(base)/ok") } == .tlsFailure)
    }

    @Test("a redirect from https to http is refused as insecureRedirect")
    func downgradeIsRefused() async throws {
        let base = try #require(server.secureBase)
        let target = FormEncoding.component("\(server.base)/ok")
        await #expect(throws: OutboundError.insecureRedirect) {
            try await trusting.get(url: "\(base)/redirect-to?url=\(target)")
        }
    }

    @Test("a redirect from https to https is followed")
    func httpsRedirectIsFollowed() async throws {
        let base = try #require(server.secureBase)
        let response = try await trusting.get(url: "\(base)/redirect-chain/1")
        #expect(response.status == 200)
        #expect(response.effectiveURL == "\(base)/redirect-chain/0")
    }
}
