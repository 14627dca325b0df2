import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import Hummingbird
import Logging

/// What a passkey ceremony is for. The challenge names it, so that a challenge made for signing
/// in never registers a passkey, and one of a second factor never signs in alone.
enum PasskeyPurpose: String, Sendable {
    case signIn = "sign-in"
    case secondFactor = "second-factor"
    case register
}

/// The relying party a tenant is to its users' authenticators (W3C WebAuthn §5.1.2, §13.4.9).
struct PasskeyRelyingParty: Sendable {
    /// The RP ID: the host of the tenant's issuer. Path-based tenants of one host share it, so a
    /// passkey made at one of them is offered (and refused by the server) at the others; a tenant
    /// on a host of its own has its own.
    let id: String
    /// The origin the pages are served from: the issuer's scheme, host and port (§7.1 step 9).
    let origin: String
    /// The name authenticators show: the tenant's name.
    let name: String
    /// The tenant's settings, for ``attestation``.
    let settings: TenantSettings

    /// Whether a new passkey must bring `packed` attestation (`passkey_attestation`).
    var requiresAttestation: Bool { settings.passkeyAttestation == "packed" }

    /// What a new passkey's attestation must be, or nil for attestation `none`. Parsed from the
    /// settings when a registration is verified (not for every page that offers passkeys); the
    /// roots were validated when saved, and one that no longer parses is left out, which refuses
    /// more, never less.
    var attestation: AttestationRequirement? {
        guard requiresAttestation else { return nil }
        return AttestationRequirement(
            roots: settings.passkeyAttestationRoots.compactMap { try? X509Certificate(pem: $0) },
            aaguids: Set(settings.passkeyAAGUIDs.compactMap(AAGUID.bytes)))
    }

    /// Whether `host` can be an RP ID: a domain name, not an IP address in any form (§5.1.2).
    static func isValidID(_ host: String) -> Bool {
        !host.isEmpty && !host.contains(":") && !HostName.endsInANumber(host)
    }
}

extension FormParameters {
    /// The field `name` as base64url-decoded bytes: nil when absent, not base64url, empty or
    /// longer than `limit` bytes.
    func passkeyBytes(_ name: String, limit: Int) -> [UInt8]? {
        guard let text = self[name], text.utf8.count <= limit * 2, let bytes = Base64URL.decode(text), !bytes.isEmpty, bytes.count <= limit else {
            return nil
        }
        return bytes
    }
}

/// Why a passkey ceremony was refused: a sentence for the page; the log gets the detail.
struct PasskeyRefusal: Error {
    let message: String
}

extension Services {
    /// Seconds a ceremony's challenge stays valid.
    static let passkeyChallengeLifetime: Int64 = 300
    /// Largest clientDataJSON, authenticator data or signature accepted, in bytes.
    static let passkeyFieldLimit = 8 * 1024
    /// Largest attestation object accepted, in bytes (an RSA key with attestation `none` is ~0.5 KiB).
    static let attestationObjectLimit = 16 * 1024

    /// The tenant as relying party; nil when passkeys are off (`webauthn` not in `mfa_factors`)
    /// or its host is an IP address, which is no valid RP ID (§5.1.2).
    func passkeyRelyingParty(_ tenant: ResolvedTenant) -> PasskeyRelyingParty? {
        let settings = tenant.tenant.settings
        guard settings.mfaFactors.contains(MFAFactorKind.webauthn.rawValue),
            let url = URLComponents(string: issuer(of: tenant)), let scheme = url.scheme, let host = url.host?.lowercased(),
            PasskeyRelyingParty.isValidID(host)
        else { return nil }
        return PasskeyRelyingParty(
            id: host, origin: "\(scheme)://\(host)" + (url.port.map { ":\($0)" } ?? ""), name: tenant.tenant.name, settings: settings)
    }

    func passkeyChallengeMAC(_ tenant: ResolvedTenant, purpose: PasskeyPurpose, binding: String, body: ArraySlice<UInt8>) -> [UInt8] {
        let message = Array("\(tenant.id.rawValue)|\(purpose.rawValue)|\(binding)|".utf8) + body
        return Array(Digest.hmacSHA256(key: passkeyChallengeKey, message: message).prefix(16))
    }

    /// A ceremony's challenge (40 bytes, §13.4.3): 16 random bytes, its expiry (seconds since the
    /// epoch, 8 bytes big-endian) and the first 16 bytes of an HMAC-SHA-256 over the tenant, the
    /// purpose, `binding` (the interaction, or the account console's token) and both, under a key
    /// derived from the master key. Issuing one writes nothing; answering records it once
    /// (``PasskeyStore/recordWebAuthnChallenge(_:expiresAt:)``).
    func passkeyChallenge(_ tenant: ResolvedTenant, purpose: PasskeyPurpose, binding: String) -> [UInt8] {
        var body = SecureRandom.bytes(16)
        let expiry = clock.now.numericDate + Self.passkeyChallengeLifetime
        body += withUnsafeBytes(of: expiry.bigEndian, Array.init)
        return body + passkeyChallengeMAC(tenant, purpose: purpose, binding: binding, body: body[...])
    }

    /// The expiry of `challenge` when it is this tenant's, for `purpose` and `binding`, and unexpired.
    func passkeyChallengeExpiry(_ challenge: [UInt8], _ tenant: ResolvedTenant, purpose: PasskeyPurpose, binding: String) -> Date? {
        guard challenge.count == 40 else { return nil }
        let mac = passkeyChallengeMAC(tenant, purpose: purpose, binding: binding, body: challenge[0..<24])
        guard ConstantTime.equals(mac, Array(challenge[24..<40])) else { return nil }
        let expiry = challenge[16..<24].reduce(Int64(0)) { $0 << 8 | Int64($1) }
        let date = Date(timeIntervalSince1970: TimeInterval(expiry))
        return date > clock.now ? date : nil
    }

    /// The script of a page offering a passkey ceremony (the one place the pages need script): it
    /// carries the ceremony's options as data and posts the authenticator's answer as a form to
    /// `action`. Its text differs per page (the challenge), and the page's CSP allows exactly it
    /// by hash (``BuiltInScript``); a tenant's template cannot change it.
    /// - Parameter fields: hidden fields posted with the answer (interaction, CSRF token).
    func passkeyScript(mode: String, options: [String: JSONValue], action: String, fields: [String: String]) -> BuiltInScript {
        var data = options
        data["mode"] = .string(mode)
        data["action"] = .string(action)
        data["fields"] = .object(fields.mapValues(JSONValue.string))
        // JSON in a script element: `<`, `>` and `&` escaped so that no value ends the element.
        let json = JSONValue.object(data).sortedText
            .replacingOccurrences(of: "<", with: "\\u003c").replacingOccurrences(of: ">", with: "\\u003e")
            .replacingOccurrences(of: "&", with: "\\u0026").replacingOccurrences(of: "\u{2028}", with: "\\u2028")
            .replacingOccurrences(of: "\u{2029}", with: "\\u2029")
        return BuiltInScript("(function(o){" + Self.passkeyScriptBody + "})(" + json + ");")
    }

    /// The ceremony options of a page (WebAuthn §5.4, §5.5) as the script reads them.
    func passkeyOptions(
        _ rp: PasskeyRelyingParty, challenge: [UInt8], userVerification: String, allow: [Passkey] = []
    ) -> [String: JSONValue] {
        [
            "challenge": .string(Base64URL.encode(challenge)), "rpId": .string(rp.id), "rpName": .string(rp.name),
            "uv": .string(userVerification), "allow": .array(allow.map { .string(Base64URL.encode($0.credentialID)) }),
        ]
    }

    /// Verifies an authentication assertion posted by the script (§7.2) for `purpose`: the
    /// challenge is this tenant's, for this binding and unexpired; the credential is a passkey of
    /// the tenant (of `user` when given) whose user handle, if sent, is its user (§7.2 step 6);
    /// the ceremony checks hold; then the challenge is recorded (a replay is refused) and the
    /// counter moves by compare-and-set (a cloned authenticator, whose counter does not increase,
    /// is refused).
    /// - Throws: ``PasskeyRefusal`` with a sentence for the page.
    func verifyPasskeyAssertion(
        _ form: FormParameters, _ rp: PasskeyRelyingParty, purpose: PasskeyPurpose, binding: String, user: UserID?,
        requireUserVerification: Bool, database: any TenantHandle
    ) async throws -> (Passkey, VerifiedAssertion) {
        let refused = PasskeyRefusal(message: "That passkey could not be used here. Try again, or use another way to sign in.")
        func field(_ name: String, limit: Int = Self.passkeyFieldLimit) -> [UInt8]? { form.passkeyBytes(name, limit: limit) }
        guard let challenge = field("challenge", limit: 64),
            let expiry = passkeyChallengeExpiry(challenge, database.tenant, purpose: purpose, binding: binding)
        else { throw PasskeyRefusal(message: "The passkey request expired. Try again.") }
        guard let credentialID = field("credential_id", limit: 1023), let clientData = field("client_data_json"),
            let authenticatorData = field("authenticator_data"), let signature = field("signature")
        else { throw refused }
        guard let passkey = try await database.passkey(credentialID: credentialID), user == nil || passkey.userID == user else {
            logger.info("passkey assertion refused: unknown credential", metadata: ["tenant": .string(database.tenant.slug)])
            throw refused
        }
        if let handle = form["user_handle"], !handle.isEmpty {
            guard let bytes = Base64URL.decode(handle), ConstantTime.equals(bytes, Array(passkey.userID.rawValue.utf8)) else { throw refused }
        }
        let verified: VerifiedAssertion
        do {
            verified = try WebAuthnCeremony.verifyAuthentication(
                .init(
                    clientDataJSON: clientData, authenticatorData: authenticatorData, signature: signature, storedPublicKey: passkey.publicKey,
                    storedSignCount: passkey.signCount),
                expecting: .init(challenge: challenge, origin: rp.origin, rpID: rp.id, requireUserVerification: requireUserVerification))
        } catch {
            logger.warning(
                "passkey assertion refused",
                metadata: ["tenant": .string(database.tenant.slug), "passkey": .string(passkey.id), "reason": .string(error.description)])
            if case .userNotVerified = error {
                throw PasskeyRefusal(message: "Signing in with a passkey alone needs your device's screen lock (PIN or biometrics).")
            }
            throw refused
        }
        guard try await database.recordWebAuthnChallenge(challenge, expiresAt: expiry),
            try await database.recordPasskeyUse(
                id: passkey.id, expected: passkey.signCount, signCount: verified.signCount, backupState: verified.backupState, at: clock.now)
        else { throw refused }
        return (passkey, verified)
    }

    /// Verifies a registration posted by the script (§7.1) and stores the passkey for `user`.
    /// - Throws: ``PasskeyRefusal`` with a sentence for the page.
    func registerPasskey(
        _ form: FormParameters, _ rp: PasskeyRelyingParty, binding: String, user: User, database: any TenantHandle
    ) async throws -> Passkey {
        func field(_ name: String, limit: Int) -> [UInt8]? { form.passkeyBytes(name, limit: limit) }
        let name = (form["name"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard Passkey.isAcceptableName(name) else {
            throw PasskeyRefusal(message: "The name must be at most \(Passkey.maximumNameLength) characters.")
        }
        guard let challenge = field("challenge", limit: 64),
            let expiry = passkeyChallengeExpiry(challenge, database.tenant, purpose: .register, binding: binding)
        else { throw PasskeyRefusal(message: "The passkey request expired. Try again.") }
        guard let clientData = field("client_data_json", limit: Self.passkeyFieldLimit),
            let attestation = field("attestation_object", limit: Self.attestationObjectLimit)
        else { throw PasskeyRefusal(message: "Your browser sent no passkey. Try again.") }
        let credential: RegisteredCredential
        let requirement = rp.attestation
        do {
            credential = try WebAuthnCeremony.verifyRegistration(
                .init(clientDataJSON: clientData, attestationObject: attestation),
                expecting: .init(challenge: challenge, origin: rp.origin, rpID: rp.id, requireUserVerification: false),
                attestation: requirement)
        } catch {
            logger.warning("passkey registration refused", metadata: ["tenant": .string(database.tenant.slug), "reason": .string(error.description)])
            switch error {
            case .attestationNotTrusted, .attestationInvalid, .unsupportedAttestationFormat:
                guard requirement == nil else {
                    throw PasskeyRefusal(message: "This kind of passkey is not accepted here. Use a security key your organization approved.")
                }
                throw PasskeyRefusal(message: "That passkey could not be registered. Try again.")
            default: throw PasskeyRefusal(message: "That passkey could not be registered. Try again.")
            }
        }
        guard try await database.recordWebAuthnChallenge(challenge, expiresAt: expiry) else {
            throw PasskeyRefusal(message: "The passkey request expired. Try again.")
        }
        let now = clock.now
        let passkey = Passkey(
            id: Passkey.newID(at: now), userID: user.id, credentialID: credential.credentialID, publicKey: credential.publicKey,
            algorithm: credential.algorithm.rawValue, signCount: credential.signCount, aaguid: credential.aaguid,
            name: name.isEmpty ? "Passkey" : name, backupEligible: credential.backupEligible, backupState: credential.backupState, createdAt: now,
            attested: requirement != nil)
        guard try await database.insertPasskey(passkey) else { throw PasskeyRefusal(message: "This passkey is already registered.") }
        return passkey
    }

    /// The RFC 8176 methods of a passkey sign-in: the key's kind (`hwk` or `swk`), `user` (the
    /// authenticator tested the user's presence) and, when it verified the user (PIN or
    /// biometrics, §6.2.3), `mfa`: possession of the key and the user's knowledge or body.
    static func passkeyAMR(_ passkey: Passkey, _ assertion: VerifiedAssertion) -> [String] {
        [passkey.amrMethod, "user"] + (assertion.userVerified ? ["mfa"] : [])
    }

    /// The ceremony code (ES5, no `eval`, nothing from the page but the elements it looks up by id):
    /// `o` is the data of ``passkeyScript(mode:options:action:fields:)``. `register` calls
    /// `navigator.credentials.create` from `#passkey-button`; `signin` and `second-factor` call
    /// `navigator.credentials.get` from the button, and `signin` also offers the passkeys in the
    /// email field's autofill (conditional mediation, when the browser has it).
    static let passkeyScriptBody = """
        if(!window.PublicKeyCredential||!navigator.credentials)return;\
        function e(b){var s='',a=new Uint8Array(b);for(var i=0;i<a.length;i++)s+=String.fromCharCode(a[i]);\
        return btoa(s).replace(/\\+/g,'-').replace(/\\//g,'_').replace(/=+$/,'');}\
        function d(s){s=s.replace(/-/g,'+').replace(/_/g,'/');while(s.length%4)s+='=';var b=atob(s),a=new Uint8Array(b.length);\
        for(var i=0;i<b.length;i++)a[i]=b.charCodeAt(i);return a;}\
        function post(x){var f=document.createElement('form'),k,v;f.method='post';f.action=o.action;x.challenge=o.challenge;\
        for(k in o.fields)x[k]=o.fields[k];for(k in x){v=document.createElement('input');v.type='hidden';v.name=k;v.value=x[k];\
        f.appendChild(v);}document.body.appendChild(f);f.submit();}\
        function ids(l){return l.map(function(i){return{type:'public-key',id:d(i)};});}\
        function fail(x){if(x&&x.name==='AbortError')return;var m=document.getElementById('passkey-error');\
        if(m){m.textContent='No passkey was used. Try again, or use another way.';m.hidden=false;}}\
        var pending=null;\
        function get(mediation){var r={publicKey:{challenge:d(o.challenge),rpId:o.rpId,userVerification:o.uv,timeout:300000,\
        allowCredentials:ids(o.allow)}};if(mediation){pending=new AbortController();r.mediation=mediation;r.signal=pending.signal;}\
        return navigator.credentials.get(r).then(function(c){if(!c)return;var p=c.response;post({credential_id:e(c.rawId),\
        client_data_json:e(p.clientDataJSON),authenticator_data:e(p.authenticatorData),signature:e(p.signature),\
        user_handle:p.userHandle?e(p.userHandle):''});});}\
        function create(){var n=document.getElementById('passkey-name');return navigator.credentials.create({publicKey:{\
        challenge:d(o.challenge),rp:{id:o.rpId,name:o.rpName},user:{id:d(o.userId),name:o.userName,displayName:o.userDisplay},\
        pubKeyCredParams:[{type:'public-key',alg:-8},{type:'public-key',alg:-7},{type:'public-key',alg:-257}],\
        authenticatorSelection:{residentKey:'required',requireResidentKey:true,userVerification:o.uv},attestation:o.attestation,\
        excludeCredentials:ids(o.exclude||[]),timeout:300000}}).then(function(c){post({client_data_json:e(c.response.clientDataJSON),\
        attestation_object:e(c.response.attestationObject),name:n?n.value:''});});}\
        var b=document.getElementById('passkey-button');\
        if(b){b.hidden=false;b.addEventListener('click',function(){if(pending){pending.abort();pending=null;}\
        (o.mode==='register'?create():get(null)).catch(fail);});}\
        if(o.mode==='signin'&&o.conditional&&PublicKeyCredential.isConditionalMediationAvailable){\
        PublicKeyCredential.isConditionalMediationAvailable().then(function(ok){if(ok)get('conditional').catch(function(){});});}
        """
}
