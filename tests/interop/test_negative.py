"""What Gatehouse must refuse: near-miss redirect URIs, PKCE abuse, bad client
credentials, replayed codes, cross-tenant and cross-client token use, malformed
token requests, forged bearer tokens, bad logins, missing security headers."""

import base64
import copy
import json
import time
import uuid
from urllib.parse import urlencode

import pytest
import requests
from bs4 import BeautifulSoup

from gatehouse_client import (
    DEFAULT_REDIRECT_URI,
    HTTP_TIMEOUT,
    Browser,
    assert_html_security_headers,
    assert_invalid_token,
    assert_oauth_error,
    authorization_request,
    b64url,
    code_flow,
    describe,
    expect,
    find_form,
    is_login_form,
    pkce_pair,
    url_base,
)


def authorize_params(client, redirect_uri=None, **over):
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": redirect_uri or client.redirect_uri,
        "scope": "openid",
        "state": f"st-{uuid.uuid4().hex[:8]}",
        "nonce": uuid.uuid4().hex,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(over)
    return {k: v for k, v in params.items() if v is not None}


def get_authorize(tenant, params, browser=None, **headers):
    http = browser.http if browser else requests
    return http.get(
        tenant.endpoint("authorization_endpoint"),
        params=params,
        headers=headers,
        allow_redirects=False,
        timeout=HTTP_TIMEOUT,
    )


def assert_error_page_without_redirect(resp):
    assert resp.status_code == 400, describe(resp)
    assert "Location" not in resp.headers, describe(resp)
    assert "html" in resp.headers.get("Content-Type", ""), describe(resp)
    assert_html_security_headers(resp)


def obtain_code(tenant, client, user, *, pkce=True):
    """Log in through the pages. Returns (code, authorize params, code_verifier or None)."""
    verifier, challenge = pkce_pair()
    params = authorize_params(client, code_challenge=challenge)
    if not pkce:
        verifier = None
        params.pop("code_challenge")
        params.pop("code_challenge_method")
    result = Browser().authorize(
        tenant.endpoint("authorization_endpoint") + "?" + urlencode(params),
        params["redirect_uri"],
        user=user,
    )
    assert result.code, result.trace()
    return result.code, params, verifier


def redeem(tenant, client, code, params, verifier=None, redirect_uri=None):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri or params["redirect_uri"],
    }
    if verifier:
        data["code_verifier"] = verifier
    return tenant.token_request(data, client, auth="basic" if client.client_secret else "none")


# --------------------------------------------------------------------------- redirect URI


NEAR_MISSES = [
    "https://rp.example/cb/extra",  # added path segment
    "https://rp.example/cb?x=1",  # added query
    "https://rp.example/cb/",  # trailing slash
    "https://rp.example/CB",  # case of the path
    "https://rp.example/cb#frag",  # fragment
    "http://rp.example/cb",  # other scheme
    "https://rp.example:8443/cb",  # other port
    "https://rp.example.evil.com/cb",  # host suffix
    "https://rp.example@evil.com/cb",  # userinfo trick
    "https://evil.com/cb",  # other host
    "https://rp.example/cb/../cb",  # dot segments
    "https://rp.example%2F@evil.com/cb",  # encoded separator
]


@pytest.mark.parametrize("client_type", ["confidential", "public"])
@pytest.mark.parametrize("redirect_uri", NEAR_MISSES)
def test_near_miss_redirect_uri_is_an_error_page_without_redirect(tenant, client_type, redirect_uri):
    client = tenant.create_client(client_type, redirect_uris=[DEFAULT_REDIRECT_URI])
    resp = get_authorize(tenant, authorize_params(client, redirect_uri=redirect_uri))
    assert_error_page_without_redirect(resp)


@pytest.mark.parametrize(
    "client_type,redirect_uri",
    [
        ("public", "http://localhost:53123/cb"),  # only IP literals get port freedom
        ("public", "http://127.0.0.1:53123/cb/x"),  # path must still match
        ("public", "http://127.0.0.1:53123/other"),
        ("public", "https://127.0.0.1:53123/cb"),  # scheme must still match
        ("confidential", "http://127.0.0.1:53123/cb"),  # port freedom is for public clients
    ],
)
def test_loopback_port_freedom_has_limits(tenant, client_type, redirect_uri):
    client = tenant.create_client(client_type, redirect_uris=["http://127.0.0.1/cb"])
    resp = get_authorize(tenant, authorize_params(client, redirect_uri=redirect_uri))
    assert_error_page_without_redirect(resp)


def test_unknown_client_id_is_an_error_page_without_redirect(tenant):
    client = tenant.create_client("confidential")
    params = authorize_params(client, client_id="pk_test_doesnotexist0000000000")
    assert_error_page_without_redirect(get_authorize(tenant, params))
    params = authorize_params(client, client_id=None)
    assert_error_page_without_redirect(get_authorize(tenant, params))


def test_the_error_page_shows_the_x_request_id_of_its_response(tenant):
    """The "Request ID" on an error page is the response's `X-Request-Id` (the id in the log line),
    not a counter that would reveal how many requests the server handled."""
    client = tenant.create_client("confidential")
    resp = get_authorize(tenant, authorize_params(client, client_id="pk_test_doesnotexist0000000000"))
    assert_error_page_without_redirect(resp)
    request_id = resp.headers["X-Request-Id"]
    assert request_id and f"<code>{request_id}</code>" in resp.text, describe(resp)


def test_client_of_another_tenant_is_unknown_at_this_authorize_endpoint(tenant, other_tenant):
    foreign = other_tenant.create_client("confidential")
    resp = get_authorize(tenant, authorize_params(foreign))
    assert_error_page_without_redirect(resp)


# --------------------------------------------------------------------------- errors after validation


@pytest.mark.parametrize(
    "client_type,over,error",
    [
        ("confidential", {"response_type": "token"}, "unsupported_response_type"),
        ("confidential", {"code_challenge_method": "plain"}, "invalid_request"),
        ("public", {"code_challenge_method": "plain"}, "invalid_request"),
        ("public", {"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ("confidential", {"prompt": "none"}, "login_required"),
    ],
    ids=[
        "response_type_token",
        "pkce_plain_confidential",
        "pkce_plain_public",
        "public_without_pkce",
        "prompt_none_without_session",
    ],
)
def test_errors_after_validation_redirect_with_error_state_and_iss(tenant, client_type, over, error):
    user = tenant.create_user()
    client = tenant.create_client(client_type)
    params = authorize_params(client, **over)
    result = Browser().authorize(
        tenant.endpoint("authorization_endpoint") + "?" + urlencode(params),
        client.redirect_uri,
        user=user,
    )
    assert result.kind == "redirect", result.trace()
    assert result.params.get("error") == error, result.params
    assert result.params.get("state") == params["state"]
    assert result.params.get("iss") == tenant.issuer
    assert "code" not in result.params


# --------------------------------------------------------------------------- PKCE and codes


def test_pkce_downgrade_is_invalid_grant(tenant):
    """A code issued without code_challenge must not be redeemable with a code_verifier."""
    user = tenant.create_user()
    client = tenant.create_client("confidential")
    code, params, _ = obtain_code(tenant, client, user, pkce=False)
    verifier, _ = pkce_pair()
    assert_oauth_error(redeem(tenant, client, code, params, verifier=verifier), "invalid_grant")


def test_wrong_code_verifier_is_invalid_grant(tenant):
    user = tenant.create_user()
    client = tenant.create_client("public")
    code, params, _verifier = obtain_code(tenant, client, user)
    other, _ = pkce_pair()
    assert_oauth_error(redeem(tenant, client, code, params, verifier=other), "invalid_grant")


def test_missing_code_verifier_is_invalid_grant(tenant):
    user = tenant.create_user()
    client = tenant.create_client("confidential")
    code, params, _verifier = obtain_code(tenant, client, user)
    assert_oauth_error(redeem(tenant, client, code, params), "invalid_grant")


def test_code_is_bound_to_its_client(tenant):
    user = tenant.create_user()
    client_a = tenant.create_client("confidential", name="A")
    client_b = tenant.create_client("confidential", name="B")
    code, params, verifier = obtain_code(tenant, client_a, user)
    assert_oauth_error(redeem(tenant, client_b, code, params, verifier=verifier), "invalid_grant")


def test_code_is_bound_to_its_redirect_uri(tenant):
    user = tenant.create_user()
    client = tenant.create_client(
        "confidential", redirect_uris=[DEFAULT_REDIRECT_URI, "https://rp.example/cb2"]
    )
    code, params, verifier = obtain_code(tenant, client, user)
    resp = redeem(tenant, client, code, params, verifier=verifier, redirect_uri="https://rp.example/cb2")
    assert_oauth_error(resp, "invalid_grant")


@pytest.mark.slow
def test_code_expires_after_60_seconds(tenant):
    user = tenant.create_user()
    client = tenant.create_client("confidential")
    code, params, verifier = obtain_code(tenant, client, user)
    time.sleep(62)
    assert_oauth_error(redeem(tenant, client, code, params, verifier=verifier), "invalid_grant")


def test_replayed_code_is_rejected_and_revokes_the_first_tokens(tenant):
    user = tenant.create_user()
    client = tenant.create_client("confidential")
    code, params, verifier = obtain_code(tenant, client, user)
    first = expect(redeem(tenant, client, code, params, verifier=verifier), 200).json()
    assert tenant.is_active(client, first["access_token"])

    assert_oauth_error(redeem(tenant, client, code, params, verifier=verifier), "invalid_grant")

    assert not tenant.is_active(client, first["access_token"])
    assert_invalid_token(tenant.userinfo(first["access_token"]))
    assert_oauth_error(tenant.refresh(client, first["refresh_token"]), "invalid_grant")


# --------------------------------------------------------------------------- client authentication


@pytest.mark.parametrize("auth", ["basic", "post"])
def test_wrong_client_secret_is_401_invalid_client(tenant, auth):
    client = tenant.create_client("confidential")
    client.client_secret = client.client_secret + "x"
    resp = tenant.token_request({"grant_type": "client_credentials"}, client, auth=auth)
    assert_oauth_error(resp, "invalid_client", 401)
    assert resp.headers.get("WWW-Authenticate"), describe(resp)


def test_unknown_client_is_401_invalid_client(tenant):
    client = tenant.create_client("confidential")
    client.client_id = "pk_test_doesnotexist0000000000"
    resp = tenant.token_request({"grant_type": "client_credentials"}, client, auth="basic")
    assert_oauth_error(resp, "invalid_client", 401)
    assert resp.headers.get("WWW-Authenticate"), describe(resp)


def test_client_credentials_of_tenant_a_are_invalid_at_tenant_b(tenant, other_tenant):
    client_a = tenant.create_client("confidential")
    expect(tenant.token_request({"grant_type": "client_credentials"}, client_a), 200)
    resp = other_tenant.token_request({"grant_type": "client_credentials"}, client_a)
    assert_oauth_error(resp, "invalid_client", 401)
    assert resp.headers.get("WWW-Authenticate"), describe(resp)


def test_a_client_id_with_a_nul_byte_is_no_alias_of_the_client(admin, tenant):
    """`client_id` is VSCHAR (RFC 6749 Appendix A.1): `id%00…` is an unknown client, before and
    after the real client's secret is rotated or the client deleted (SQLite compares text only up
    to a NUL byte; such an id must never reach a client, nor keep a stale copy alive)."""
    client = tenant.create_client("confidential")
    alias = copy.copy(client)
    alias.client_id = client.client_id + "\x00x"
    assert_oauth_error(tenant.token_request({"grant_type": "client_credentials"}, alias, auth="post"), "invalid_client", 401)
    expect(tenant.token_request({"grant_type": "client_credentials"}, client, auth="post"), 200)
    old_secret = client.client_secret
    expect(admin.post(f"/tenants/{tenant.slug}/clients/{client.client_id}/rotate-secret", json={}), 200)
    alias.client_secret = old_secret
    assert_oauth_error(tenant.token_request({"grant_type": "client_credentials"}, alias, auth="post"), "invalid_client", 401)
    expect(admin.delete(f"/tenants/{tenant.slug}/clients/{client.client_id}"), 204)
    assert_oauth_error(tenant.token_request({"grant_type": "client_credentials"}, alias, auth="post"), "invalid_client", 401)


# --------------------------------------------------------------------------- tenant isolation


def test_token_of_tenant_a_is_invalid_at_tenant_b(tenant, other_tenant):
    user = tenant.create_user()
    client_a = tenant.create_client("confidential")
    client_b = other_tenant.create_client("confidential")
    flow = code_flow(tenant, client_a, user)
    expect(tenant.userinfo(flow.access_token), 200)

    assert_invalid_token(other_tenant.userinfo(flow.access_token))
    assert not other_tenant.is_active(client_b, flow.access_token)
    assert not other_tenant.is_active(client_b, flow.refresh_token)


def test_session_cookies_are_scoped_to_the_tenant_path(tenant):
    user = tenant.create_user()
    client = tenant.create_client("confidential", first_party=True)
    flow = code_flow(tenant, client, user)
    cookies = list(flow.browser.http.cookies)
    assert cookies, "login should set a session cookie"
    prefix = f"/t/{tenant.slug}"
    for cookie in cookies:
        assert cookie.path == prefix or cookie.path.startswith(prefix + "/"), (
            f"cookie {cookie.name} has path {cookie.path!r}, wider than {prefix}"
        )
    assert any(c.path == prefix and c.has_nonstandard_attr("HttpOnly") for c in cookies), [
        (c.name, c.path, c._rest) for c in cookies
    ]


def test_a_session_at_tenant_a_is_no_session_at_tenant_b(tenant, other_tenant):
    user = tenant.create_user()
    client_a = tenant.create_client("confidential", first_party=True)
    client_b = other_tenant.create_client("confidential", first_party=True)
    flow = code_flow(tenant, client_a, user)
    _, url, _, _, _ = authorization_request(other_tenant, client_b, prompt="none")
    result = flow.browser.authorize(url, client_b.redirect_uri, user=None, consent=None)
    assert result.params.get("error") == "login_required", result.trace()


def test_same_email_in_two_tenants_are_different_users(tenant, other_tenant):
    a = tenant.create_user(email=f"twin-{uuid.uuid4().hex[:8]}@example.test")
    b = other_tenant.create_user(email=a.email, password="another password 123")
    assert a.id != b.id
    client_b = other_tenant.create_client("confidential")
    _, url, _, _, _ = authorization_request(other_tenant, client_b)
    result = Browser().authorize(url, client_b.redirect_uri, user=a)  # tenant A's password
    assert not result.code, "tenant A's password logged in at tenant B"


# --------------------------------------------------------------------------- token endpoint input


@pytest.mark.parametrize(
    "body",
    [
        "grant_type=client_credentials&grant_type=client_credentials",
        "grant_type=client_credentials&scope=openid&scope=email",
        "grant_type=authorization_code&code=a&code=b&redirect_uri=https%3A%2F%2Frp.example%2Fcb",
    ],
    ids=["grant_type", "scope", "code"],
)
def test_duplicate_token_parameters_are_invalid_request(tenant, body):
    client = tenant.create_client("confidential")
    resp = tenant.token_request(body, client)
    assert_oauth_error(resp, "invalid_request")


def test_get_on_token_endpoint_issues_no_token(tenant):
    client = tenant.create_client("confidential")
    resp = requests.get(
        tenant.endpoint("token_endpoint"),
        params={"grant_type": "client_credentials"},
        headers=client.basic_auth(),
        timeout=HTTP_TIMEOUT,
        allow_redirects=False,
    )
    assert resp.status_code in (400, 405), describe(resp)
    assert "access_token" not in resp.text


def test_json_body_at_token_endpoint_issues_no_token(tenant):
    client = tenant.create_client("confidential")
    resp = requests.post(
        tenant.endpoint("token_endpoint"),
        json={"grant_type": "client_credentials"},
        headers=client.basic_auth(),
        timeout=HTTP_TIMEOUT,
        allow_redirects=False,
    )
    assert resp.status_code in (400, 415), describe(resp)
    assert "access_token" not in resp.text


def test_token_error_responses_are_json_and_not_cached(tenant):
    client = tenant.create_client("confidential")
    resp = tenant.token_request(
        {"grant_type": "authorization_code", "code": "nope", "redirect_uri": client.redirect_uri}, client
    )
    assert_oauth_error(resp, "invalid_grant")
    assert resp.headers.get("Content-Type", "").startswith("application/json")
    assert "no-store" in resp.headers.get("Cache-Control", "")


# --------------------------------------------------------------------------- bearer tokens


def test_userinfo_without_token_is_a_bare_bearer_challenge(tenant):
    resp = tenant.userinfo(None)
    assert resp.status_code == 401, describe(resp)
    challenge = resp.headers.get("WWW-Authenticate", "")
    assert challenge.lower().startswith("bearer"), challenge
    assert "error=" not in challenge, challenge


def _tamper(token: str) -> str:
    header, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "usr_someone_else"
    return ".".join([header, b64url(json.dumps(claims).encode()), sig])


def _alg_none(token: str) -> str:
    _, payload, _ = token.split(".")
    header = b64url(json.dumps({"alg": "none", "typ": "at+jwt"}).encode())
    return f"{header}.{payload}."


@pytest.mark.parametrize("forge", ["garbage", "tampered", "alg_none", "id_token"])
def test_forged_bearer_tokens_are_invalid_token(tenant, forge):
    user = tenant.create_user()
    client = tenant.create_client("confidential")
    flow = code_flow(tenant, client, user)
    token = {
        "garbage": "definitely-not-a-token",
        "tampered": _tamper(flow.access_token),
        "alg_none": _alg_none(flow.access_token),
        "id_token": flow.id_token,  # an ID token is not an access token (typ at+jwt)
    }[forge]
    assert_invalid_token(tenant.userinfo(token))
    assert not tenant.is_active(client, token)


def test_expired_access_token_is_invalid(tenant):
    tenant.patch({"settings": {"access_token_ttl": 1}})
    user = tenant.create_user()
    client = tenant.create_client("confidential")
    flow = code_flow(tenant, client, user)
    time.sleep(3)
    assert_invalid_token(tenant.userinfo(flow.access_token))
    assert not tenant.is_active(client, flow.access_token)


# --------------------------------------------------------------------------- login page


def login_page(tenant, client, browser):
    resp = browser.follow(get_authorize(tenant, authorize_params(client), browser=browser))
    assert resp.status_code == 200, describe(resp)
    form = find_form(resp.text, is_login_form)
    assert form is not None, f"no login form: {describe(resp)}"
    return resp, form


@pytest.mark.parametrize("who", ["wrong_password", "unknown_email"])
def test_failed_login_shows_an_alert_and_does_not_redirect(tenant, who):
    user = tenant.create_user()
    client = tenant.create_client("confidential")
    browser = Browser()
    page, form = login_page(tenant, client, browser)
    email = user.email if who == "wrong_password" else f"nobody-{uuid.uuid4().hex[:6]}@example.test"
    resp = browser.submit(page, form, {"email": email, "password": "wrong password 000"})
    assert resp.status_code in (200, 400, 401), describe(resp)
    assert "Location" not in resp.headers, describe(resp)
    soup = BeautifulSoup(resp.text, "html.parser")
    alert = soup.find(attrs={"role": "alert"})
    assert alert is not None and alert.get_text(strip=True), resp.text
    assert find_form(resp.text, is_login_form) is not None, "login form should be shown again"
    assert_html_security_headers(resp)


def test_login_post_without_hidden_inputs_is_rejected(tenant):
    user = tenant.create_user()
    client = tenant.create_client("confidential", first_party=True)
    browser = Browser()
    page, form = login_page(tenant, client, browser)
    hidden = [i["name"] for i in form.find_all("input", attrs={"type": "hidden"}) if i.get("name")]
    assert hidden, "login form should carry hidden CSRF/interaction inputs"
    resp = browser.submit(page, form, {"email": user.email, "password": user.password}, drop=hidden)
    final = browser.follow(resp, stop=lambda loc: url_base(loc) == client.redirect_uri)
    assert "code=" not in final.headers.get("Location", ""), describe(final)


def test_login_form_replayed_from_another_browser_is_rejected(tenant):
    """Login CSRF: the hidden inputs are bound to the browser that loaded the page."""
    user = tenant.create_user()
    client = tenant.create_client("confidential", first_party=True)
    victim_page, form = login_page(tenant, client, Browser())
    attacker = Browser()
    resp = attacker.submit(victim_page, form, {"email": user.email, "password": user.password})
    final = attacker.follow(resp, stop=lambda loc: url_base(loc) == client.redirect_uri)
    assert "code=" not in final.headers.get("Location", ""), describe(final)


# --------------------------------------------------------------------------- headers


def test_security_headers_on_login_consent_and_error_pages(tenant):
    user = tenant.create_user()
    client = tenant.create_client("confidential")
    browser = Browser()
    page, form = login_page(tenant, client, browser)
    assert_html_security_headers(page)
    consent = browser.follow(
        browser.submit(page, form, {"email": user.email, "password": user.password}),
        stop=lambda loc: url_base(loc) == client.redirect_uri,
    )
    assert consent.status_code == 200, describe(consent)
    assert_html_security_headers(consent)

    error = get_authorize(tenant, authorize_params(client, redirect_uri="https://evil.com/cb"))
    assert_error_page_without_redirect(error)


def test_account_console_login_page_has_security_headers(tenant):
    browser = Browser()
    page = browser.follow(browser.get(f"{tenant.issuer}/account"))
    assert page.status_code == 200, describe(page)
    assert find_form(page.text, is_login_form) is not None, describe(page)
    assert_html_security_headers(page)


def test_authorization_endpoint_never_sends_cors_headers(tenant):
    origin = "https://spa.example"
    tenant.patch({"settings": {"allowed_origins": [origin]}})
    client = tenant.create_client("public")
    params = authorize_params(client)
    resp = get_authorize(tenant, params, Origin=origin)
    assert resp.status_code in (200, 302, 303), describe(resp)
    assert "Access-Control-Allow-Origin" not in resp.headers, resp.headers
    preflight = requests.options(
        tenant.endpoint("authorization_endpoint"),
        headers={"Origin": origin, "Access-Control-Request-Method": "GET"},
        timeout=HTTP_TIMEOUT,
        allow_redirects=False,
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers, preflight.headers
    bad = get_authorize(tenant, authorize_params(client, client_id="pk_test_nope"), Origin=origin)
    assert "Access-Control-Allow-Origin" not in bad.headers, bad.headers


# --------------------------------------------------------------------------- logout


def test_unregistered_post_logout_redirect_uri_is_not_followed(tenant):
    user = tenant.create_user()
    client = tenant.create_client("confidential", first_party=True)
    flow = code_flow(tenant, client, user)
    evil = "https://evil.com/signed-out"
    resp = flow.browser.get(
        tenant.endpoint("end_session_endpoint"),
        params={"id_token_hint": flow.id_token, "post_logout_redirect_uri": evil, "state": "s"},
    )
    assert resp.status_code == 400, describe(resp)
    assert not resp.headers.get("Location", "").startswith("https://evil.com"), describe(resp)
    assert_html_security_headers(resp)


def test_a_nul_character_in_admin_text_is_a_field_error_on_every_backend(admin, tenant):
    """U+0000 means nothing in any field, and PostgreSQL's text cannot hold it: the admin API
    answers 422 naming the field (never a 500), whatever the storage backend."""
    cases = [
        ("PATCH", f"/tenants/{tenant.slug}", {"name": "a\x00b"}, "name"),
        ("POST", f"/tenants/{tenant.slug}/clients", {"name": "a\x00b", "type": "public", "redirect_uris": ["https://x.example/cb"]}, "name"),
        ("POST", f"/tenants/{tenant.slug}/clients", {"name": "ok", "type": "public", "redirect_uris": ["https://x.example/cb\x00"]}, "redirect_uris"),
        ("PATCH", f"/tenants/{tenant.slug}", {"settings": {"allowed_origins": ["https://a.example\x00"]}}, "settings"),
    ]
    for method, path, body, field in cases:
        resp = admin.request(method, path, json=body)
        assert resp.status_code == 422, (path, body, resp.status_code, resp.text)
        assert any(e["field"].startswith(field) for e in resp.json()["errors"]), resp.json()
