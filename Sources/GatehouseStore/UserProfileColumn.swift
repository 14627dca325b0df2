import Foundation
import GatehouseCore

/// The `users.profile` column of both backends: a JSON object with the members a user has of
/// `phone_number`, `phone_number_verified` and `address` (OIDC Core §5.1).
enum UserProfileColumn {
    struct Stored: Codable {
        var phoneNumber: String?
        var phoneNumberVerified: Bool?
        var address: PostalAddress?

        enum CodingKeys: String, CodingKey {
            case address
            case phoneNumber = "phone_number"
            case phoneNumberVerified = "phone_number_verified"
        }
    }

    static func encode(_ user: User) -> String {
        JSONColumn.encode(
            Stored(phoneNumber: user.phoneNumber, phoneNumberVerified: user.phoneNumberVerified ? true : nil, address: user.address))
    }

    /// Sets `user`'s profile fields from the column's text (unknown or malformed text: none).
    static func apply(_ text: String?, to user: inout User) {
        guard let stored = JSONColumn.decode(Stored.self, text) else { return }
        user.phoneNumber = stored.phoneNumber
        user.phoneNumberVerified = stored.phoneNumberVerified ?? false
        user.address = stored.address
    }
}
