import Foundation

/// The organization a sign-in acts within, once chosen (docs/contract.md A8): the user's personal
/// context, or one organization they are a member of. Stored in the interaction (browser) or the
/// pending sign-in (headless) as ``stored``, and finally in `Grant.organizationID`.
public enum OrganizationChoice: Sendable, Equatable, Hashable, Codable {
    case personal
    case organization(OrganizationID)

    /// The stored form: `personal`, or the organization id (`org_…`).
    public var stored: String {
        switch self {
        case .personal: Self.personalValue
        case .organization(let id): id.rawValue
        }
    }

    /// Reads ``stored``; nil for anything else.
    public init?(stored: String) {
        if stored == Self.personalValue {
            self = .personal
        } else if let id = OrganizationID(rawValue: stored) {
            self = .organization(id)
        } else {
            return nil
        }
    }

    /// The picker form's value for the personal context.
    public static let personalValue = "personal"

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let choice = Self(stored: try container.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an organization choice")
        }
        self = choice
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(stored)
    }

    /// The organization of a grant made with this choice; nil for the personal context.
    public var organizationID: OrganizationID? {
        if case .organization(let id) = self { return id }
        return nil
    }
}

/// One of the user's memberships, as far as the sign-in flow needs it (the picker's list and the
/// organization's MFA rule).
public struct OrganizationOption: Sendable, Equatable {
    public var id: OrganizationID
    public var slug: String
    public var name: String
    /// The organization requires a second factor of its members (`Organization.mfaRequired`).
    public var mfaRequired: Bool
    /// The member's role name.
    public var role: String

    public init(id: OrganizationID, slug: String, name: String, mfaRequired: Bool, role: String) {
        self.id = id
        self.slug = slug
        self.name = name
        self.mfaRequired = mfaRequired
        self.role = role
    }

    public init(organization: Organization, membership: Membership) {
        self.init(
            id: organization.id, slug: organization.slug, name: organization.name, mfaRequired: organization.mfaRequired,
            role: membership.role)
    }
}

extension [OrganizationOption] {
    /// The membership that `name` (an organization id or slug, as the `organization` parameter
    /// gives it) refers to; nil when the user is not a member of such an organization.
    public func named(_ name: String) -> OrganizationOption? {
        first { $0.id.rawValue == name || $0.slug == name }
    }
}

/// What a sign-in asks about organizations (docs/contract.md A8).
///
/// An organization context is requested by the scope `organization`, or always for a client with
/// `organizationRequired`. The parameter (or headless field) `organization` names one, by id or
/// slug, within such a request; `AuthorizationEndpoint` refuses it outside one (`invalid_request`),
/// so the parameter alone never turns a request into an organization request.
public struct OrganizationRequest: Sendable, Equatable {
    /// The sign-in chooses an organization context.
    public var requested: Bool
    /// The client requires an organization: no personal context, and a user without a membership
    /// is refused (`access_denied`).
    public var required: Bool
    /// The organization the request names: an organization id (`org_…`) or slug.
    public var named: String?

    public init(requested: Bool, required: Bool, named: String?) {
        self.requested = requested || required
        self.required = required
        self.named = named
    }

    /// The request of `scope` for `client`, naming `named`.
    public init(scope: ScopeSet, client: Client, named: String?) {
        self.init(requested: scope.contains(StandardScope.organization), required: client.organizationRequired, named: named)
    }

    /// No organization context is asked for.
    public static let none = OrganizationRequest(requested: false, required: false, named: nil)

    /// Whether `value` has the shape of an organization id or slug (the `organization` parameter,
    /// at most 128 bytes).
    public static func isWellFormedName(_ value: String) -> Bool {
        value.utf8.count <= 128 && (OrganizationID(rawValue: value) != nil || OrganizationSlug.isValid(value))
    }
}

/// The organization step of a sign-in (docs/contract.md A8), a pure decision over the user's
/// memberships: after the first factor (and email verification), before the second factor, since
/// an organization may require one (`Organization.mfaRequired`).
public enum OrganizationStep: Sendable, Equatable {
    /// No organization context was asked for: the grant is personal and carries no `org_id`.
    case notRequested
    /// Acting within this choice; `mfaRequired` when the chosen organization requires a second factor.
    case chosen(OrganizationChoice, mfaRequired: Bool)
    /// Several memberships and none named: the user picks (the picker page).
    case ask
    /// A headless sign-in with several memberships and none named: the app must send `organization`.
    case unnamed
    /// Refused (`access_denied`, with a description): the client requires an organization and the
    /// user has none, or the named or chosen organization is not one of the user's.
    case refused(OAuthError)

    /// Decides the step.
    /// - Parameters:
    ///   - request: what the sign-in asks.
    ///   - memberships: the user's organizations.
    ///   - chosen: what the user chose earlier in this sign-in (the picker), if anything.
    ///   - canAsk: a picker can be shown (browser sign-ins); a headless sign-in cannot.
    ///
    /// A named organization the user is not a member of is refused like one that does not exist,
    /// so the answer never reveals which organizations exist. One membership is chosen without
    /// asking, even when the client would allow a personal context.
    public static func decide(
        _ request: OrganizationRequest, memberships: [OrganizationOption], chosen: OrganizationChoice?, canAsk: Bool
    ) -> OrganizationStep {
        guard request.requested else { return .notRequested }
        let notMember = OAuthError.accessDenied("the user is not a member of the requested organization")
        if let chosen {
            switch chosen {
            case .personal:
                return request.required ? .refused(requiresOrganization) : .chosen(.personal, mfaRequired: false)
            case .organization(let id):
                guard let option = memberships.first(where: { $0.id == id }) else { return .refused(notMember) }
                return .chosen(chosen, mfaRequired: option.mfaRequired)
            }
        }
        if let named = request.named {
            guard let option = memberships.named(named) else {
                return .refused(notMember)
            }
            return .chosen(.organization(option.id), mfaRequired: option.mfaRequired)
        }
        switch memberships.count {
        case 0:
            return request.required
                ? .refused(.accessDenied("this application requires an organization and the user is not a member of any"))
                : .chosen(.personal, mfaRequired: false)
        case 1:
            return .chosen(.organization(memberships[0].id), mfaRequired: memberships[0].mfaRequired)
        default:
            return canAsk ? .ask : .unnamed
        }
    }

    static let requiresOrganization = OAuthError.accessDenied("this application requires acting within an organization")
}
