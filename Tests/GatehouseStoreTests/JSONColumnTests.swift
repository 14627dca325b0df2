import Foundation
import GatehouseCore
@testable import GatehouseStore
import Testing

/// ``JSONColumn/decode(_:_:)`` answers `{}` and `[]` without a decoder for the mostly empty columns;
/// the answer must be the decoder's.
@Suite("JSON columns: empty values without a decoder run")
struct JSONColumnTests {
    static func decoded<T: Decodable>(_ type: T.Type, _ text: String) -> T? {
        try? JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    @Test("{} and [] decode as JSONDecoder decodes them, for each type with a shortcut")
    func emptyValues() throws {
        #expect(JSONColumn.empty([String: JSONValue].self, "{}") == Self.decoded([String: JSONValue].self, "{}"))
        #expect(JSONColumn.empty([String: CustomClaim].self, "{}") == Self.decoded([String: CustomClaim].self, "{}"))
        #expect(JSONColumn.empty([String].self, "[]") == Self.decoded([String].self, "[]"))
        let profile = try #require(JSONColumn.empty(UserProfileColumn.Stored.self, "{}"))
        let decodedProfile = try #require(Self.decoded(UserProfileColumn.Stored.self, "{}"))
        #expect(profile.phoneNumber == decodedProfile.phoneNumber && profile.address == decodedProfile.address)
        #expect(profile.phoneNumberVerified == decodedProfile.phoneNumberVerified)
        // No shortcut: other types and other text go to the decoder.
        #expect(JSONColumn.empty([String].self, "{}") == nil && JSONColumn.empty([Int].self, "[]") == nil)
        #expect(JSONColumn.decode([String].self, "[\"pwd\"]") == ["pwd"])
        #expect(JSONColumn.decode([String: JSONValue].self, "[]") == nil)
    }
}
