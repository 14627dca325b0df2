import Logging
import Testing

@testable import GatehouseWeb

/// Request ids: 16 base64url characters, unique, not sequential; the request's id reaches log
/// lines through the metadata provider while the request is served, and only then.
struct RequestIDTests {
    @Test("ids are 16 base64url characters, unique over 100,000, and share no visible counter")
    func ids() {
        let ids = (0..<100_000).map { _ in RequestIDs.next() }
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.count == 16 && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" } })
        // The last characters of consecutive ids differ everywhere, not only at the end.
        #expect(Set(ids.prefix(1000).map { $0.dropFirst(6).prefix(4) }).count > 900)
    }

    @Test("the metadata provider names the current request's id and nothing outside a request")
    func provider() {
        #expect(RequestIDs.metadataProvider.get().isEmpty)
        RequestIDs.$current.withValue("abc") {
            #expect(RequestIDs.metadataProvider.get()["request_id"] == .string("abc"))
        }
    }
}
