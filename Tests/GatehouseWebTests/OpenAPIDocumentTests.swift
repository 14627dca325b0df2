import Foundation
import GatehouseCore
@testable import GatehouseWeb
import Hummingbird
import Logging
import Testing

/// docs/openapi.json is the API's source: the binary serves it as built in, and it lists exactly
/// the admin and headless routes the router registers — adding a route without documenting it,
/// or documenting one that does not exist, fails here.
@Suite("Web: the OpenAPI document")
struct OpenAPIDocumentTests {
    static let source = repositoryRoot.appendingPathComponent("docs/openapi.json")

    @Test("the built-in document is docs/openapi.json (run scripts/generate-embedded after editing it)")
    func embeddedMatchesTheFile() throws {
        let text = try String(contentsOf: Self.source, encoding: .utf8)
        #expect(AdminOpenAPI.document == text.trimmingCharacters(in: .newlines))
    }

    /// `/admin/v1/tenants/:slug` and `/admin/v1/tenants/{slug}` → `/admin/v1/tenants/{}`.
    static func normalized(_ path: String) -> String {
        "/"
            + path.split(separator: "/").map { segment in
                segment.hasPrefix(":") || (segment.hasPrefix("{") && segment.hasSuffix("}")) ? "{}" : String(segment)
            }.joined(separator: "/")
    }

    @Test("the document lists exactly the admin and headless routes the router registers")
    func documentListsTheRoutes() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-openapi-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let services = try await makeServices(
            configuration: WebHarness.configuration(dataDirectory: directory), clock: SystemClock(),
            logger: Logger(label: "gatehouse.openapi-tests"))
        let registered = Set(
            buildRouter(services: services).routes.compactMap { route -> String? in
                let path = Self.normalized("\(route.path)")
                guard path.hasPrefix("/admin/v1/") || path.hasPrefix("/v1/") else { return nil }
                return "\(route.method.rawValue) \(path)"
            })
        let document = try #require(try JSONSerialization.jsonObject(with: Data(AdminOpenAPI.document.utf8)) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
        let documented = Set(
            paths.flatMap { path, item in
                item.keys.filter(methods.contains).map { "\($0.uppercased()) \(Self.normalized(path))" }
            })
        #expect(registered.subtracting(documented).isEmpty, "registered but not documented: \(registered.subtracting(documented).sorted())")
        #expect(documented.subtracting(registered).isEmpty, "documented but not registered: \(documented.subtracting(registered).sorted())")
        #expect(registered.count > 40)
    }
}
