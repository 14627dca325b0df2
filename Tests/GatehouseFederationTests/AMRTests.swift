import GatehouseCore
import GatehouseFederation
import Testing

@Suite("Federated amr (RFC 8176)")
struct AMRTests {
    struct Row: Sendable, CustomTestStringConvertible {
        let description: String
        let upstream: [String]
        let trust: Bool
        let expected: [String]
        var testDescription: String { description }
    }

    @Test(arguments: [
        Row(description: "untrusted provider: fed only, even with upstream MFA", upstream: ["pwd", "otp"], trust: false, expected: ["fed"]),
        Row(description: "trusted, upstream shows mfa: fed + upstream methods", upstream: ["pwd", "mfa"], trust: true, expected: ["fed", "pwd", "mfa"]),
        Row(description: "trusted, password and OTP count as MFA, mfa added", upstream: ["pwd", "otp"], trust: true, expected: ["fed", "pwd", "otp", "mfa"]),
        Row(description: "trusted, password only is not MFA", upstream: ["pwd"], trust: true, expected: ["fed"]),
        Row(description: "trusted, OTP alone is not MFA", upstream: ["otp"], trust: true, expected: ["fed"]),
        Row(description: "trusted, no upstream amr", upstream: [], trust: true, expected: ["fed"]),
    ])
    func federatedAMR(_ row: Row) {
        #expect(FederatedAMR.amr(upstream: row.upstream, trustUpstreamMFA: row.trust) == row.expected)
    }
}
