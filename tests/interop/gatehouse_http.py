"""Plain HTTP helpers of the interop suite (re-exported by ``gatehouse_client``): timeouts and the
suite's default redirect URIs and password, unique slugs and emails, PKCE, ``at_hash``, response
descriptions and status checks, URL parts, Basic auth, RFC 9457 problem checks."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from urllib.parse import parse_qsl, quote, urlsplit

import requests


HTTP_TIMEOUT = 15

# OIDC Core §3.1.3.6: at_hash is the left half of the hash of the access token, with
# the hash function belonging to the ID token's JWS alg. For EdDSA with Ed25519 the
# convention (node-oidc-provider and others, and the draft that registers
# "Ed25519") is SHA-512, so the left half is 32 bytes.
AT_HASH_ALG = "sha512"

# Redirect URIs point at nothing; the suite never follows a redirect to them.
DEFAULT_REDIRECT_URI = "https://rp.example/cb"
DEFAULT_POST_LOGOUT_REDIRECT_URI = "https://rp.example/signed-out"
DEFAULT_PASSWORD = "correct horse battery staple 42"

REDIRECT_STATUSES = (301, 302, 303, 307, 308)


# --------------------------------------------------------------------------- utils


def unique_slug(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.test"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def pkce_pair() -> tuple[str, str]:
    """Return (code_verifier, S256 code_challenge) per RFC 7636."""
    verifier = b64url(secrets.token_bytes(48))  # 64 chars, unreserved alphabet
    challenge = b64url(hashlib.sha256(verifier.encode("ascii")).digest())
    return verifier, challenge


def at_hash(access_token: str, alg: str = AT_HASH_ALG) -> str:
    digest = hashlib.new(alg, access_token.encode("ascii")).digest()
    return b64url(digest[: len(digest) // 2])


def describe(resp: requests.Response, limit: int = 1500) -> str:
    """A short description of a response for assertion messages."""
    body = resp.text if resp.content else ""
    if len(body) > limit:
        body = body[:limit] + "…"
    loc = resp.headers.get("Location")
    return (
        f"{resp.request.method} {resp.url} -> {resp.status_code}"
        + (f" Location={loc}" if loc else "")
        + f" content-type={resp.headers.get('Content-Type')}\n{body}"
    )


def expect(resp: requests.Response, *statuses: int) -> requests.Response:
    assert resp.status_code in statuses, f"expected {statuses}: {describe(resp)}"
    return resp


def url_base(url: str) -> str:
    """scheme://netloc/path of a URL (query and fragment dropped)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def query_params(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def basic_auth_header(client_id: str, client_secret: str) -> str:
    # RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
    raw = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}"
    return "Basic " + base64.b64encode(raw.encode()).decode()


def assert_problem(resp: requests.Response, *statuses: int) -> dict:
    """Assert an RFC 9457 problem response and return its body."""
    assert resp.status_code in statuses, f"expected {statuses}: {describe(resp)}"
    ctype = resp.headers.get("Content-Type", "")
    assert ctype.split(";")[0].strip().lower() == "application/problem+json", describe(resp)
    body = resp.json()
    for key in ("type", "title", "status", "detail"):
        assert key in body, f"problem lacks {key!r}: {body}"
    assert isinstance(body["type"], str) and body["type"], body
    assert isinstance(body["title"], str) and body["title"], body
    assert body["status"] == resp.status_code, body
    assert isinstance(body["detail"], str), body
    return body
