"""`acr_values` and `acr` (OIDC Core §3.1.2.1, §2): the multi-factor class asks for a second
factor whatever the tenant's MFA policy; ID tokens say which class a sign-in achieved. And the
`claims` parameter (§5.5): individual claims in the ID token or at userinfo."""

from __future__ import annotations

import json

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


def test_the_claims_parameter_releases_individual_claims_where_asked(tenant):
    """OIDC Core §5.5: `claims` asks for `email` in the ID token and `phone_number` at userinfo
    without their scopes; discovery says `claims_parameter_supported`; a malformed parameter is
    `invalid_request`; an essential `acr` of the multi-factor class asks for a second factor."""
    assert tenant.discovery["claims_parameter_supported"] is True
    user = tenant.create_user()
    path = f"/tenants/{tenant.slug}/users/{user.id}"
    tenant.admin.patch(path, json={"phone_number": "+14155550123"}).raise_for_status()
    client = tenant.create_client("confidential", first_party=True)
    asked = json.dumps({"id_token": {"email": None}, "userinfo": {"phone_number": {"essential": True}, "x-unknown": None}})
    flow = code_flow(tenant, client, user, scope="openid", claims=asked)
    id_claims = check_id_token(tenant, client, flow.id_token, user=user, scope="openid")
    assert id_claims["email"] == user.email and "phone_number" not in id_claims and "email_verified" not in id_claims
    info = tenant.userinfo(flow.access_token).json()
    assert info["phone_number"] == "+14155550123" and "email" not in info and "x-unknown" not in info, info
    # A refresh keeps what the authorization asked for.
    refreshed = flow.rp.refresh_token(tenant.endpoint("token_endpoint"), refresh_token=flow.token["refresh_token"])
    assert check_id_token(tenant, client, refreshed["id_token"], user=user, scope="openid")["email"] == user.email
    # A client whose allow-list lacks the scope gets nothing for the claim.
    narrow = tenant.create_client("confidential", first_party=True, allowed_scopes="openid")
    narrow_flow = code_flow(tenant, narrow, user, scope="openid", claims=asked)
    assert "email" not in check_id_token(tenant, narrow, narrow_flow.id_token, user=user, scope="openid")

    browser = Browser()
    for bad in ("not json", "[]", json.dumps({"userinfo": {"email": 5}})):
        _, url, _, _, _ = authorization_request(tenant, client, scope="openid", claims=bad)
        result = browser.authorize(url, client.redirect_uri, user=user)
        assert result.kind == "redirect" and result.params.get("error") == "invalid_request", result.trace()
    essential = json.dumps({"id_token": {"acr": {"essential": True, "values": [MFA]}}})
    _, url, _, _, _ = authorization_request(tenant, client, scope="openid", claims=essential)
    result = Browser().authorize(url, client.redirect_uri, user=user)
    assert result.kind == "page" and "mfa/enrol" in result.response.text, result.trace()
