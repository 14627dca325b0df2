"""The relying party and token checks of the interop suite (re-exported by ``gatehouse_client``):
``RP`` / ``make_rp`` / ``code_flow`` (an Authlib ``OAuth2Session``), PyJWT and joserfc verification of
ID and access tokens, OAuth error and security header checks."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt as pyjwt
import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet

from gatehouse_admin import (
    Client,
    Tenant,
    User,
)
from gatehouse_browser import (
    AuthResult,
    Browser,
)
from gatehouse_http import (
    AT_HASH_ALG,
    HTTP_TIMEOUT,
    at_hash,
    b64url,
    describe,
)


# --------------------------------------------------------------------------- RP (Authlib)


class RP(OAuth2Session):
    """Authlib's requests OAuth2Session, keeping the raw token endpoint responses."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("leeway", 0)
        kwargs.setdefault("default_timeout", HTTP_TIMEOUT)
        super().__init__(*args, **kwargs)
        self.raw_responses: list[requests.Response] = []
        self.register_compliance_hook("access_token_response", self._keep)
        self.register_compliance_hook("refresh_token_response", self._keep)

    def _keep(self, resp):
        self.raw_responses.append(resp)
        return resp


def make_rp(
    tenant: Tenant,
    client: Client,
    *,
    scope: str = "openid profile email",
    redirect_uri: str | None = None,
    auth_method: str | None = None,
    pkce: bool = True,
) -> RP:
    if auth_method is None:
        auth_method = "client_secret_basic" if client.client_secret else "none"
    return RP(
        client_id=client.client_id,
        client_secret=client.client_secret,
        token_endpoint_auth_method=auth_method,
        revocation_endpoint_auth_method=auth_method,
        scope=scope,
        redirect_uri=redirect_uri or client.redirect_uri,
        code_challenge_method="S256" if pkce else None,
        token_endpoint=tenant.endpoint("token_endpoint"),
    )


@dataclass
class Flow:
    rp: RP
    token: dict
    browser: Browser
    auth: AuthResult
    nonce: str
    state: str
    code_verifier: str | None
    redirect_uri: str

    @property
    def access_token(self) -> str:
        return self.token["access_token"]

    @property
    def id_token(self) -> str:
        return self.token["id_token"]

    @property
    def refresh_token(self) -> str:
        return self.token["refresh_token"]


def authorization_request(
    tenant: Tenant,
    client: Client,
    *,
    scope: str = "openid profile email",
    redirect_uri: str | None = None,
    auth_method: str | None = None,
    pkce: bool = True,
    **extra: str,
) -> tuple[RP, str, str, str, str | None]:
    """Build an authorization URL with Authlib. Returns (rp, url, state, nonce, verifier)."""
    rp = make_rp(tenant, client, scope=scope, redirect_uri=redirect_uri, auth_method=auth_method, pkce=pkce)
    verifier = b64url(secrets.token_bytes(48)) if pkce else None
    nonce = extra.pop("nonce", None) or secrets.token_urlsafe(16)
    url, state = rp.create_authorization_url(
        tenant.endpoint("authorization_endpoint"), code_verifier=verifier, nonce=nonce, **extra
    )
    return rp, url, state, nonce, verifier


def code_flow(
    tenant: Tenant,
    client: Client,
    user: User | None,
    *,
    browser: Browser | None = None,
    scope: str = "openid profile email",
    redirect_uri: str | None = None,
    auth_method: str | None = None,
    pkce: bool = True,
    consent: str = "allow",
    max_logins: int = 1,
    **extra: str,
) -> Flow:
    """A complete authorization code flow: Authlib builds the request, the Browser
    logs in and consents, Authlib redeems the code. Asserts RFC 9207 ``iss``."""
    browser = browser or Browser()
    redirect_uri = redirect_uri or client.redirect_uri
    rp, url, state, nonce, verifier = authorization_request(
        tenant,
        client,
        scope=scope,
        redirect_uri=redirect_uri,
        auth_method=auth_method,
        pkce=pkce,
        **extra,
    )
    auth = browser.authorize(url, redirect_uri, user=user, consent=consent, max_logins=max_logins)
    assert auth.kind in ("redirect", "form_post") and auth.code, "no authorization code: " + auth.trace()
    assert auth.params.get("state") == state, auth.params
    assert auth.params.get("iss") == tenant.issuer, auth.params
    kwargs: dict[str, Any] = {"redirect_uri": redirect_uri}
    if verifier:
        kwargs["code_verifier"] = verifier
    if auth.kind == "redirect":
        token = rp.fetch_token(authorization_response=auth.location, state=state, **kwargs)
    else:
        token = rp.fetch_token(code=auth.code, **kwargs)
    return Flow(
        rp=rp,
        token=dict(token),
        browser=browser,
        auth=auth,
        nonce=nonce,
        state=state,
        code_verifier=verifier,
        redirect_uri=redirect_uri,
    )


# --------------------------------------------------------------------------- tokens


def _aud_matches(aud: Any, expected: str) -> bool:
    return aud == expected or (isinstance(aud, list) and expected in aud)


def verify_pyjwt(tenant: Tenant, token: str, audience: str) -> dict:
    """Verify with PyJWT's PyJWKClient: signature (EdDSA only), iss, aud, exp, iat."""
    jwks_client = pyjwt.PyJWKClient(tenant.endpoint("jwks_uri"), cache_keys=False)
    signing_key = jwks_client.get_signing_key_from_jwt(token)
    return pyjwt.decode(
        token,
        signing_key.key,
        algorithms=["EdDSA"],
        audience=audience,
        issuer=tenant.issuer,
        leeway=5,
        options={"require": ["iss", "sub", "aud", "exp", "iat"]},
    )


def verify_joserfc(tenant: Tenant, token: str, audience: str) -> tuple[dict, dict]:
    """Verify with joserfc against the JWKS. Returns (header, claims)."""
    keys = KeySet.import_key_set(tenant.jwks)
    decoded = jose_jwt.decode(token, keys, algorithms=["EdDSA"])
    registry = jose_jwt.JWTClaimsRegistry(
        leeway=5,
        iss={"essential": True, "value": tenant.issuer},
        aud={"essential": True, "value": audience},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
    )
    registry.validate(decoded.claims)
    return dict(decoded.header), dict(decoded.claims)


def check_id_token(
    tenant: Tenant,
    client: Client,
    id_token: str,
    *,
    access_token: str | None = None,
    nonce: str | None = None,
    user: User | None = None,
    scope: str = "openid",
) -> dict:
    header = pyjwt.get_unverified_header(id_token)
    assert header.get("alg") == "EdDSA", header
    assert "at+jwt" not in str(header.get("typ", "")).lower(), "ID token typed as access token"
    assert header.get("kid"), header
    kids = {k.get("kid") for k in tenant.jwks["keys"]}
    assert header["kid"] in kids, (header, kids)
    claims = verify_pyjwt(tenant, id_token, client.client_id)
    _, jclaims = verify_joserfc(tenant, id_token, client.client_id)
    assert claims == jclaims
    now = time.time()
    assert claims["iss"] == tenant.issuer
    assert _aud_matches(claims["aud"], client.client_id), claims
    assert claims.get("azp") == client.client_id, claims
    assert claims["exp"] > now and claims["iat"] <= now + 5, claims
    assert isinstance(claims.get("auth_time"), int) and claims["auth_time"] <= now + 5, claims
    assert claims.get("sid"), claims
    assert "pwd" in claims.get("amr", []), claims
    if nonce is not None:
        assert claims.get("nonce") == nonce, claims
    if access_token is not None:
        assert claims.get("at_hash") == at_hash(access_token), (
            f"at_hash {claims.get('at_hash')!r} != {AT_HASH_ALG} left half {at_hash(access_token)!r}"
        )
    if user is not None:
        assert claims["sub"] == user.id, claims
        scopes = scope.split()
        if "email" in scopes:
            assert claims.get("email") == user.email, claims
            assert claims.get("email_verified") is True, claims
        if "profile" in scopes:
            assert claims.get("name") == user.name, claims
    return claims


def check_access_token(
    tenant: Tenant,
    client: Client,
    access_token: str,
    *,
    user: User | None = None,
    scope: str | None = None,
) -> dict:
    header = pyjwt.get_unverified_header(access_token)
    assert header.get("alg") == "EdDSA", header
    assert header.get("kid"), header
    assert str(header.get("typ", "")).lower() in ("at+jwt", "application/at+jwt"), header
    claims = verify_pyjwt(tenant, access_token, client.client_id)
    jheader, jclaims = verify_joserfc(tenant, access_token, client.client_id)
    assert claims == jclaims
    assert claims["client_id"] == client.client_id, claims
    assert claims.get("jti"), claims
    assert claims.get("tid") == tenant.id, claims
    assert claims["exp"] > time.time(), claims
    if scope is not None:
        assert set(claims.get("scope", "").split()) == set(scope.split()), claims
    if user is not None:
        assert claims["sub"] == user.id, claims
        assert claims.get("sid"), claims
        assert isinstance(claims.get("auth_time"), int), claims
        assert "pwd" in claims.get("amr", []), claims
    return claims


def assert_oauth_error(resp: requests.Response, error: str, *statuses: int) -> dict:
    statuses = statuses or (400,)
    assert resp.status_code in statuses, f"expected {error} {statuses}: {describe(resp)}"
    body = resp.json()
    assert body.get("error") == error, f"expected {error}: {describe(resp)}"
    return body


def assert_invalid_token(resp: requests.Response) -> None:
    assert resp.status_code == 401, describe(resp)
    challenge = resp.headers.get("WWW-Authenticate", "")
    assert challenge.lower().startswith("bearer"), describe(resp)
    assert 'error="invalid_token"' in challenge, challenge


def assert_html_security_headers(resp: requests.Response) -> None:
    csp = resp.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp, f"CSP {csp!r} on {resp.url}"
    assert resp.headers.get("X-Content-Type-Options", "").lower() == "nosniff", resp.headers
    assert resp.headers.get("Referrer-Policy", "").lower() == "no-referrer", resp.headers
