"""Upstream login providers (issue 5), what must be refused: spoiled ``FakeOIDC`` answers, unverified
emails, state binding and reuse, an upstream that is down or slow, redirects to private
addresses, and the SSRF guard.

Servers and upstream providers: the module fixtures of ``federation_helpers``.

Every negative case ends in a clear error — an OAuth error redirect to the relying party, the
login page with an explanation, or an error page — and creates no user and no identity.
"""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

from federation_helpers import (
    RP_REDIRECT,
    Downstream,
    add_provider,
    check_downstream_tokens,
    drive,
    federation_states,
    follow_until,
    redeem,
    snapshot,
)
from gatehouse_client import (
    Browser,
    authorization_request,
    describe,
    expect,
    find_form,
    query_params,
    unique_email,
    url_base,
)

# isort: split
# Shared fixtures come from federation_helpers.
from federation_helpers import fake_oidc, fake_oidc_v6, fed_server, guarded_server  # noqa: F401

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
