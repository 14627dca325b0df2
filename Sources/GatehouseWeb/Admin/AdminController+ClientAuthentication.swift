import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore

/// A client's `token_endpoint_auth_method`, `jwks` and `jwks_uri` (RFC 7591 §2; JWT methods:
/// RFC 7523, OIDC Core §9), shared by the admin API and the console's client forms.
extension AdminController {
    /// The body fields read here.
    static let clientAuthenticationFields: Set<String> = ["token_endpoint_auth_method", "jwks", "jwks_uri"]
    /// Most keys an inline `jwks` may hold.
    static let maximumClientKeys = 20

    /// Reads `token_endpoint_auth_method`, `jwks` (`{"keys": [...]}`, or `null`) and `jwks_uri`
    /// (`https`; `http` only with `[federation] allow_http`; or `null`) into `client`, collecting
    /// every problem. Rules: the method is `none` for a public client and any other for a
    /// confidential one; `private_key_jwt` needs exactly one of `jwks` and `jwks_uri`, and other
    /// methods have neither (changing the method away from `private_key_jwt` drops them); each key
    /// of `jwks` is a public EdDSA (Ed25519), ES256 (P-256) or RS256 (2048–16384 bits) signing key.
    func applyClientAuthenticationFields(_ input: inout JSONInput, to client: inout Client) {
        if let raw = input.string("token_endpoint_auth_method") {
            let allowed = Client.registrableMethods(for: client.type)
            if let method = ClientAuthenticationMethod(rawValue: raw), allowed.contains(method) {
                client.tokenEndpointAuthMethod = method
            } else {
                input.fail(
                    "token_endpoint_auth_method", "must be one of \(allowed.map(\.rawValue).joined(separator: ", ")) for a \(client.type.rawValue) client")
            }
        }
        if input.isNull("jwks") {
            client.jwks = nil
        } else if let keys = clientKeys(&input) {
            client.jwks = keys
        }
        if input.isNull("jwks_uri") {
            client.jwksURI = nil
        } else if let uri = input.string("jwks_uri", maxLength: 2000) {
            if let problem = jwksURIProblem(uri) { input.fail("jwks_uri", problem) } else { client.jwksURI = uri }
        }
        if client.tokenEndpointAuthMethod == .privateKeyJWT {
            if (client.jwks == nil) == (client.jwksURI == nil) {
                input.fail("token_endpoint_auth_method", "private_key_jwt needs exactly one of jwks and jwks_uri")
            }
        } else {
            for key in ["jwks", "jwks_uri"] where input.has(key) && !input.isNull(key) {
                input.fail(key, "is only for private_key_jwt clients")
            }
            client.jwks = nil
            client.jwksURI = nil
        }
        if client.tokenEndpointAuthMethod != .clientSecretJWT {
            // Only a client_secret_jwt client needs its secret itself (docs/contract.md A4).
            client.sealedSecret = nil
            client.sealedPreviousSecret = nil
        }
    }

    /// The keys of a `jwks` field, or nil (with the problem recorded) when absent or refused.
    private func clientKeys(_ input: inout JSONInput) -> [JWK]? {
        guard let set = input.objectValue("jwks") else { return nil }
        guard case .array(let items)? = set.object["keys"], set.object.count == 1 else {
            input.fail("jwks", "must be a JWK Set: {\"keys\": [...]}")
            return nil
        }
        guard (1...Self.maximumClientKeys).contains(items.count) else {
            input.fail("jwks.keys", "must have 1…\(Self.maximumClientKeys) keys")
            return nil
        }
        var keys: [JWK] = []
        for (index, item) in items.enumerated() {
            let field = "jwks.keys[\(index)]"
            guard case .object(let members) = item else { input.fail(field, "must be a JWK object"); continue }
            // A private member means the client sent its private key: refuse rather than drop it silently.
            if !Set(members.keys).isDisjoint(with: ["d", "p", "q", "dp", "dq", "qi", "k"]) {
                input.fail(field, "must be a public key (no private members)")
                continue
            }
            guard let data = try? JSONEncoder().encode(item), let jwk = try? JSONDecoder().decode(JWK.self, from: data) else {
                input.fail(field, "must be a JWK with string members")
                continue
            }
            do { _ = try SignatureVerifier(jwk: jwk) } catch { input.fail(field, "is not a usable signing key: \(error)") }
            keys.append(jwk)
        }
        return keys.count == items.count ? keys : nil
    }

    /// Why `uri` cannot be a `jwks_uri`, or nil. Its address is checked at every fetch by the SSRF
    /// guard of `[federation]` (loopback, private and link-local addresses only inside
    /// `allowed_private_networks`).
    func jwksURIProblem(_ uri: String) -> String? {
        guard let url = URL(string: uri), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            return "must be an absolute URL"
        }
        let allowHTTP = services.configuration.federation.allowHTTP
        guard scheme == "https" || (allowHTTP && scheme == "http") else { return allowHTTP ? "must be https or http" : "must be https" }
        if url.fragment != nil { return "must not have a fragment" }
        if url.user != nil || url.password != nil { return "must not carry credentials" }
        return nil
    }

    /// Seals `secret` as the HS256 key of a `client_secret_jwt` client (the master key's
    /// `SecretBox`, like webhook secrets); other clients keep no sealed secret.
    func sealSecretIfNeeded(_ secret: String, of client: inout Client, in tenant: ResolvedTenant) async throws {
        guard client.tokenEndpointAuthMethod == .clientSecretJWT else { return }
        client.sealedSecret = try await services.store.storage(for: tenant).seal(Array(secret.utf8))
    }
}
