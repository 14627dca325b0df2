// The bare Hummingbird 2 server measured by bench/http as the ceiling for Gatehouse's cheapest paths.
//
//     baseline PORT
//
// Listens on 127.0.0.1:PORT (HTTP/1.1, no TLS) with Hummingbird's default configuration and no
// middleware, and serves two routes:
//   GET /healthz  200 `ok`, text/plain; charset=utf-8 (the same handler as Gatehouse's /healthz)
//   GET /jwks     200, application/json: a fixed JWKS-like document (one RSA and one P-256 public key, 602 bytes),
//                 about the size of a fresh Gatehouse tenant's jwks.json; the bytes are built once
// Anything else is Hummingbird's 404. Exits with status 2 on a bad argument.
import Foundation
import Hummingbird

let arguments = CommandLine.arguments
guard arguments.count == 2, let port = Int(arguments[1]), (1...65535).contains(port) else {
    FileHandle.standardError.write(Data("usage: baseline PORT\n".utf8))
    exit(2)
}

/// A JWKS (RFC 7517 §5) with a 2048-bit RSA and a P-256 signing key: the shape and size of a real key set
/// (random bytes, not usable keys).
let jwksDocument =
    #"{"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":"bench-rsa-1","n":"9zUChbwJKOn8PQQO4c6"#
    + #"uJdux_149HVZ3tVtHZENYOu_bNN9azFA5Tuy6gms7k3TXa30UdpDMXHCRUO6xpXNnxt3P_hB99fHWBDIjiCyd8Miw2Lg"#
    + #"ESYd-JuPbGeQdZQwSd7nX645LZuyAOy2L8oBaFDxPTyrToFFj53lW3nHIEsHo1stFeSQdrX5jYAPXQu33vRdJEApz5A_"#
    + #"xQSjSf5B73_l_C4APedcUkfV2O8fBl3KxuEGtFZwCDlXAptVhb1gOnu-0TZhyT4zSB8xu5N7kYgPkq-pZnWPohAAkQD9"#
    + #"__INUU-k-r5ZQfVEAmlqzOVfsD9ospNyBuvIb_NW5k2ZV3w","e":"AQAB"},{"kty":"EC","use":"sig","alg":""#
    + #"ES256","kid":"bench-ec-1","crv":"P-256","x":"5NsgVRlQV3W8nYyee5LoH2TtyZQBGcjYJ7WndtYopzI","y"#
    + #"":"lIuMnsBSXmc7-o6lhaAd_oe5d5Yo1LWvx-tWdd2a_JE"}]}"#
let jwksBuffer = ByteBuffer(string: jwksDocument)

let router = Router()
router.get("healthz") { _, _ in "ok" }
router.get("jwks") { _, _ in
    Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: jwksBuffer))
}
let app = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: port))
)
try await app.runService()
