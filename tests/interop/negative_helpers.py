"""Helpers of the negative interop tests (test_negative_*.py): authorization requests built by hand,
the error page that must not redirect, and a code obtained and redeemed step by step.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

import requests

from gatehouse_client import HTTP_TIMEOUT, Browser, assert_html_security_headers, describe, pkce_pair


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
