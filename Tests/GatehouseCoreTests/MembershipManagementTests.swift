import GatehouseCore
import Testing

/// The self-service rules of organization membership (docs/contract.md A8): owners and admins
/// manage members, only an owner grants, changes or removes `owner`.
@Suite("Membership management rules (docs/contract.md A8)")
struct MembershipManagementTests {
    typealias Rules = MembershipManagement

    @Test(
        "role changes: (actor, from, to) → refusal",
        arguments: [
            ("owner", "member", "admin", nil),
            ("owner", "member", "owner", nil),
            ("owner", "owner", "admin", nil),
            ("owner", "admin", "billing", nil),
            ("admin", "member", "admin", nil),
            ("admin", "admin", "member", nil),
            ("admin", "member", "billing", nil),
            ("admin", "member", "owner", Rules.Refusal.ownerOnly),
            ("admin", "owner", "member", .ownerOnly),
            ("admin", "owner", "admin", .ownerOnly),
            ("admin", "admin", "owner", .ownerOnly),
            ("member", "member", "admin", .notManager),
            ("member", "member", "member", .notManager),
            ("billing", "member", "billing", .notManager),
        ] as [(String, String, String, Rules.Refusal?)])
    func roleChanges(actor: String, from: String, to: String, expected: Rules.Refusal?) {
        #expect(Rules.refusalToChangeRole(actor: actor, from: from, to: to) == expected)
    }

    @Test(
        "removals: (actor, target) → refusal",
        arguments: [
            ("owner", "owner", nil),
            ("owner", "admin", nil),
            ("owner", "member", nil),
            ("admin", "admin", nil),
            ("admin", "member", nil),
            ("admin", "billing", nil),
            ("admin", "owner", Rules.Refusal.ownerOnly),
            ("member", "member", .notManager),
            ("billing", "member", .notManager),
        ] as [(String, String, Rules.Refusal?)])
    func removals(actor: String, target: String, expected: Rules.Refusal?) {
        #expect(Rules.refusalToRemove(actor: actor, target: target) == expected)
    }

    @Test("only owners and admins manage; refusals read as sentences")
    func managers() {
        #expect(Rules.manages("owner") && Rules.manages("admin"))
        #expect(!Rules.manages("member") && !Rules.manages("billing") && !Rules.manages("Owner"))
        #expect(Rules.Refusal.ownerOnly.message.hasSuffix("."))
        #expect(Rules.Refusal.notManager.message.hasSuffix("."))
    }
}
