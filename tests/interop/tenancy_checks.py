"""Checks for the multi-tenancy interop tests, split from ``tenancy_helpers`` (which re-exports them).

* JWT verification against a tenant's JWKS for any algorithm (EdDSA, ES256, RS256), tampering.
* CORS header checks.
* ``leaks``: which identifiers or tokens of another tenant a response contains.
"""

from __future__ import annotations

import json
from typing import Any

import jwt as pyjwt
import requests

from gatehouse_client import (
    HTTP_TIMEOUT,
    Tenant,
    describe,
)


# --------------------------------------------------------------------------- tokens


def unverified(token: str) -> tuple[dict, dict]:
    """(JWS header, claims) without verification."""
    return pyjwt.get_unverified_header(token), pyjwt.decode(token, options={"verify_signature": False})


def tamper(token: str, header: dict | None = None, signature: str | None = None, **claims: Any) -> str:
    """``token`` with header fields and claims replaced, keeping its signature (or using
    ``signature``): a forgery that a correct verifier refuses."""
    import base64

    def enc(obj: dict) -> str:
        raw = json.dumps(obj, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    head, body = unverified(token)
    head.update(header or {})
    body.update(claims)
    sig = token.rsplit(".", 1)[1] if signature is None else signature
    return f"{enc(head)}.{enc(body)}.{sig}"


def verify_jwt(tenant: Tenant, token: str, alg: str, audience: str | None = None) -> dict:
    """Verify ``token`` with PyJWT against the tenant's JWKS, accepting only ``alg``."""
    jwks_client = pyjwt.PyJWKClient(tenant.endpoint("jwks_uri"), cache_keys=False)
    key = jwks_client.get_signing_key_from_jwt(token)
    options: dict[str, Any] = {"require": ["iss", "sub", "exp", "iat"]}
    if audience is None:
        options["verify_aud"] = False
    return pyjwt.decode(
        token, key.key, algorithms=[alg], audience=audience, issuer=tenant.issuer, leeway=5, options=options
    )


def jwks_kids(tenant_or_url: Tenant | str) -> set[str]:
    url = tenant_or_url if isinstance(tenant_or_url, str) else tenant_or_url.endpoint("jwks_uri")
    resp = requests.get(url, timeout=HTTP_TIMEOUT)
    assert resp.status_code == 200, describe(resp)
    return {k["kid"] for k in resp.json()["keys"]}


def max_age(resp: requests.Response) -> int | None:
    for part in resp.headers.get("Cache-Control", "").split(","):
        name, _, value = part.strip().partition("=")
        if name.lower() == "max-age":
            return int(value)
    return None


# --------------------------------------------------------------------------- CORS


def vary_has_origin(resp: requests.Response) -> bool:
    return any(v.strip().lower() == "origin" for v in resp.headers.get("Vary", "").split(","))


def assert_cors(resp: requests.Response, origin: str) -> None:
    assert resp.headers.get("Access-Control-Allow-Origin") == origin, (
        f"no CORS for {origin}: {describe(resp)}"
    )
    assert vary_has_origin(resp), f"Vary lacks Origin: {resp.headers}"
    assert "Access-Control-Allow-Credentials" not in resp.headers, resp.headers


def assert_no_cors(resp: requests.Response) -> None:
    leaked = {k: v for k, v in resp.headers.items() if k.lower().startswith("access-control-")}
    assert not leaked, f"unexpected CORS headers {leaked}: {describe(resp)}"


# --------------------------------------------------------------------------- leaks


def response_texts(resp: requests.Response) -> list[str]:
    """Everything of a response that another tenant's data could appear in: the body and
    every header value (Location, WWW-Authenticate, Set-Cookie, …)."""
    texts = [resp.text if resp.content else ""]
    texts += [f"{k}: {v}" for k, v in resp.headers.items()]
    return texts


def leaks(responses: list[requests.Response] | requests.Response, needles: dict[str, str]) -> list[str]:
    """Labels of the ``needles`` (label → secret or identifier) found in the responses."""
    if isinstance(responses, requests.Response):
        responses = [responses]
    found = []
    for resp in responses:
        blob = "\n".join(response_texts(resp))
        for label, value in needles.items():
            if value and value in blob and label not in found:
                found.append(label)
    return found


def json_or_none(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except (ValueError, json.JSONDecodeError):
        return None
