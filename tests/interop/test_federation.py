"""Upstream login providers (issue 5): sign in to a tenant with another OIDC or OAuth 2.0 provider.

Servers: a Gatehouse started for this module with ``[federation]`` allowing loopback providers
over http (``federation_config``), and a second one whose SSRF guard allows nothing private.
Upstreams: a second tenant of the same Gatehouse (a real OIDC provider), ``FakeOIDC`` (an OpenID
provider written for these tests, which can spoil its answers) and ``FakeGitHub`` (GitHub's
non-OIDC shape with ``/user`` and ``/user/emails``), all on loopback.

Every negative case ends in a clear error — an OAuth error redirect to the relying party, the
login page with an explanation, or an error page — and creates no user and no identity.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from bs4 import BeautifulSoup

from federation_helpers import (
    FakeGitHub,
    FakeOIDC,
    GitHubUser,
    add_provider,
    drive,
    federation_config,
    federation_states,
    identities,
    provider_links,
    snapshot,
    users,
)
from gatehouse_client import (
    HTTP_TIMEOUT,
    Browser,
    assert_html_security_headers,
    authorization_request,
    describe,
    expect,
    find_form,
    query_params,
    unique_email,
    url_base,
    verify_joserfc,
    verify_pyjwt,
)
from tenancy_helpers import gatehouse_binary, start_server

RP_REDIRECT = "https://rp.example/cb"


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def fed_server(tmp_path_factory, artifacts_dir):
    server = start_server(tmp_path_factory.mktemp("federation"), artifacts_dir / "gatehouse-federation.log",
                          config=federation_config(allow_loopback=True))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def guarded_server(tmp_path_factory, artifacts_dir):
    server = start_server(tmp_path_factory.mktemp("federation-guarded"), artifacts_dir / "gatehouse-federation-guarded.log",
                          config=federation_config(allow_loopback=False))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def fake_oidc():
    fake = FakeOIDC()
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def fake_oidc_v6():
    """The same fake provider on the IPv6 loopback address [::1]."""
    fake = FakeOIDC(host="::1")
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def fake_github():
    fake = FakeGitHub()
    yield fake
    fake.close()


class Downstream:
    """A tenant of ``server`` with a public relying party and one provider on ``FakeOIDC``."""

    def __init__(self, server, fake: FakeOIDC, slug: str = "acme-sso", provider: dict | None = None, **scenario):
        self.server = server
        self.admin = server.admin
        self.tenant = server.admin.create_tenant()
        self.rp = self.tenant.create_client("public", redirect_uris=[RP_REDIRECT])
        self.redirect_uri = f"{self.tenant.issuer}/federation/{slug}/callback"
        self.client_id, self.scenario = fake.register(self.redirect_uri, email=scenario.pop("email", None) or unique_email("fed"),
                                                      **scenario)
        body = {"kind": "oidc", "name": "Acme SSO", "slug": slug, "discovery_url": fake.discovery_url,
                "client_id": self.client_id, "client_secret": self.scenario.secret, **(provider or {})}
        self.provider = add_provider(self.admin, self.tenant, **body)
        assert self.provider["redirect_uri"] == self.redirect_uri, self.provider

    def authorize(self, **extra):
        """(rp, url, state, nonce, verifier) of an authorization request by the relying party."""
        return authorization_request(self.tenant, self.rp, **extra)

    def snapshot(self) -> tuple[int, int]:
        return snapshot(self.admin, self.server.data_dir, self.tenant)

    def sign_in(self, browser: Browser | None = None, **extra):
        rp, url, state, nonce, verifier = self.authorize(idp_hint=self.provider["slug"], **extra)
        out = drive(browser or Browser(), url, RP_REDIRECT)
        return out, rp, state, nonce, verifier


def redeem(rp, out, verifier: str) -> dict:
    assert out.kind == "redirect" and out.params.get("code"), out.trace()
    return dict(rp.fetch_token(code=out.params["code"], code_verifier=verifier, redirect_uri=RP_REDIRECT))


def follow_until(browser: Browser, resp, stop_base: str, max_steps: int = 10):
    """Follow redirects until one points at ``stop_base`` (returned, not followed)."""
    for _ in range(max_steps):
        assert resp.status_code in (301, 302, 303, 307, 308), describe(resp)
        loc = urljoin(resp.url, resp.headers["Location"])
        if url_base(loc) == stop_base:
            return loc
        resp = browser.get(loc)
    raise AssertionError("never redirected to " + stop_base)


def upstream_setup(server, slug: str = "upstream-sso"):
    """A second tenant of ``server`` as the upstream OIDC provider of a downstream tenant."""
    admin = server.admin
    upstream = admin.create_tenant()
    downstream = admin.create_tenant()
    redirect_uri = f"{downstream.issuer}/federation/{slug}/callback"
    up_client = upstream.create_client("confidential", redirect_uris=[redirect_uri], name="Downstream tenant")
    up_user = upstream.create_user(name="Upstream Ada")
    provider = add_provider(admin, downstream, kind="oidc", name="Upstream SSO", slug=slug,
                            discovery_url=f"{upstream.issuer}/.well-known/openid-configuration",
                            client_id=up_client.client_id, client_secret=up_client.client_secret)
    rp = downstream.create_client("confidential", redirect_uris=[RP_REDIRECT], name="Downstream app")
    return upstream, downstream, up_user, provider, rp


def check_downstream_tokens(tenant, client, token: dict, nonce: str) -> dict:
    """The downstream relying party verifies its tokens with PyJWT and joserfc against the tenant's JWKS."""
    claims = verify_pyjwt(tenant, token["id_token"], client.client_id)
    _, jclaims = verify_joserfc(tenant, token["id_token"], client.client_id)
    assert claims == jclaims
    assert claims["iss"] == tenant.issuer and claims.get("nonce") == nonce, claims
    access = verify_pyjwt(tenant, token["access_token"], client.client_id)
    assert access["sub"] == claims["sub"] and access.get("amr") == claims.get("amr"), (access, claims)
    return claims


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
    from test_browser import CallbackServer, left_the_page
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    upstream, downstream, up_user, provider, _ = upstream_setup(fed_server, slug="corp")
    callback = CallbackServer()
    rp_client = downstream.create_client("confidential", redirect_uris=[callback.url], name="Chromium app")
    rp, url, state, nonce, verifier = authorization_request(downstream, rp_client)
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(arg)
    drv = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver")), options=options)
    try:
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
        hit = callback.wait_for_hit()
    finally:
        drv.quit()
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


# --------------------------------------------------------------------------- FakeOIDC: negative cases


@pytest.mark.parametrize("spoiler,error,words", [
    ({"unknown_key": True}, "server_error", "key the provider does not publish"),
    ({"wrong_iss": True}, "server_error", "issuer"),
    ({"wrong_aud": True}, "server_error", "another client"),
    ({"wrong_nonce": True}, "server_error", "nonce does not match"),
    ({"missing_nonce": True}, "server_error", "nonce is missing"),
    ({"expired": True}, "server_error", "expired"),
    ({"iss_param": "wrong"}, "server_error", "another issuer"),
    ({"iss_param": None}, "server_error", "announces RFC 9207 iss"),
    ({"deny": True}, "access_denied", "cancelled or denied"),
    ({"secret": "not-what-gatehouse-sends"}, "server_error", "token endpoint"),
], ids=["unknown-signing-key", "wrong-iss", "wrong-aud", "wrong-nonce", "missing-nonce", "expired", "rfc9207-iss-mismatch",
        "rfc9207-iss-missing", "upstream-denied", "token-endpoint-refuses"])
def test_bad_upstream_answers_end_in_an_oauth_error_and_create_nothing(fed_server, fake_oidc, spoiler, error, words):
    d = Downstream(fed_server, fake_oidc, **spoiler)
    if "secret" in spoiler:
        expect(fed_server.admin.patch(f"/tenants/{d.tenant.slug}/providers/acme-sso", json={"client_secret": "wrong"}), 200)
    out, rp, state, nonce, verifier = d.sign_in()
    assert out.kind == "redirect", out.trace()
    assert out.params.get("error") == error, out.params
    assert words in out.params.get("error_description", ""), out.params
    assert out.params.get("state") == state and out.params.get("iss") == d.tenant.issuer, out.params
    assert "code" not in out.params
    assert d.snapshot() == (0, 0)


def test_unverified_email_matching_existing_user_is_not_linked(fed_server, fake_oidc):
    d = Downstream(fed_server, fake_oidc, email="taken@example.test", email_verified=False)
    d.tenant.create_user(email="taken@example.test", email_verified=True)
    out, *_ = d.sign_in()
    assert out.kind == "page" and out.response.status_code == 409, out.trace()
    assert "already exists" in out.text and "link" in out.text.lower(), out.text
    # The page leads back to the login page of the same interaction.
    back = BeautifulSoup(out.response.text, "html.parser").find("a", string=lambda s: s and "another way" in s)
    assert back is not None and "/login?interaction=" in back["href"]
    assert d.snapshot() == (1, 0)


def test_unverified_preferred_username_never_becomes_an_email(fed_server, fake_oidc):
    """An upstream that sends no email but a `preferred_username` that looks like one (as Microsoft
    does) neither links to the account of that address nor creates a user with it."""
    victim = "victim-" + unique_email("pu")
    d = Downstream(fed_server, fake_oidc, omit_email=True, preferred_username=victim)
    d.tenant.create_user(email=victim, email_verified=True)
    out, *_ = d.sign_in()
    assert out.kind == "page", out.trace()
    assert d.snapshot() == (1, 0), "no user was created and no identity linked"
    users = expect(d.admin.get(f"/tenants/{d.tenant.slug}/users"), 200).json()["users"]
    assert [u["email"] for u in users] == [victim]


def test_account_linking_never_refuses_even_verified_email(fed_server, fake_oidc):
    d = Downstream(fed_server, fake_oidc, email="never@example.test", email_verified=True)
    d.tenant.patch({"settings": {"account_linking": "never"}})
    d.tenant.create_user(email="never@example.test", email_verified=True)
    out, *_ = d.sign_in()
    assert out.response.status_code == 409 and "already exists" in out.text, out.trace()
    assert d.snapshot() == (1, 0)


def test_state_is_bound_single_use_and_checked(fed_server, fake_oidc):
    d = Downstream(fed_server, fake_oidc)
    _, url, *_ = d.authorize(idp_hint="acme-sso")
    browser = Browser()
    callback_url = follow_until(browser, browser.get(url), d.redirect_uri)
    params = query_params(callback_url)
    base = url_base(callback_url)

    # A state that was never issued: error page, no redirect.
    tampered = browser.get(base, params={**params, "state": params["state"][:-2] + "xx"})
    assert tampered.status_code == 400 and "invalid" in tampered.text.lower(), describe(tampered)
    assert "Location" not in tampered.headers
    # The right state from another browser (no binding cookie): refused, and the state is spent.
    other = Browser().get(base, params=params)
    assert other.status_code == 400, describe(other)
    replay = browser.get(base, params=params)
    assert replay.status_code == 400 and "already used" in replay.text, describe(replay)
    assert d.snapshot() == (0, 0)


def test_state_is_single_use(fed_server, fake_oidc):
    d = Downstream(fed_server, fake_oidc)
    _, url, *_ = d.authorize(idp_hint="acme-sso")
    browser = Browser()
    callback_url = follow_until(browser, browser.get(url), d.redirect_uri)
    first = browser.get(callback_url)
    assert first.status_code == 303, describe(first)
    again = browser.get(callback_url)
    assert again.status_code == 400, describe(again)
    assert d.snapshot() == (1, 1)


def test_upstream_down_shows_the_login_page_with_an_explanation(fed_server):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    tenant = fed_server.admin.create_tenant()
    rp = tenant.create_client("public", redirect_uris=[RP_REDIRECT])
    add_provider(fed_server.admin, tenant, kind="oidc", name="Down SSO", slug="down",
                 discovery_url=f"http://127.0.0.1:{closed_port}/.well-known/openid-configuration", client_id="x")
    _, url, *_ = authorization_request(tenant, rp, idp_hint="down")
    out = drive(Browser(), url, RP_REDIRECT)
    assert out.kind == "page" and out.response.status_code == 502, out.trace()
    assert "Down SSO" in out.text and "could not be reached" in out.text, out.text
    assert find_form(out.response.text, lambda f: f.find("input", attrs={"name": "password"})) is not None
    assert snapshot(fed_server.admin, fed_server.data_dir, tenant) == (0, 0)
    assert federation_states(fed_server.data_dir, tenant) == 0


def test_upstream_slower_than_the_timeout(fed_server, fake_oidc):
    d = Downstream(fed_server, fake_oidc, token_delay=4.0)  # [federation] timeout_seconds = 2
    started = time.monotonic()
    out, *_ = d.sign_in()
    assert time.monotonic() - started < 4.0
    assert out.params.get("error") == "server_error", out.trace()
    assert "did not answer in time" in out.params.get("error_description", ""), out.params
    assert d.snapshot() == (0, 0)


def test_redirect_to_a_private_address_is_refused(fed_server, fake_oidc):
    # Loopback is allowed on this server, 10/8 is not: the guard refuses before connecting.
    d = Downstream(fed_server, fake_oidc, token_redirect="http://10.255.255.1/token")
    out, *_ = d.sign_in()
    assert out.params.get("error") == "server_error", out.trace()
    description = out.params.get("error_description", "")
    # The refusal names the reason, not the internal address (shown to end users).
    assert "private" in description and "10.255.255.1" not in description, out.params
    assert d.snapshot() == (0, 0)


# --------------------------------------------------------------------------- SSRF guard


@pytest.mark.parametrize("host", ["127.0.0.1", "10.0.0.1", "169.254.169.254", "[::1]", "localhost"])
def test_ssrf_guard_refuses_private_destinations_unless_allowed(guarded_server, fake_oidc, fake_oidc_v6, host):
    """10/8 and 169.254.169.254 are refused before any connection (nothing is sent there); the
    loopback ones have a live provider behind them, which must see no request."""
    fake = fake_oidc_v6 if host == "[::1]" else fake_oidc
    port = urlsplit(fake.base).port
    tenant = guarded_server.admin.create_tenant()
    rp = tenant.create_client("public", redirect_uris=[RP_REDIRECT])
    target = f"{host}:{port}" if host in ("127.0.0.1", "[::1]", "localhost") else host
    add_provider(guarded_server.admin, tenant, kind="oidc", name="Inside", slug="inside",
                 discovery_url=f"http://{target}/.well-known/openid-configuration", client_id="x")
    hits = fake.discovery_hits
    _, url, *_ = authorization_request(tenant, rp, idp_hint="inside")
    out = drive(Browser(), url, RP_REDIRECT)
    assert out.response.status_code == 502, out.trace()
    assert "private, loopback or link-local" in out.text, out.text
    assert fake.discovery_hits == hits, "the guarded server reached the loopback provider"
    assert snapshot(guarded_server.admin, guarded_server.data_dir, tenant) == (0, 0)


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_ssrf_guard_allows_configured_loopback(fed_server, fake_oidc, fake_oidc_v6, family):
    """The same loopback providers work on the server whose [federation] allows 127.0.0.0/8 and ::1/128."""
    fake = fake_oidc if family == "ipv4" else fake_oidc_v6
    hits = fake.discovery_hits
    d = Downstream(fed_server, fake)
    out, rp, state, nonce, verifier = d.sign_in()
    assert out.kind == "redirect" and out.params.get("code"), out.trace()
    assert fake.discovery_hits > hits
    check_downstream_tokens(d.tenant, d.rp, redeem(rp, out, verifier), nonce)


# --------------------------------------------------------------------------- GitHub and generic OAuth 2.0


def github_provider(server, gh: FakeGitHub, tenant, user: GitHubUser, **extra):
    client_id = gh.register(f"{tenant.issuer}/federation/github/callback", user)
    return add_provider(server.admin, tenant, kind="github", name="GitHub", client_id=client_id, client_secret=user.secret,
                        authorization_url=f"{gh.base}/login/oauth/authorize", token_url=f"{gh.base}/login/oauth/access_token",
                        userinfo_url=f"{gh.base}/user", **extra)


def test_github_shaped_provider_uses_the_verified_primary_email(fed_server, fake_github):
    tenant = fed_server.admin.create_tenant()
    rp_client = tenant.create_client("public", redirect_uris=[RP_REDIRECT])
    user = GitHubUser(id=5830112, login="octocat", name="The Octocat", emails=[
        {"email": "octo-secondary@example.test", "primary": False, "verified": True},
        {"email": "Octo@Example.test", "primary": True, "verified": True},
    ])
    provider = github_provider(fed_server, fake_github, tenant, user)
    assert provider["slug"] == "github" and provider["scopes"] == ["read:user", "user:email"], provider
    rp, url, state, nonce, verifier = authorization_request(tenant, rp_client, idp_hint="github")
    out = drive(Browser(), url, RP_REDIRECT)
    claims = check_downstream_tokens(tenant, rp_client, redeem(rp, out, verifier), nonce)
    assert claims["email"] == "octo@example.test" and claims["email_verified"] is True, claims
    assert claims["amr"] == ["fed"]
    rows = identities(fed_server.data_dir, tenant)
    assert [(r["issuer"], r["subject"]) for r in rows] == [(fake_github.base, "5830112")], rows


def test_github_unverified_primary_email_creates_an_unverified_user(fed_server, fake_github):
    tenant = fed_server.admin.create_tenant()
    rp_client = tenant.create_client("public", redirect_uris=[RP_REDIRECT])
    user = GitHubUser(id=77, login="newbie", name="Newbie", emails=[{"email": "newbie@example.test", "primary": True, "verified": False}])
    github_provider(fed_server, fake_github, tenant, user)
    rp, url, state, nonce, verifier = authorization_request(tenant, rp_client, idp_hint="github")
    out = drive(Browser(), url, RP_REDIRECT)
    claims = check_downstream_tokens(tenant, rp_client, redeem(rp, out, verifier), nonce)
    assert claims["email"] == "newbie@example.test" and claims["email_verified"] is False, claims


def test_generic_oauth2_provider_with_claim_mapping(fed_server, fake_github):
    tenant = fed_server.admin.create_tenant()
    rp_client = tenant.create_client("public", redirect_uris=[RP_REDIRECT])
    user = GitHubUser(id=4242, login="mapped", name="Mapped Person", emails=[{"email": "mapped@example.test", "primary": True, "verified": True}])
    client_id = fake_github.register(f"{tenant.issuer}/federation/corp-oauth/callback", user)
    provider = add_provider(
        fed_server.admin, tenant, kind="oauth2", name="Corp OAuth", slug="corp-oauth", client_id=client_id, client_secret=user.secret,
        authorization_url=f"{fake_github.base}/login/oauth/authorize", token_url=f"{fake_github.base}/login/oauth/access_token",
        userinfo_url=f"{fake_github.base}/oauth2/me", issuer="https://corp.example",
        claim_mapping={"subject": "data.uid", "email": "data.mail", "email_verified": "data.mail_ok", "name": "data.display"})
    assert provider["claim_mapping"]["subject"] == "data.uid"
    rp, url, state, nonce, verifier = authorization_request(tenant, rp_client, idp_hint="corp-oauth")
    out = drive(Browser(), url, RP_REDIRECT)
    claims = check_downstream_tokens(tenant, rp_client, redeem(rp, out, verifier), nonce)
    assert claims["email"] == "mapped@example.test" and claims["name"] == "Mapped Person", claims
    rows = identities(fed_server.data_dir, tenant)
    assert [(r["issuer"], r["subject"]) for r in rows] == [("https://corp.example", "4242")], rows


# --------------------------------------------------------------------------- account console


def console_sign_in_with_password(tenant, user) -> Browser:
    browser = Browser()
    out = drive(browser, f"{tenant.issuer}/account", f"{tenant.issuer}/account",
                upstream_login=(user.email, user.password), upstream_login_path=f"/t/{tenant.slug}/login")
    assert out.kind == "redirect", out.trace()
    return browser


def identities_page(browser: Browser, tenant) -> requests.Response:
    page = browser.get(f"{tenant.issuer}/account/identities")
    assert page.status_code == 200, describe(page)
    return page


def test_account_console_links_and_removes_identities(fed_server, fake_oidc):
    d = Downstream(fed_server, fake_oidc, email="console@example.test")
    user = d.tenant.create_user(email="owner@example.test")
    browser = console_sign_in_with_password(d.tenant, user)
    account = browser.get(f"{d.tenant.issuer}/account")
    assert "/account/identities" in account.text, "the account page links to the identities page"

    page = identities_page(browser, d.tenant)
    link = BeautifulSoup(page.text, "html.parser").find("a", attrs={"data-provider": "acme-sso"})
    assert link is not None and "csrf_token=" in link["href"], page.text
    # Without the CSRF token the link intent is refused.
    bad = browser.get(urljoin(page.url, link["href"].split("?")[0]))
    assert bad.status_code == 400, describe(bad)
    resp = browser.get(urljoin(page.url, link["href"]))
    loc = follow_until(browser, resp, f"{d.tenant.issuer}/account/identities")
    assert query_params(loc).get("notice") == "linked", loc
    rows = identities(fed_server.data_dir, d.tenant)
    assert len(rows) == 1 and rows[0]["user_id"] == user.id, rows

    page = identities_page(browser, d.tenant)
    assert "console@example.test" in page.text and "Acme SSO" in page.text
    remove = find_form(page.text, lambda f: "/remove" in (f.get("action") or ""))
    assert remove is not None, page.text
    resp = browser.submit(page, remove)
    assert resp.status_code == 303 and "notice=removed" in resp.headers["Location"], describe(resp)
    assert identities(fed_server.data_dir, d.tenant) == []


def test_last_sign_in_method_cannot_be_removed(fed_server, fake_oidc):
    d = Downstream(fed_server, fake_oidc, email="fedonly@example.test")
    browser = Browser()
    out = drive(browser, f"{d.tenant.issuer}/account", f"{d.tenant.issuer}/account", provider="acme-sso")
    assert out.kind == "redirect", out.trace()
    page = identities_page(browser, d.tenant)
    assert "Only sign-in method" in page.text, page.text
    assert find_form(page.text, lambda f: "/remove" in (f.get("action") or "")) is None
    # A forged removal (same CSRF token as the account page's forms) is refused too.
    account = browser.get(f"{d.tenant.issuer}/account")
    csrf = BeautifulSoup(account.text, "html.parser").find("input", attrs={"name": "csrf_token"})["value"]
    row = identities(fed_server.data_dir, d.tenant)[0]
    resp = browser.http.post(f"{d.tenant.issuer}/account/identities/{row['id']}/remove", data={"csrf_token": csrf},
                             allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert resp.status_code == 303 and "notice=last-method" in resp.headers["Location"], describe(resp)
    assert len(identities(fed_server.data_dir, d.tenant)) == 1


def test_identities_page_requires_the_console_sign_in(fed_server):
    tenant = fed_server.admin.create_tenant()
    resp = Browser().get(f"{tenant.issuer}/account/identities")
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/t/{tenant.slug}/account"), describe(resp)


# --------------------------------------------------------------------------- admin API and CLI


def test_admin_api_keeps_secrets_and_validates(fed_server):
    admin = fed_server.admin
    tenant = admin.create_tenant()
    base = f"/tenants/{tenant.slug}/providers"
    created = add_provider(admin, tenant, kind="google", name="Google", client_id="g.apps", client_secret="top-secret")
    assert created["discovery_url"] == "https://accounts.google.com/.well-known/openid-configuration"
    assert created["client_secret_set"] is True and "top-secret" not in str(created)
    listed = expect(admin.get(base), 200).json()["providers"]
    assert [p["slug"] for p in listed] == ["google"] and "top-secret" not in str(listed)
    # The secret is sealed in the tenant database, not stored in clear.
    blob = (fed_server.data_dir / "tenants" / f"{tenant.id}.sqlite").read_bytes()
    assert b"top-secret" not in blob
    # Validation: every problem at once.
    resp = admin.post(base, json={"kind": "oauth2", "name": "X", "client_id": "c", "token_url": "ftp://x"})
    fields = sorted(e["field"] for e in resp.json()["errors"])
    assert resp.status_code == 422 and fields == ["authorization_url", "token_url", "userinfo_url"], resp.json()
    assert admin.post(base, json={"kind": "google", "name": "Again", "slug": "google", "client_id": "c"}).status_code == 409
    ms = add_provider(admin, tenant, kind="microsoft", name="Work", client_id="ms", microsoft_tenant="organizations")
    assert ms["discovery_url"].startswith("https://login.microsoftonline.com/organizations/v2.0/"), ms
    # The tenant's settings summary follows.
    settings = expect(admin.get(f"/tenants/{tenant.slug}"), 200).json()["settings"]
    assert sorted(p["slug"] for p in settings["oauth_providers"]) == ["google", "work"], settings
    expect(admin.delete(f"{base}/google"), 204)
    settings = expect(admin.get(f"/tenants/{tenant.slug}"), 200).json()["settings"]
    assert [p["slug"] for p in settings["oauth_providers"]] == ["work"], settings


def test_cli_adds_a_provider_with_one_command(fed_server, fake_oidc):
    env = {**os.environ, "GATEHOUSE_URL": fed_server.public_url, "GATEHOUSE_ADMIN_TOKEN": fed_server.admin_token}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(gatehouse_binary()), *args], env=env, capture_output=True, text=True, timeout=30,
                              stdin=subprocess.DEVNULL)

    tenant = fed_server.admin.create_tenant()
    rp = tenant.create_client("public", redirect_uris=[RP_REDIRECT])
    client_id, scenario = fake_oidc.register(f"{tenant.issuer}/federation/acme-sso/callback", email=unique_email("cli"))
    added = cli("provider", "add", "--tenant", tenant.slug, "--kind", "oidc", "--name", "Acme SSO",
                "--discovery-url", fake_oidc.discovery_url, "--client-id", client_id, "--client-secret", scenario.secret)
    assert added.returncode == 0, added.stderr
    assert f"{tenant.issuer}/federation/acme-sso/callback" in added.stdout + added.stderr
    assert scenario.secret not in added.stdout
    listed = cli("provider", "list", "--tenant", tenant.slug)
    assert listed.returncode == 0 and "acme-sso" in listed.stdout, listed.stdout
    shown = cli("provider", "show", "acme-sso", "--tenant", tenant.slug, "--json")
    assert '"client_secret_set" : true' in shown.stdout and scenario.secret not in shown.stdout, shown.stdout
    # The button is on this tenant's login page, and it signs in.
    rp_session, url, state, nonce, verifier = authorization_request(tenant, rp)
    out = drive(Browser(), url, RP_REDIRECT, provider="acme-sso")
    assert out.kind == "redirect" and out.params.get("code"), out.trace()
    updated = cli("provider", "update", "acme-sso", "--tenant", tenant.slug, "--enabled", "false")
    assert updated.returncode == 0, updated.stderr
    bad = cli("provider", "add", "--tenant", tenant.slug, "--kind", "oidc", "--name", "No URL", "--client-id", "x")
    assert bad.returncode == 6 and "discovery_url" in bad.stderr, bad.stderr  # 422: invalid request
    removed = cli("provider", "remove", "acme-sso", "--tenant", tenant.slug, "--yes")
    assert removed.returncode == 0, removed.stderr
    assert cli("provider", "show", "acme-sso", "--tenant", tenant.slug).returncode == 3  # 404: not found
    assert identities(fed_server.data_dir, tenant) == []


def test_idp_hint_must_be_a_slug(fed_server):
    tenant = fed_server.admin.create_tenant()
    rp = tenant.create_client("public", redirect_uris=[RP_REDIRECT])
    _, url, state, *_ = authorization_request(tenant, rp, idp_hint="Not A Slug!")
    resp = Browser().get(url)
    assert resp.status_code == 303, describe(resp)
    params = query_params(resp.headers["Location"])
    assert params.get("error") == "invalid_request" and "idp_hint" in params.get("error_description", ""), params
    # An unknown provider is ignored: the login page is shown.
    _, url, *_ = authorization_request(tenant, rp, idp_hint="nobody")
    browser = Browser()
    page = browser.get(urljoin(url, browser.get(url).headers["Location"]))
    assert page.status_code == 200 and 'name="password"' in page.text, describe(page)
