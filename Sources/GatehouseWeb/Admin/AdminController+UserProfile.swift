import Foundation
import GatehouseCore

extension AdminController {
    /// The profile members of a user create or update: `phone_number` (E.164, `null` removes it),
    /// `phone_number_verified` (boolean; a new number is unverified unless the request says
    /// otherwise) and `address` (OIDC Core §5.1.1: an object of `formatted`, `street_address`,
    /// `locality`, `region`, `postal_code`, `country` strings of at most 500 characters, at least
    /// one; `null` removes it). Problems are collected in `input` (422 naming the member).
    static func applyProfileFields(_ input: inout JSONInput, to user: inout User) {
        let previousNumber = user.phoneNumber
        if input.isNull("phone_number") {
            user.phoneNumber = nil
        } else if let number = input.string("phone_number", maxLength: 16) {
            if PhoneNumber.isValid(number) {
                user.phoneNumber = number
            } else {
                input.fail("phone_number", "must be an E.164 number: + and 7 to 15 digits, e.g. +14155550123")
            }
        }
        if user.phoneNumber != previousNumber { user.phoneNumberVerified = false }
        if let verified = input.bool("phone_number_verified") {
            if verified, user.phoneNumber == nil {
                input.fail("phone_number_verified", "needs a phone_number")
            } else {
                user.phoneNumberVerified = verified
            }
        }
        if input.isNull("address") {
            user.address = nil
        } else if input.has("address"), let members = input.decode([String: JSONValue].self, "address", expected: "a JSON object") {
            if let address = postalAddress(members, &input) { user.address = address }
        }
    }

    static func postalAddress(_ members: [String: JSONValue], _ input: inout JSONInput) -> PostalAddress? {
        var values: [String: String] = [:]
        for (name, value) in members {
            guard PostalAddress.memberNames.contains(name) else {
                input.fail("address.\(name)", "is not an address member (\(PostalAddress.memberNames.joined(separator: ", ")))")
                continue
            }
            guard case .string(let text) = value, !text.isEmpty, text.unicodeScalars.count <= PostalAddress.maximumLength,
                !text.unicodeScalars.contains("\u{0}")
            else {
                input.fail("address.\(name)", "must be a non-empty string of at most \(PostalAddress.maximumLength) characters")
                continue
            }
            values[name] = text
        }
        let address = PostalAddress(
            formatted: values["formatted"], streetAddress: values["street_address"], locality: values["locality"],
            region: values["region"], postalCode: values["postal_code"], country: values["country"])
        if address.isEmpty, members.isEmpty { input.fail("address", "needs at least one member (or null to remove it)") }
        return address.isEmpty ? nil : address
    }
}
