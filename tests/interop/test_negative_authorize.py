"""What Gatehouse must refuse at the authorization endpoint: near-miss redirect URIs, unknown
clients, errors after validation (redirected with ``error``, ``state`` and ``iss``), PKCE abuse and
replayed or misbound codes.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest

from gatehouse_client import (
    DEFAULT_REDIRECT_URI,
    Browser,
    assert_invalid_token,
    assert_oauth_error,
    describe,
    expect,
    pkce_pair,
)
from negative_helpers import (
    assert_error_page_without_redirect,
    authorize_params,
    get_authorize,
    obtain_code,
    redeem,
)

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
