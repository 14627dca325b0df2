import Foundation

/// Authorization interactions (the login and consent steps of one authorization request) and
/// remembered consent.
public protocol InteractionStore: Sendable {
    /// Stores a new interaction. - Throws: on a duplicate id.
    func insertInteraction(_ interaction: Interaction) async throws
    func interaction(id: String) async throws -> Interaction?
    /// Stores an interaction's progress: only `userID`, `loginDone` and `consentDone` change.
    func updateInteraction(_ interaction: Interaction) async throws
    func deleteInteraction(id: String) async throws
    /// Consumes an interaction and stores the grant with its authorization code, in one
    /// transaction: the interaction is consumed once, so of two concurrent submissions of its
    /// last step only one gets a code (RFC 6749 §10.5: codes are single use; RFC 9700 §4.2).
    /// - Returns: false, storing nothing, when the interaction was already consumed or is unknown.
    func consumeInteraction(id: String, issuing grant: Grant, code: AuthorizationCode) async throws -> Bool
    /// The consent a user gave a client, if any.
    func consent(userID: UserID, clientID: String) async throws -> Consent?
    /// Creates or replaces the consent of `consent.userID` for `consent.clientID`.
    func saveConsent(_ consent: Consent) async throws
}
