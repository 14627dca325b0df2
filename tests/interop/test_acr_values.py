"""`acr_values` and `acr` (OIDC Core §3.1.2.1, §2): the multi-factor class asks for a second
factor whatever the tenant's MFA policy; ID tokens say which class a sign-in achieved."""

from __future__ import annotations

from gatehouse_client import Browser, authorization_request, check_id_token, code_flow


SFA, MFA = "urn:gatehouse:acr:sfa", "urn:gatehouse:acr:mfa"


def test_acr_values_asking_for_a_second_factor_get_one_whatever_the_policy(tenant):
    """OIDC Core §3.1.2.1 `acr_values` and §2 `acr`: under the MFA policy `none`, a request whose
    first supported value is the multi-factor class sends a user without a factor to enrol one,
    and a session that proved one factor signs in again; an unknown value is ignored."""
    discovery = tenant.discovery
    assert discovery["acr_values_supported"] == [SFA, MFA] and "acr" in discovery["claims_supported"]
    user = tenant.create_user()
    client = tenant.create_client("confidential", first_party=True)
    browser = Browser()
    plain = code_flow(tenant, client, user, browser=browser, scope="openid", acr_values="urn:example:unknown")
    assert check_id_token(tenant, client, plain.id_token, user=user, scope="openid")["acr"] == SFA
    # The same browser (a one-factor session) asks for the multi-factor class: the login again,
    # then the authenticator enrolment instead of a code.
    _, url, _, _, _ = authorization_request(tenant, client, scope="openid", acr_values=f"{MFA} {SFA}")
    result = browser.authorize(url, client.redirect_uri, user=user, max_logins=1)
    assert result.kind == "page" and result.login_pages == 1, result.trace()
    assert "mfa/enrol" in result.response.text and "code" not in result.params, result.trace()
    # A preference for the one-factor class first is satisfied by the session as it is.
    _, url, _, _, _ = authorization_request(tenant, client, scope="openid", acr_values=f"{SFA} {MFA}")
    again = browser.authorize(url, client.redirect_uri, user=user, max_logins=0)
    assert again.kind == "redirect" and again.code, again.trace()
    # prompt=none cannot ask for the second factor: login_required.
    _, url, _, _, _ = authorization_request(tenant, client, scope="openid", acr_values=MFA, prompt="none")
    silent = browser.authorize(url, client.redirect_uri, user=user, max_logins=0)
    assert silent.kind == "redirect" and silent.params.get("error") == "login_required", silent.trace()
