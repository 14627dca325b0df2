import Foundation
import GatehouseCore
import GatehouseCrypto

/// Model values for store tests. Every secret is random; only its SHA-256 is handed to the store,
/// as the web layer does.
enum Seed {
    static func user(email: String = "alice-\(RandomText.base62(count: 6))@example.com", at now: Date) -> User {
        User(
            id: .generate(at: now), email: email.lowercased(), emailVerified: true, name: "Alice",
            passwordHash: "$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g", createdAt: now, updatedAt: now)
    }

    static func client(type: ClientType = .confidential, at now: Date) -> Client {
        Client(
            id: .generate(at: now), clientID: ClientKeys.publishableKey(environment: .dev), name: "Test App", type: type,
            secretHash: type == .confidential ? SecretHash.of(ClientKeys.secretKey(environment: .dev)) : nil,
            redirectURIs: ["https://app.example.com/callback"], postLogoutRedirectURIs: [],
            grantTypes: [.authorizationCode, .refreshToken], firstParty: false, allowedScopes: nil, createdAt: now)
    }

    static func session(user: UserID, at now: Date, lifetime: TimeInterval = 3600) -> Session {
        Session(
            id: .generate(at: now), tokenHash: hash(), userID: user, authTime: now, amr: ["pwd"], createdAt: now,
            expiresAt: now.addingTimeInterval(lifetime))
    }

    static func grant(client: String, user: UserID, session: SessionID?, scope: ScopeSet = ["openid", "email"], at now: Date) -> Grant {
        Grant(
            id: .generate(at: now), clientID: client, userID: user, sessionID: session, scope: scope, authTime: now,
            amr: ["pwd"], nonce: "n-0S6_WzA2Mj", createdAt: now)
    }

    static func code(for grant: Grant, at now: Date, lifetime: TimeInterval = 60) -> AuthorizationCode {
        AuthorizationCode(
            codeHash: hash(), grantID: grant.id, clientID: grant.clientID,
            redirectURI: "https://app.example.com/callback", redirectURIWasSent: true,
            codeChallenge: PKCE.s256Challenge(for: SecureRandom.token()), expiresAt: now.addingTimeInterval(lifetime))
    }

    static func refreshToken(for grant: GrantID, at now: Date, lifetime: TimeInterval = 86400) -> RefreshToken {
        RefreshToken(tokenHash: hash(), grantID: grant, issuedAt: now, expiresAt: now.addingTimeInterval(lifetime))
    }

    static func interaction(client: String, at now: Date) -> Interaction {
        let request = AuthorizationRequest(
            clientID: client, redirectURI: "https://app.example.com/callback", redirectURIWasSent: true, responseMode: .query,
            scope: ["openid", "email"], state: "af0ifjsldkj", nonce: "n-0S6_WzA2Mj",
            codeChallenge: PKCE.s256Challenge(for: SecureRandom.token()), prompt: [], maxAge: nil, loginHint: nil)
        return Interaction(
            id: SecureRandom.token(), csrfToken: SecureRandom.token(), browserBindingHash: hash(), request: request,
            createdAt: now, expiresAt: now.addingTimeInterval(Interaction.lifetime))
    }

    /// SHA-256 of a fresh random bearer secret.
    static func hash() -> [UInt8] { SecretHash.of(RandomText.bearerSecret()) }
}
