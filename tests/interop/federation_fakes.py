"""Upstream providers written for the federation interop tests (test_federation_*.py), on loopback.

* ``FakeOIDC``: an OpenID provider whose answers each test can spoil through a per-client
  ``Scenario`` (unknown signing key, wrong ``iss``/``aud``/``nonce``, expired token, denied consent,
  slow token endpoint, redirect to a private address, …). It checks what a real provider checks:
  registered redirect URI, PKCE S256, client authentication.
* ``FakeGitHub``: a small OAuth 2.0 server in GitHub's shape (non-OIDC): ``/login/oauth/authorize``,
  ``/login/oauth/access_token``, ``/user``, ``/user/emails``, plus ``/oauth2/me`` with other field
  names for the generic OAuth 2.0 claim mapping.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import jwt as pyjwt
from cryptography.hazmat.primitives.asymmetric import rsa


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def s256(verifier: str) -> str:
    return b64url(hashlib.sha256(verifier.encode()).digest())


# --------------------------------------------------------------------------- fake OIDC provider


@dataclass
class Scenario:
    """How the fake provider answers one client (keyed by client_id)."""

    secret: str = "fake-secret"
    email: str | None = None
    email_verified: bool = True
    name: str = "Upstream User"
    subject: str = field(default_factory=lambda: "sub-" + uuid.uuid4().hex[:12])
    amr: list[str] | None = None
    preferred_username: str | None = None
    omit_email: bool = False  # no email or email_verified claim at all
    # Spoilers.
    deny: bool = False  # authorize answers error=access_denied
    iss_param: str | None = "right"  # RFC 9207 iss: "right", "wrong", or None (not sent)
    unknown_key: bool = False
    wrong_iss: bool = False
    wrong_aud: bool = False
    wrong_nonce: bool = False
    missing_nonce: bool = False
    expired: bool = False
    token_delay: float = 0.0
    token_redirect: str | None = None  # 307 from the token endpoint to this URL
    # What the provider saw.
    token_requests: list[dict] = field(default_factory=list)


class _IPv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


class _Server:
    def __init__(self, handler_factory, host: str = "127.0.0.1"):
        server_class = _IPv6Server if ":" in host else ThreadingHTTPServer
        self.httpd = server_class((host, 0), handler_factory(self))
        self.httpd.daemon_threads = True
        self.base = f"http://{f'[{host}]' if ':' in host else host}:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _handler(owner, routes):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _dispatch(self, method: str):
            parts = urlsplit(self.path)
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            fn = routes.get((method, parts.path))
            if fn is None:
                return self.reply(404, {"error": "not_found"})
            return fn(owner, self, query, body)

        def do_GET(self):  # noqa: N802
            self._dispatch("GET")

        def do_POST(self):  # noqa: N802
            self._dispatch("POST")

        def reply(self, status: int, body: Any = None, headers: dict | None = None, raw: bytes | None = None):
            data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
            self.send_response(status)
            if raw is None and body is not None:
                self.send_header("Content-Type", "application/json")
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def redirect(self, location: str, status: int = 302):
            self.reply(status, headers={"Location": location})

        def log_message(self, *args):
            pass

    return Handler


def _basic_credentials(handler) -> tuple[str, str] | None:
    auth = handler.headers.get("Authorization", "")
    if not auth.startswith("Basic "):
        return None
    from urllib.parse import unquote_plus

    user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
    return unquote_plus(user), unquote_plus(password)


class FakeOIDC(_Server):
    """An OpenID provider for tests. ``issuer`` is its base URL."""

    def __init__(self, host: str = "127.0.0.1"):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "fake-" + uuid.uuid4().hex[:8]
        self.rogue_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.clients: dict[str, Scenario] = {}
        self.codes: dict[str, dict] = {}
        self.discovery_hits = 0
        self.jwks_hits = 0
        super().__init__(lambda owner: _handler(owner, self.ROUTES), host=host)
        self.issuer = self.base

    def register(self, redirect_uri: str, **scenario: Any) -> tuple[str, Scenario]:
        client_id = "client-" + uuid.uuid4().hex[:10]
        sc = Scenario(**scenario)
        sc.redirect_uri = redirect_uri  # type: ignore[attr-defined]
        self.clients[client_id] = sc
        return client_id, sc

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def jwk(self) -> dict:
        data = json.loads(pyjwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        data.update(kid=self.kid, alg="RS256", use="sig")
        return data

    # ---- endpoints

    def _discovery(self, h, q, body):
        self.discovery_hits += 1
        h.reply(200, {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.base}/authorize",
            "token_endpoint": f"{self.base}/token",
            "userinfo_endpoint": f"{self.base}/userinfo",
            "jwks_uri": f"{self.base}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": True,
        })

    def _jwks(self, h, q, body):
        self.jwks_hits += 1
        h.reply(200, {"keys": [self.jwk()]})

    def _authorize(self, h, q, body):
        sc = self.clients.get(q.get("client_id", ""))
        if sc is None or q.get("redirect_uri") != sc.redirect_uri:
            return h.reply(400, raw=b"unknown client or redirect_uri", headers={"Content-Type": "text/plain"})
        assert q.get("response_type") == "code" and q.get("code_challenge_method") == "S256", q
        params = {"state": q["state"]}
        if sc.deny:
            params.update(error="access_denied", error_description="The user said no")
        else:
            code = secrets.token_urlsafe(24)
            self.codes[code] = {"client_id": q["client_id"], "nonce": q.get("nonce"), "challenge": q.get("code_challenge"),
                                "redirect_uri": q["redirect_uri"]}
            params["code"] = code
        if sc.iss_param == "right":
            params["iss"] = self.issuer
        elif sc.iss_param == "wrong":
            params["iss"] = "https://attacker.example"
        h.redirect(f"{sc.redirect_uri}?{urlencode(params)}")

    def _token(self, h, q, body):
        form = dict(parse_qsl(body.decode()))
        creds = _basic_credentials(h)
        client_id = creds[0] if creds else form.get("client_id", "")
        sc = self.clients.get(client_id)
        if sc is None or creds is None or creds[1] != sc.secret:
            return h.reply(401, {"error": "invalid_client"})
        sc.token_requests.append(form)
        if sc.token_delay:
            time.sleep(sc.token_delay)
        if sc.token_redirect:
            return h.redirect(sc.token_redirect, status=307)
        grant = self.codes.pop(form.get("code", ""), None)
        if grant is None or grant["client_id"] != client_id or grant["redirect_uri"] != form.get("redirect_uri"):
            return h.reply(400, {"error": "invalid_grant"})
        if s256(form.get("code_verifier", "")) != grant["challenge"]:
            return h.reply(400, {"error": "invalid_grant", "error_description": "PKCE verification failed"})
        now = int(time.time())
        claims = {
            "iss": "https://evil.example" if sc.wrong_iss else self.issuer,
            "sub": sc.subject,
            "aud": "someone-else" if sc.wrong_aud else client_id,
            "iat": now - 3600 if sc.expired else now,
            "exp": now - 600 if sc.expired else now + 300,
            "email": sc.email,
            "email_verified": sc.email_verified,
            "name": sc.name,
        }
        if not sc.missing_nonce:
            claims["nonce"] = "not-the-nonce" if sc.wrong_nonce else grant["nonce"]
        if sc.amr is not None:
            claims["amr"] = sc.amr
        if sc.omit_email:
            del claims["email"], claims["email_verified"]
        if sc.preferred_username is not None:
            claims["preferred_username"] = sc.preferred_username
        key, kid = (self.rogue_key, "rogue-key") if sc.unknown_key else (self.key, self.kid)
        id_token = pyjwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})
        h.reply(200, {"access_token": "at-" + secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300,
                      "id_token": id_token})

    def _userinfo(self, h, q, body):
        h.reply(200, {"sub": "unknown"})

    ROUTES = {
        ("GET", "/.well-known/openid-configuration"): _discovery,
        ("GET", "/jwks"): _jwks,
        ("GET", "/authorize"): _authorize,
        ("POST", "/token"): _token,
        ("GET", "/userinfo"): _userinfo,
    }


# --------------------------------------------------------------------------- fake GitHub


@dataclass
class GitHubUser:
    id: int
    login: str
    name: str
    emails: list[dict]
    secret: str = "gh-secret"


class FakeGitHub(_Server):
    """GitHub's OAuth shape: no OIDC, no ID token; the verified primary email is in /user/emails."""

    def __init__(self):
        self.clients: dict[str, GitHubUser] = {}
        self.codes: dict[str, dict] = {}
        self.tokens: dict[str, GitHubUser] = {}
        super().__init__(lambda owner: _handler(owner, self.ROUTES))

    def register(self, redirect_uri: str, user: GitHubUser) -> str:
        client_id = "Iv1." + uuid.uuid4().hex[:16]
        user.redirect_uri = redirect_uri  # type: ignore[attr-defined]
        self.clients[client_id] = user
        return client_id

    def _authorize(self, h, q, body):
        user = self.clients.get(q.get("client_id", ""))
        if user is None or q.get("redirect_uri") != user.redirect_uri:
            return h.reply(400, raw=b"bad client", headers={"Content-Type": "text/plain"})
        code = secrets.token_hex(10)
        self.codes[code] = {"client_id": q["client_id"], "challenge": q.get("code_challenge")}
        h.redirect(f"{user.redirect_uri}?{urlencode({'code': code, 'state': q['state']})}")  # GitHub sends no iss

    def _access_token(self, h, q, body):
        form = dict(parse_qsl(body.decode()))
        creds = _basic_credentials(h) or (form.get("client_id", ""), form.get("client_secret", ""))
        user = self.clients.get(creds[0])
        grant = self.codes.pop(form.get("code", ""), None)
        if user is None or creds[1] != user.secret:
            return h.reply(200, {"error": "incorrect_client_credentials"})  # GitHub answers errors with 200
        if grant is None or grant["client_id"] != creds[0] or (grant["challenge"] and s256(form.get("code_verifier", "")) != grant["challenge"]):
            return h.reply(200, {"error": "bad_verification_code"})
        token = "gho_" + secrets.token_hex(16)
        self.tokens[token] = user
        if "application/json" in h.headers.get("Accept", ""):
            return h.reply(200, {"access_token": token, "token_type": "bearer", "scope": "read:user,user:email"})
        h.reply(200, raw=urlencode({"access_token": token, "token_type": "bearer"}).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"})

    def _user_of(self, h) -> GitHubUser | None:
        auth = h.headers.get("Authorization", "")
        return self.tokens.get(auth.removeprefix("Bearer ").removeprefix("token "))

    def _user(self, h, q, body):
        user = self._user_of(h)
        if user is None:
            return h.reply(401, {"message": "Bad credentials"})
        h.reply(200, {"login": user.login, "id": user.id, "name": user.name, "email": None})

    def _emails(self, h, q, body):
        user = self._user_of(h)
        if user is None:
            return h.reply(401, {"message": "Bad credentials"})
        h.reply(200, user.emails)

    def _generic_me(self, h, q, body):
        user = self._user_of(h)
        if user is None:
            return h.reply(401, {"error": "invalid_token"})
        primary = next((e for e in user.emails if e.get("primary")), {})
        h.reply(200, {"data": {"uid": user.id, "mail": primary.get("email"), "mail_ok": primary.get("verified", False),
                               "display": user.name}})

    ROUTES = {
        ("GET", "/login/oauth/authorize"): _authorize,
        ("POST", "/login/oauth/access_token"): _access_token,
        ("GET", "/user"): _user,
        ("GET", "/user/emails"): _emails,
        ("GET", "/oauth2/me"): _generic_me,
    }
