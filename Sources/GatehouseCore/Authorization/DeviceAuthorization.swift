import Foundation
import GatehouseCrypto

/// One device authorization request (RFC 8628 §3.1–§3.5), as stored: its device code and user
/// code by SHA-256 only, what the user decided, and the polling state of the token endpoint.
public struct DeviceAuthorization: Sendable, Equatable {
    /// What the user decided on the verification page (RFC 8628 §3.3).
    public enum Status: String, Sendable, Equatable {
        case pending, approved, denied
    }

    /// SHA-256 of the `device_code`.
    public var deviceCodeHash: [UInt8]
    /// SHA-256 of the normalized user code (``DeviceFlow/normalizedUserCode(_:)``: 8 letters, no dash).
    public var userCodeHash: [UInt8]
    public var clientID: String
    /// The scope the user is asked to approve, checked as at the authorization endpoint.
    public var scope: ScopeSet
    public var status: Status
    /// The grant made when the user approved; nil before and after a denial.
    public var grantID: GrantID?
    /// The current minimum polling interval in seconds (RFC 8628 §3.2 `interval`; §3.5 adds 5 per `slow_down`).
    public var interval: Int
    /// The last poll of the token endpoint, nil before the first.
    public var lastPolledAt: Date?
    public var expiresAt: Date
    public var createdAt: Date
    /// When the token endpoint issued tokens for it (once).
    public var redeemedAt: Date?

    public init(
        deviceCodeHash: [UInt8], userCodeHash: [UInt8], clientID: String, scope: ScopeSet, status: Status = .pending,
        grantID: GrantID? = nil, interval: Int, lastPolledAt: Date? = nil, expiresAt: Date, createdAt: Date, redeemedAt: Date? = nil
    ) {
        self.deviceCodeHash = deviceCodeHash
        self.userCodeHash = userCodeHash
        self.clientID = clientID
        self.scope = scope
        self.status = status
        self.grantID = grantID
        self.interval = interval
        self.lastPolledAt = lastPolledAt
        self.expiresAt = expiresAt
        self.createdAt = createdAt
        self.redeemedAt = redeemedAt
    }
}

/// The outcome of one poll of the token endpoint with a device code (RFC 8628 §3.4, §3.5).
public enum DevicePoll: Sendable, Equatable {
    /// No such device code for this client (at this tenant): `invalid_grant`.
    case unknown
    /// Past `expires_in`: `expired_token`.
    case expired
    /// Polled sooner than the interval after the previous poll: `slow_down`; the interval, in
    /// seconds, is now `interval` (5 more than before, for this and every later poll).
    case slowDown(interval: Int)
    /// The user has not decided yet: `authorization_pending`.
    case pending
    /// The user denied: `access_denied`.
    case denied
    /// The user approved, and this poll redeems the device code: tokens are issued for the grant.
    case approved(GrantID)
    /// The device code was redeemed by an earlier poll: `invalid_grant`.
    case redeemed
}

/// Where device authorizations (RFC 8628) wait for the user and the polling client, per tenant.
public protocol DeviceAuthorizationStore: Sendable {
    /// Stores a new pending authorization.
    /// - Returns: false when a live authorization already has the same user code hash (the
    ///   caller draws another user code); true when stored.
    func insertDeviceAuthorization(_ authorization: DeviceAuthorization) async throws -> Bool
    /// The pending, unexpired authorization of a user code hash at `now`, or nil.
    func pendingDeviceAuthorization(userCodeHash: [UInt8], now: Date) async throws -> DeviceAuthorization?
    /// Records the user's decision on a pending, unexpired authorization (RFC 8628 §3.3): with a
    /// grant it is approved and the grant is stored in the same transaction; without, denied.
    /// - Returns: false (and nothing stored) when it is no longer pending or has expired, so that
    ///   of two concurrent decisions one wins.
    func decideDeviceAuthorization(userCodeHash: [UInt8], approving grant: Grant?, now: Date) async throws -> Bool
    /// One poll by `clientID` (RFC 8628 §3.4, §3.5), decided and recorded atomically: the
    /// interval check updates `lastPolledAt` (and on `slow_down` the interval grows by
    /// ``DeviceFlow/slowDownIncrement``); an approved authorization is redeemed exactly once, even
    /// by concurrent polls on any node.
    func pollDeviceAuthorization(deviceCodeHash: [UInt8], clientID: String, now: Date) async throws -> DevicePoll
}

/// The OAuth 2.0 Device Authorization Grant (RFC 8628): the device authorization endpoint and
/// its codes. The token endpoint's side is ``DeviceCodeGrant``; the verification page is in the web layer.
public enum DeviceFlow {
    /// RFC 8628 §3.2 `expires_in`, in seconds, unless the tenant's `device_code_ttl` says otherwise.
    public static let lifetime = 600
    /// RFC 8628 §3.2 `interval`, in seconds.
    public static let interval = 5
    /// RFC 8628 §3.5: `slow_down` increases the interval by 5 seconds.
    public static let slowDownIncrement = 5
    /// RFC 8628 §6.1: the user code alphabet, consonants without vowels, so that no word is spelled.
    public static let userCodeAlphabet: [Character] = Array("BCDFGHJKLMNPQRSTVWXZ")
    /// Letters of a user code (20^8 ≈ 2^34.6 codes; RFC 8628 §6.1 with the rate limit of the page).
    public static let userCodeLength = 8

    /// A new user code, shown as `XXXX-XXXX` (RFC 8628 §6.1).
    public static func makeUserCode() -> String {
        let letters = (0..<userCodeLength).map { _ in userCodeAlphabet[Int(SecureRandom.uniform(UInt32(userCodeAlphabet.count)))] }
        return String(letters[0..<4]) + "-" + String(letters[4...])
    }

    /// What the user typed, as stored: upper-cased, without dashes and spaces (RFC 8628 §6.1:
    /// case-insensitive, punctuation optional). nil unless 8 letters of the alphabet remain.
    public static func normalizedUserCode(_ input: String) -> String? {
        guard input.utf8.count <= 64 else { return nil }
        let letters = input.uppercased().filter { $0 != "-" && $0 != " " }
        guard letters.count == userCodeLength, letters.allSatisfy(userCodeAlphabet.contains) else { return nil }
        return letters
    }

    /// The lookup hash of a normalized user code.
    public static func userCodeHash(_ normalized: String) -> [UInt8] { SecretHash.of(normalized) }

    /// The device authorization response (RFC 8628 §3.2).
    public struct Response: Codable, Sendable, Equatable {
        public let deviceCode: String
        /// `XXXX-XXXX`.
        public let userCode: String
        public let verificationURI: String
        /// `verification_uri` with the user code as query parameter `user_code` (§3.3.1).
        public let verificationURIComplete: String
        /// Seconds.
        public let expiresIn: Int
        /// Seconds.
        public let interval: Int
        enum CodingKeys: String, CodingKey {
            case deviceCode = "device_code"
            case userCode = "user_code"
            case verificationURI = "verification_uri"
            case verificationURIComplete = "verification_uri_complete"
            case expiresIn = "expires_in"
            case interval
        }
    }

    /// Handles a request at the device authorization endpoint (RFC 8628 §3.1, §3.2).
    ///
    /// The client authenticates as at the token endpoint (``ClientAuthentication``; a public
    /// client by `client_id`), must be registered for ``GrantType/deviceCode``, and `scope` is
    /// checked as at the authorization endpoint (``AuthorizationEndpoint/permittedScope(_:client:)``).
    /// - Parameter verificationURI: `{issuer}/device`.
    /// - Throws: `invalid_request` for a duplicated parameter; `invalid_client` (401) for failed
    ///   authentication; `unauthorized_client` for a client without the grant type or one whose
    ///   authorizations require an organization; `invalid_scope`, also for `organization` (the
    ///   grant is personal) (RFC 8628 §3.2 uses RFC 6749 §5.2's codes).
    public static func authorize(
        parameters: FormParameters, authorization: String?, context: TokenContext, store: any DeviceAuthorizationStore,
        verificationURI: String
    ) async throws -> Response {
        try parameters.rejectDuplicates()
        let now = context.now
        let client = try await ClientAuthentication.authenticate(
            authorization: authorization, parameters: parameters, now: now, assertions: context.clientAssertions,
            findClient: context.store.client(clientID:)
        ).client
        guard client.grantTypes.contains(.deviceCode) else {
            throw OAuthError.unauthorizedClient("client is not allowed to use the device authorization grant")
        }
        // The verification page has no organization step (docs/contract.md A8): the grant is personal.
        guard !client.organizationRequired else {
            throw OAuthError.unauthorizedClient("a client whose authorizations require an organization cannot use the device grant")
        }
        let scope = try AuthorizationEndpoint.permittedScope(parameters["scope"], client: client)
        if scope.contains(StandardScope.organization) {
            throw OAuthError.invalidScope("the organization scope is not available with the device grant")
        }
        let deviceCode = RandomText.bearerSecret()
        let lifetime = context.settings.deviceCodeTTL
        for _ in 0..<4 {
            let userCode = makeUserCode()
            let record = DeviceAuthorization(
                deviceCodeHash: SecretHash.of(deviceCode), userCodeHash: userCodeHash(normalizedUserCode(userCode)!),
                clientID: client.clientID, scope: scope, interval: interval,
                expiresAt: now.addingTimeInterval(TimeInterval(lifetime)), createdAt: now)
            if try await store.insertDeviceAuthorization(record) {
                return Response(
                    deviceCode: deviceCode, userCode: userCode, verificationURI: verificationURI,
                    verificationURIComplete: verificationURI + "?user_code=" + userCode, expiresIn: lifetime, interval: interval)
            }
        }
        throw OAuthError(.temporarilyUnavailable, "no free user code; try again")
    }
}

extension DeviceAuthorization {
    /// Decides one poll by `clientID` at `now` (RFC 8628 §3.4, §3.5); every backend stores the
    /// returned record (when not nil) in the same transaction in which it read this one.
    ///
    /// Another client's code is ``DevicePoll/unknown``; a redeemed one ``DevicePoll/redeemed``; past
    /// `expiresAt` ``DevicePoll/expired``. Otherwise the poll is recorded: sooner than `interval`
    /// seconds after the previous poll it is `slow_down` and the interval grows by
    /// ``DeviceFlow/slowDownIncrement``; else the user's decision, and an approval is redeemed now.
    public func poll(clientID: String, now: Date) -> (outcome: DevicePoll, updated: DeviceAuthorization?) {
        guard clientID == self.clientID else { return (.unknown, nil) }
        if redeemedAt != nil { return (.redeemed, nil) }
        guard now < expiresAt else { return (.expired, nil) }
        var next = self
        next.lastPolledAt = now
        if let last = lastPolledAt, now < last.addingTimeInterval(TimeInterval(interval)) {
            next.interval += DeviceFlow.slowDownIncrement
            return (.slowDown(interval: next.interval), next)
        }
        switch status {
        case .pending: return (.pending, next)
        case .denied: return (.denied, next)
        case .approved:
            guard let grantID else { return (.unknown, nil) }
            next.redeemedAt = now
            return (.approved(grantID), next)
        }
    }
}
