"""Checks shared by the Authlib interop tests (test_authlib_*.py): the scope they ask for and the
shape of a token endpoint response, and a ``prompt=none`` request.
"""

from __future__ import annotations

from gatehouse_client import RP, authorization_request

SCOPE = "openid profile email"


def assert_token_endpoint_response(rp: RP) -> None:
    resp = rp.raw_responses[-1]
    assert resp.status_code == 200, resp.text
    assert resp.headers.get("Content-Type", "").startswith("application/json"), resp.headers
    assert "no-store" in resp.headers.get("Cache-Control", ""), resp.headers


def assert_bearer_token_response(token: dict) -> None:
    assert token["token_type"].lower() == "bearer", token
    assert int(token["expires_in"]) > 0, token
    assert token.get("access_token"), token


def prompt_none(tenant, client, browser):
    """Authorization request with prompt=none; returns (AuthResult, state)."""
    _, url, state, _, _ = authorization_request(tenant, client, prompt="none")
    return browser.authorize(url, client.redirect_uri, user=None, consent=None), state
