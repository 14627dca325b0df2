import Foundation

/// Who may change whose membership in self-service (the account console's organization pages and
/// the headless `/v1/organizations/…` routes; docs/contract.md A8). The admin API is not bound by
/// these rules: its admin scopes decide there.
///
/// - An `owner` or `admin` lists members, removes members and changes roles.
/// - An `admin` moves members only between roles other than `owner`: only an `owner` grants
///   `owner` or changes (or removes) an owner.
/// - Anyone leaves on their own.
/// - The last-owner rule ("an organization always keeps one owner") is not decided here: the store
///   decides it atomically with the change (`MembershipChange.lastOwner`).
/// - Someone who is not a member of the organization learns nothing about it: callers answer 404,
///   not 403, before consulting these rules.
public enum MembershipManagement {
    /// Why a member may not make a change.
    public enum Refusal: Error, Sendable, Equatable {
        /// The acting member's role is neither `owner` nor `admin`.
        case notManager
        /// The change grants or takes away `owner`, or removes an owner: only an owner may.
        case ownerOnly

        /// A sentence for the user.
        public var message: String {
            switch self {
            case .notManager: "Only the organization's owners and admins manage its members."
            case .ownerOnly: "Only an owner can make someone an owner, or change or remove an owner."
            }
        }
    }

    /// Whether a member holding `role` manages the organization's members (`owner`, `admin`).
    public static func manages(_ role: String) -> Bool {
        role == OrganizationRole.owner || role == OrganizationRole.admin
    }

    /// Checks that a member holding `actor` may move a member from `current` to `new`.
    /// - Returns: nil when allowed.
    public static func refusalToChangeRole(actor: String, from current: String, to new: String) -> Refusal? {
        guard manages(actor) else { return .notManager }
        if (current == OrganizationRole.owner || new == OrganizationRole.owner) && actor != OrganizationRole.owner {
            return .ownerOnly
        }
        return nil
    }

    /// Checks that a member holding `actor` may remove a member holding `target`.
    /// - Returns: nil when allowed.
    public static func refusalToRemove(actor: String, target: String) -> Refusal? {
        guard manages(actor) else { return .notManager }
        if target == OrganizationRole.owner && actor != OrganizationRole.owner { return .ownerOnly }
        return nil
    }
}
