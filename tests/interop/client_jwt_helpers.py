"""Helpers of the JWT client authentication interop tests (test_client_jwt_auth.py): keys
(joserfc), clients registered for ``private_key_jwt``, Authlib sessions with ``PrivateKeyJWT``,
assertions built by hand (signed, unsigned or HMAC-keyed with anything), raw token requests, and a
plain-http JWKS document on 127.0.0.1 that counts its fetches.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc import jwt as jose_jwt
from joserfc.jwk import ECKey, OKPKey, RSAKey

from gatehouse_client import RP
from gatehouse_http import HTTP_TIMEOUT

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = {
    "RS256": lambda kid: RSAKey.generate_key(2048, parameters={"kid": kid}),
    "ES256": lambda kid: ECKey.generate_key("P-256", parameters={"kid": kid}),
    "EdDSA": lambda kid: OKPKey.generate_key("Ed25519", parameters={"kid": kid}),
}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwks(*keys) -> dict:
    return {"keys": [key.as_dict(private=False) for key in keys]}


def key_client(tenant, keys=None, *, jwks_uri: str | None = None, **extra):
    """A confidential client registered for private_key_jwt with ``keys`` inline or ``jwks_uri``."""
    fields = {"jwks_uri": jwks_uri} if jwks_uri else {"jwks": public_jwks(*keys)}
    client = tenant.create_client(
        "confidential",
        grant_types=["client_credentials", "authorization_code"],
        token_endpoint_auth_method="private_key_jwt",
        **fields,
        **extra,
    )
    assert client.raw["token_endpoint_auth_method"] == "private_key_jwt", client.raw
    return client


def key_session(tenant, client, key, alg: str, audience: str | None = None) -> RP:
    """Authlib's session authenticating with ``PrivateKeyJWT``: the assertion's aud is the URL the
    request goes to unless ``audience`` is given."""
    rp = RP(
        client_id=client.client_id,
        client_secret=key,
        token_endpoint_auth_method="private_key_jwt",
        revocation_endpoint_auth_method="private_key_jwt",
        token_endpoint=tenant.endpoint("token_endpoint"),
    )
    rp.register_client_auth_method(PrivateKeyJWT(audience, alg=alg))
    return rp


def assertion(client_id: str, key, alg: str, aud: str, **changes) -> str:
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": aud,
        "iat": now,
        "exp": now + 120,
        "jti": secrets.token_urlsafe(16),
    }
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jose_jwt.encode({"alg": alg, "kid": key.kid}, claims, key, algorithms=[alg])


def unsigned(header: dict, claims: dict, hmac_key: bytes | None) -> str:
    signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
    if hmac_key is None:
        return signing_input + "."
    return signing_input + "." + b64(hmac.new(hmac_key, signing_input.encode(), hashlib.sha256).digest())


def token_with(tenant, client_assertion: str, **extra) -> requests.Response:
    data = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": client_assertion,
        **extra,
    }
    return requests.post(tenant.endpoint("token_endpoint"), data=data, timeout=HTTP_TIMEOUT)


def assert_invalid_client(resp: requests.Response) -> None:
    assert resp.status_code == 401, (resp.status_code, resp.text)
    assert resp.json()["error"] == "invalid_client", resp.text
    assert resp.headers.get("WWW-Authenticate", "").startswith("Basic "), resp.headers  # RFC 6749 §5.2
    assert "no-store" in resp.headers.get("Cache-Control", ""), resp.headers


class JWKSServer:
    """A plain-http JWKS document on 127.0.0.1, counting its fetches."""

    def __init__(self, document: dict):
        self.document = document
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                outer.hits += 1
                body = json.dumps(outer.document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/jwks.json"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
