import Foundation

/// Client lookup, as the protocol core needs it (authorization and token endpoints).
public protocol ClientStore: Sendable {
    /// The client whose publishable key is `clientID` (`pk_…`), or nil (deleted clients are nil).
    func client(clientID: String) async throws -> Client?
}

/// Client administration (admin API, account console). Creating and deleting a client also
/// changes the instance's client index, so those go through GatehouseStore's `InstanceStore`
/// (`registerClient(_:in:)`, `deleteClient(clientID:in:)`), not through this protocol.
public protocol ClientAdminStore: ClientStore {
    /// Replaces a client's mutable fields (all but its id, key and creation time).
    func updateClient(_ client: Client) async throws
    /// Every client of the tenant, in a stable order.
    func listClients() async throws -> [Client]
    /// The built-in client named `builtin` (e.g. `account-console`), if it exists.
    func builtinClient(_ builtin: String) async throws -> Client?
}
