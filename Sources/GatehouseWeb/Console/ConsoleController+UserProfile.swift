import Foundation
import GatehouseCore
import Hummingbird

/// The console user page's profile form: the phone number and postal address released with the
/// `phone` and `address` scopes (OIDC Core §5.1, §5.4), saved through the admin API's rules
/// (`AdminController.applyProfileFields`) and recorded as `user.updated`.
extension ConsoleController {
    /// The address members the form edits, in its order.
    static let addressFields = ["street_address", "locality", "region", "postal_code", "country"]

    /// Saves `phone_number` (empty: none), `phone_number_verified` (a checkbox) and the address
    /// members (all empty: none); a refused form changes nothing and shows the errors by field.
    func saveProfile(
        _ page: TenantPage, _ form: FormParameters, _ user: User, _ request: Request, _ context: AppRequestContext
    ) async throws -> Response {
        let phone = (form["phone_number"] ?? "").trimmingCharacters(in: .whitespaces)
        var address: [String: JSONValue] = [:]
        for name in Self.addressFields {
            let value = (form[name] ?? "").trimmingCharacters(in: .whitespaces)
            if !value.isEmpty { address[name] = .string(value) }
        }
        let sent: [String: JSONValue] = [
            "phone_number": phone.isEmpty ? .null : .string(phone),
            "phone_number_verified": .bool(!phone.isEmpty && form["phone_number_verified"] == "on"),
            "address": address.isEmpty ? .null : .object(address),
        ]
        let problems = try await patchUser(sent, page, user, request, context)
        if problems.isEmpty { return redirect("\(page.path)/users/\(user.id.rawValue)?notice=profile", signedIn: page.signedIn) }
        var values = try await userValues(page, user)
        values["phone_number"] = form["phone_number"] ?? ""
        values["phone_number_verified"] = form["phone_number_verified"] == "on"
        for name in Self.addressFields { values[name] = form[name] ?? "" }
        Self.place(problems, in: &values)
        values["error"] = "Nothing was saved: correct the fields below."
        return self.page("admin_user", title: user.email, values: values, signedIn: page.signedIn, status: .unprocessableContent)
    }

    /// The profile form's values of `user`.
    static func profileValues(_ user: User) -> [String: Any] {
        let address = user.address
        return [
            "phone_number": user.phoneNumber ?? "", "phone_number_verified": user.phoneNumberVerified,
            "street_address": address?.streetAddress ?? "", "locality": address?.locality ?? "", "region": address?.region ?? "",
            "postal_code": address?.postalCode ?? "", "country": address?.country ?? "",
        ]
    }

    /// Saves a new `email` (kept when unchanged; a new one is unverified unless `email_verified`
    /// is checked) and a new `password` (empty: unchanged), through the admin API's rules: a new
    /// password ends the user's sessions and revokes their grants. Recorded as `user.updated`
    /// (the password never in the entry).
    func saveCredentials(
        _ page: TenantPage, _ form: FormParameters, _ user: User, _ request: Request, _ context: AppRequestContext
    ) async throws -> Response {
        var sent: [String: JSONValue] = [:]
        let email = (form["email"] ?? "").trimmingCharacters(in: .whitespaces)
        if email.lowercased() != user.email {
            sent["email"] = .string(email)
            sent["email_verified"] = .bool(form["email_verified"] == "on")
        }
        if let password = form["new_password"], !password.isEmpty { sent["password"] = .string(password) }
        guard !sent.isEmpty else { return redirect("\(page.path)/users/\(user.id.rawValue)", signedIn: page.signedIn) }
        let problems = try await patchUser(sent, page, user, request, context)
        if problems.isEmpty { return redirect("\(page.path)/users/\(user.id.rawValue)?notice=credentials", signedIn: page.signedIn) }
        var values = try await userValues(page, user)
        values["new_email"] = email
        Self.place(
            problems.map { .init(field: $0.field == "password" ? "new_password" : $0.field == "email" ? "new_email" : $0.field, message: $0.message) },
            in: &values)
        values["error"] = "Nothing was saved: correct the fields below."
        return self.page("admin_user", title: user.email, values: values, signedIn: page.signedIn, status: .unprocessableContent)
    }
}
