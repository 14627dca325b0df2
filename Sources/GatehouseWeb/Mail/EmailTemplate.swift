/// The emails Gatehouse sends. The raw value is the admin API name of the template
/// (`GET /admin/v1/tenants/{slug}/templates/email/verify`); the default lives in
/// `templates/email/<stem>.{subject,text,html}.mustache`.
///
/// Every email is rendered with `tenant_name` plus the values its caller passes; the variables
/// each one uses are listed in `templates/email/README.md`.
public enum EmailTemplate: String, CaseIterable, Sendable {
    /// Confirms an email address: `link`, `code`, `expires_minutes`.
    case verifyEmail = "email/verify"
    /// Password reset: `link`, `expires_minutes`.
    case resetPassword = "email/reset"
    /// Magic-link sign-in: `link`, `expires_minutes`.
    case magicLink = "email/magic_link"
    /// One-time code (second factor or sign-in): `code`, `expires_minutes`.
    case oneTimeCode = "email/code"
    /// Notice that the account's MFA factors changed: `change`, optional `account_url`.
    case mfaChange = "email/mfa_change"
    /// Notice that a recovery code was used: `remaining`, optional `account_url`.
    case recoveryCodeUsed = "email/recovery_used"
    /// Notice that someone tried to sign up with the address of an existing account: optional `account_url`.
    case signupAttempt = "email/signup_attempt"
    /// An invitation into an organization (docs/contract.md A8): `organization_name`, `role`,
    /// `link`, `expires_in`, `expires_at`, optional `inviter_name`.
    case invitation = "email/invitation"

    /// The file name stem under `templates/email/` (`verify`).
    public var stem: String { String(rawValue.dropFirst("email/".count)) }

    /// Values for a test send (`POST …/templates/email/{name}/test`), next to `user_email` and `tenant_name`.
    static func sampleValues(stem: String, issuer: String) -> [String: String] {
        var values = ["user_name": "Ada Lovelace", "expires_minutes": "15", "account_url": issuer + "/account"]
        switch stem {
        case "verify":
            values["link"] = issuer + "/verify-email?token=test-token-not-valid"
            values["code"] = "123456"
            values["expires_minutes"] = "60"
        case "reset": values["link"] = issuer + "/reset?token=test-token-not-valid"
        case "magic_link": values["link"] = issuer + "/magic?token=test-token-not-valid"
        case "code":
            values["code"] = "123456"
            values["expires_minutes"] = "10"
        case "mfa_change": values["change"] = "An authenticator app was added to your account."
        case "recovery_used": values["remaining"] = "9"
        case "invitation":
            values["link"] = issuer + "/invitations/test-token-not-valid"
            values["organization_name"] = "Customer A"
            values["inviter_name"] = "Grace Hopper"
            values["role"] = "member"
            values["expires_in"] = "7 days"
            values["expires_at"] = "2030-01-08 09:00 UTC"
        default:
            values["link"] = issuer + "/example?token=test-token-not-valid"
            values["code"] = "123456"
        }
        return values
    }
}
