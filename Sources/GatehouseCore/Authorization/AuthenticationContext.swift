import Foundation

/// The authentication context classes (`acr`, OIDC Core §2) this server tells apart, derived
/// from what a sign-in proved (its RFC 8176 `amr`):
///
/// - ``singleFactor`` `urn:gatehouse:acr:sfa`: one factor (password, emailed link, upstream).
/// - ``multiFactor`` `urn:gatehouse:acr:mfa`: a second factor was proven (`amr` has `mfa`).
///
/// A relying party that sends `acr_values` (OIDC Core §3.1.2.1) with ``multiFactor`` as its first
/// value this server supports gets a sign-in with a second factor whatever the tenant's MFA
/// policy (the user enrols an authenticator app when they have no factor); a session without one
/// signs in again. Values this server does not support are ignored (a voluntary request).
public enum AuthenticationContext {
    public static let singleFactor = "urn:gatehouse:acr:sfa"
    public static let multiFactor = "urn:gatehouse:acr:mfa"
    /// What discovery lists as `acr_values_supported`, weakest first.
    public static let supported = [singleFactor, multiFactor]

    /// The class a sign-in with `amr` achieved.
    public static func achieved(amr: [String]) -> String { amr.contains("mfa") ? multiFactor : singleFactor }

    /// Whether `acrValues` (in order of preference) asks for a second factor: its first supported
    /// value is ``multiFactor``.
    public static func demandsSecondFactor(_ acrValues: [String]) -> Bool {
        acrValues.first(where: supported.contains) == multiFactor
    }
}
