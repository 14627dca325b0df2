"""Upstream login providers (issue 5), the success paths: a second tenant of the same Gatehouse as
upstream OIDC provider (HTTP and Chromium), and ``FakeOIDC`` (PKCE, ``amr`` from a trusted upstream,
the tenant's MFA policy after it, linking by verified email).

Servers and upstream providers: the module fixtures of ``federation_helpers``.
"""

from __future__ import annotations

from urllib.parse import urljoin

import pytest

from federation_helpers import (
    RP_REDIRECT,
    Downstream,
    check_downstream_tokens,
    drive,
    federation_states,
    identities,
    provider_links,
    redeem,
    upstream_setup,
    users,
)
from gatehouse_client import (
    Browser,
    assert_html_security_headers,
    authorization_request,
    describe,
    expect,
    query_params,
)

# isort: split
# Shared fixtures come from federation_helpers.
from federation_helpers import fake_oidc, fed_server  # noqa: F401

# --------------------------------------------------------------------------- a Gatehouse tenant upstream


def test_gatehouse_tenant_as_upstream_over_http(fed_server):
    upstream, downstream, up_user, provider, rp_client = upstream_setup(fed_server)
    rp, url, state, nonce, verifier = authorization_request(downstream, rp_client)
    browser = Browser()

    # The downstream login page offers the provider as a plain link (works without JavaScript).
    resp = browser.get(url)
    login_url = urljoin(resp.url, resp.headers["Location"])
    page = browser.get(login_url)
    assert page.status_code == 200, describe(page)
    assert_html_security_headers(page)
    links = provider_links(page.text)
    assert set(links) == {"upstream-sso"}, links
    assert "Continue with Upstream SSO" in page.text

    out = drive(browser, login_url, RP_REDIRECT, provider="upstream-sso",
                upstream_login=(up_user.email, up_user.password), upstream_login_path=f"/t/{upstream.slug}/")
    assert out.kind == "redirect", out.trace()
    assert out.params.get("state") == state and out.params.get("iss") == downstream.issuer, out.params
    token = redeem(rp, out, verifier)
    claims = check_downstream_tokens(downstream, rp_client, token, nonce)
    assert claims["amr"] == ["fed"], claims
    assert claims["email"] == up_user.email and claims.get("email_verified") is True, claims

    # A downstream user was created and linked by (provider, upstream issuer, upstream sub).
    created = users(fed_server.admin, downstream)
    assert [u["id"] for u in created] == [claims["sub"]], created
    rows = identities(fed_server.data_dir, downstream)
    assert len(rows) == 1 and rows[0]["issuer"] == upstream.issuer and rows[0]["subject"] == up_user.id, rows
    assert rows[0]["provider_id"] == provider["id"] and rows[0]["user_id"] == claims["sub"]

    # Second sign-in in a fresh browser, straight to the provider with idp_hint: same user, nothing new.
    rp2, url2, state2, nonce2, verifier2 = authorization_request(downstream, rp_client, idp_hint="upstream-sso")
    out2 = drive(Browser(), url2, RP_REDIRECT, upstream_login=(up_user.email, up_user.password),
                 upstream_login_path=f"/t/{upstream.slug}/")
    assert out2.kind == "redirect", out2.trace()
    claims2 = check_downstream_tokens(downstream, rp_client, redeem(rp2, out2, verifier2), nonce2)
    assert claims2["sub"] == claims["sub"]
    assert len(users(fed_server.admin, downstream)) == 1 and len(identities(fed_server.data_dir, downstream)) == 1
    # Userinfo of the downstream tenant serves the federated user.
    info = expect(downstream.userinfo(token["access_token"]), 200).json()
    assert info["sub"] == claims["sub"] and info.get("email") == up_user.email, info


def test_provider_button_appears_on_its_tenant_only(fed_server, fake_oidc):
    d = Downstream(fed_server, fake_oidc)
    other = fed_server.admin.create_tenant()
    other_rp = other.create_client("public", redirect_uris=[RP_REDIRECT])
    for tenant, client, expected in ((d.tenant, d.rp, {"acme-sso"}), (other, other_rp, set())):
        _, url, *_ = authorization_request(tenant, client)
        browser = Browser()
        page = browser.get(urljoin(url, browser.get(url).headers["Location"]))
        assert set(provider_links(page.text)) == expected, page.text
    # Disabled: the button disappears and its start endpoint refuses.
    expect(fed_server.admin.patch(f"/tenants/{d.tenant.slug}/providers/acme-sso", json={"enabled": False}), 200)
    _, url, *_ = d.authorize()
    browser = Browser()
    page = browser.get(urljoin(url, browser.get(url).headers["Location"]))
    assert provider_links(page.text) == {}
    interaction = query_params(page.url)["interaction"]
    resp = browser.get(f"{d.tenant.issuer}/federation/acme-sso/start?interaction={interaction}")
    assert resp.status_code == 400 and "not available" in resp.text, describe(resp)


@pytest.mark.browser
def test_gatehouse_upstream_round_trip_in_chromium(fed_server, artifacts_dir):
    from accounts_chromium import CallbackServer, chromium_driver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait
    from test_browser import left_the_page

    upstream, downstream, up_user, provider, _ = upstream_setup(fed_server, slug="corp")
    callback = CallbackServer()
    rp_client = downstream.create_client("confidential", redirect_uris=[callback.url], name="Chromium app")
    rp, url, state, nonce, verifier = authorization_request(downstream, rp_client)
    with chromium_driver() as drv:
        wait = WebDriverWait(drv, 20)
        drv.get(url)
        button = wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "a[data-provider=corp]")))
        assert "Continue with Upstream SSO" in button.text
        drv.save_screenshot(str(artifacts_dir / "federation-login-page.png"))
        button.click()
        wait.until(left_the_page(button))
        # The upstream tenant's login page.
        wait.until(lambda d: f"/t/{upstream.slug}/login" in d.current_url)
        drv.find_element(By.NAME, "email").send_keys(up_user.email)
        drv.find_element(By.NAME, "password").send_keys(up_user.password)
        submit = drv.find_element(By.CSS_SELECTOR, "form button[type=submit]")
        submit.click()
        wait.until(left_the_page(submit))
        # Upstream consent, then downstream consent.
        for tenant in (upstream, downstream):
            wait.until(lambda d, slug=tenant.slug: f"/t/{slug}/consent" in d.current_url)
            allow = wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "[name=decision][value=allow]")))
            allow.click()
            wait.until(left_the_page(allow))
        hit = callback.next_hit()
    callback.close()
    params = query_params(hit)
    assert params.get("state") == state and params.get("iss") == downstream.issuer, params
    token = dict(rp.fetch_token(code=params["code"], code_verifier=verifier, redirect_uri=callback.url))
    claims = check_downstream_tokens(downstream, rp_client, token, nonce)
    assert claims["amr"] == ["fed"] and claims["email"] == up_user.email, claims


# --------------------------------------------------------------------------- FakeOIDC: success paths


def test_fake_oidc_sign_in_creates_user_and_checks_pkce(fed_server, fake_oidc):
    d = Downstream(fed_server, fake_oidc, email="New.Person@Example.TEST", name="New Person")
    out, rp, state, nonce, verifier = d.sign_in()
    claims = check_downstream_tokens(d.tenant, d.rp, redeem(rp, out, verifier), nonce)
    assert claims["email"] == "new.person@example.test" and claims["name"] == "New Person", claims
    # The provider saw a PKCE verifier and the redirect URI; our secret went in Basic auth, not the body.
    request = d.scenario.token_requests[-1]
    assert request.get("code_verifier") and request["redirect_uri"] == d.redirect_uri, request
    assert "client_secret" not in request
    assert federation_states(fed_server.data_dir, d.tenant) == 0  # used once, gone


@pytest.mark.parametrize("trust,upstream_amr,expected", [
    (True, ["pwd", "otp"], ["fed", "pwd", "otp", "mfa"]),
    (False, ["pwd", "otp"], ["fed"]),
    (True, ["pwd"], ["fed"]),
])
def test_amr_records_upstream_mfa_only_when_trusted(fed_server, fake_oidc, trust, upstream_amr, expected):
    d = Downstream(fed_server, fake_oidc, provider={"trust_upstream_mfa": trust}, amr=upstream_amr)
    out, rp, state, nonce, verifier = d.sign_in()
    claims = check_downstream_tokens(d.tenant, d.rp, redeem(rp, out, verifier), nonce)
    assert claims["amr"] == expected, claims


@pytest.mark.parametrize("trust,upstream_amr,stops_at", [
    (False, ["pwd", "otp"], "/mfa/enrol"),  # MFA required, not trusted upstream: enrol here first
    (True, ["pwd"], "/mfa/enrol"),  # trusted, but the upstream did not do MFA
    (True, ["pwd", "otp"], None),  # trusted and the upstream did MFA: the policy is satisfied
])
def test_tenant_mfa_policy_applies_after_upstream_sign_in(fed_server, fake_oidc, trust, upstream_amr, stops_at):
    """Issue 5: "the tenant's MFA policy is enforced after an upstream sign-in" (BrowserFlowController.proved)."""
    d = Downstream(fed_server, fake_oidc, provider={"trust_upstream_mfa": trust}, amr=upstream_amr)
    d.tenant.patch({"settings": {"mfa_policy": "required"}})
    out, rp, state, nonce, verifier = d.sign_in()
    if stops_at is None:
        claims = check_downstream_tokens(d.tenant, d.rp, redeem(rp, out, verifier), nonce)
        assert "mfa" in claims["amr"] and claims["amr"][0] == "fed", claims
    else:
        assert out.kind == "page" and stops_at in out.response.url, out.trace()
        assert "Set up two-step verification" in out.text, out.text


def test_verified_email_links_existing_user(fed_server, fake_oidc):
    d = Downstream(fed_server, fake_oidc, email="linkme@example.test", email_verified=True)
    existing = d.tenant.create_user(email="linkme@example.test", email_verified=True)
    out, rp, state, nonce, verifier = d.sign_in()
    claims = check_downstream_tokens(d.tenant, d.rp, redeem(rp, out, verifier), nonce)
    assert claims["sub"] == existing.id
    assert d.snapshot() == (1, 1)
