import Foundation
import GatehouseAdminAPI
import GatehouseCrypto
import Testing

/// Sources/GatehouseAdminAPI/Generated/ is committed output of scripts/generate-openapi-client:
/// editing docs/openapi.json or the generator's configuration without running it again fails here.
@Suite("Admin API client: the generated code")
struct GeneratedClientTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("Generated/ was made from docs/openapi.json as it is (run scripts/generate-openapi-client after editing it)")
    func generatedFromTheDocument() throws {
        let document = try Data(contentsOf: Self.repositoryRoot.appendingPathComponent("docs/openapi.json"))
        let config = try Data(
            contentsOf: Self.repositoryRoot.appendingPathComponent("scripts/openapi-generator/openapi-generator-config.yaml"))
        let digest = Digest.sha256(Array(document) + Array(config)).map { String(format: "%02x", $0) }.joined()
        #expect(AdminAPIDocumentDigest.sha256 == digest)
    }

    @Test("an open request body encodes only the fields set, under the document's names")
    func openBodiesLeaveOutAbsentFields() throws {
        var settings = OpenTenantSettingsInput()
        settings.mfaPolicy = "sometimes"
        settings.sessionTtl = 3600
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(String(decoding: try encoder.encode(settings), as: UTF8.self) == #"{"mfa_policy":"sometimes","session_ttl":3600}"#)
        #expect(OpenClientFields().isEmpty && !settings.isEmpty)
    }
}
