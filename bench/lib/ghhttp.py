"""Minimal HTTP/1.1 keep-alive client for the Gatehouse benchmark (standard library only).

Used by provision.py (admin API, pre-minting tokens) and login_flow.py (the password login
driver). One ``Conn`` is one persistent TCP connection (http.client), reconnecting if the
server closes it. ``Browser`` adds the cookie handling the login pages need.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import re
import secrets
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

REDIRECT_URI = "https://rp.example/cb"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def pkce_pair() -> tuple[str, str]:
    verifier = b64url(secrets.token_bytes(48))
    return verifier, b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def basic_auth(client_id: str, client_secret: str) -> str:
    raw = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}"
    return "Basic " + base64.b64encode(raw.encode()).decode()


class HTTPError(Exception):
    pass


class Response:
    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name: str) -> str | None:
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def all(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    def json(self):
        return json.loads(self.body)

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Conn:
    """One keep-alive connection to host:port."""

    def __init__(self, host: str, port: int, timeout: float = 30.0):
        self.host, self.port, self.timeout = host, port, timeout
        self.c: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | str | None = None,
                headers: dict[str, str] | None = None) -> Response:
        if isinstance(body, str):
            body = body.encode()
        hdrs = dict(headers or {})
        for attempt in (0, 1):
            if self.c is None:
                self.c = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.c.request(method, path, body=body, headers=hdrs)
                r = self.c.getresponse()
                data = r.read()
                resp = Response(r.status, r.getheaders(), data)
                if (r.getheader("Connection") or "").lower() == "close":
                    self.close()
                return resp
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest, http.client.BadStatusLine):
                # Keep-alive connection closed under us: retry once on a fresh one.
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        if self.c is not None:
            try:
                self.c.close()
            finally:
                self.c = None

    def form(self, path: str, fields: dict[str, str], headers: dict[str, str] | None = None) -> Response:
        hdrs = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        hdrs.update(headers or {})
        return self.request("POST", path, urlencode(fields), hdrs)

    def json_post(self, path: str, obj, headers: dict[str, str] | None = None) -> Response:
        hdrs = {"Content-Type": "application/json", "Accept": "application/json"}
        hdrs.update(headers or {})
        return self.request("POST", path, json.dumps(obj), hdrs)


_COOKIE_RE = re.compile(r"^\s*([^=;\s]+)=([^;]*)")
_HIDDEN_RE = re.compile(r'<input[^>]*\bname="(interaction_id|csrf_token)"[^>]*\bvalue="([^"]*)"', re.I)


class Browser:
    """A cookie jar over one keep-alive connection (cookie paths are ignored: one tenant)."""

    def __init__(self, conn: Conn):
        self.conn = conn
        self.cookies: dict[str, str] = {}

    def _cookie_header(self) -> dict[str, str]:
        if not self.cookies:
            return {}
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def _keep(self, resp: Response) -> Response:
        for sc in resp.all("Set-Cookie"):
            m = _COOKIE_RE.match(sc)
            if not m:
                continue
            name, value = m.group(1), m.group(2)
            if value == "" or "max-age=0" in sc.lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return resp

    def get(self, path: str) -> Response:
        return self._keep(self.conn.request("GET", path, headers={"Accept": "text/html", **self._cookie_header()}))

    def post_form(self, path: str, fields: dict[str, str]) -> Response:
        hdrs = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html", **self._cookie_header()}
        return self._keep(self.conn.request("POST", path, urlencode(fields), hdrs))


def path_of(url: str) -> str:
    """Path+query of an absolute or relative URL."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def authorize_path(issuer_path: str, client_id: str, challenge: str, scope: str = "openid") -> tuple[str, str]:
    state = secrets.token_urlsafe(12)
    params = {
        "response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT_URI, "scope": scope,
        "state": state, "nonce": secrets.token_urlsafe(12),
        "code_challenge": challenge, "code_challenge_method": "S256",
    }
    return f"{issuer_path}/authorize?{urlencode(params)}", state


def code_from(location: str | None, state: str) -> str:
    if not location or not location.startswith(REDIRECT_URI):
        raise HTTPError(f"expected a redirect to the client, got Location={location!r}")
    q = dict(parse_qsl(urlsplit(location).query))
    if q.get("state") != state or "code" not in q:
        raise HTTPError(f"bad authorization response: {q}")
    return q["code"]


def login(browser: Browser, issuer_path: str, client_id: str, email: str, password: str) -> tuple[str, str]:
    """authorize -> login page -> POST login. Returns (code, code_verifier). Steps are 1 GET
    authorize (303 to the login page), 1 GET login (200 form), 1 POST login (303 to the client)."""
    verifier, challenge = pkce_pair()
    path, state = authorize_path(issuer_path, client_id, challenge)
    r = browser.get(path)
    if r.status != 303:
        raise HTTPError(f"authorize -> {r.status}: {r.text()[:300]}")
    loc = r.header("Location") or ""
    if loc.startswith(REDIRECT_URI):  # already signed in (session cookie): code straight away
        return code_from(loc, state), verifier
    r = browser.get(path_of(loc))
    if r.status != 200:
        raise HTTPError(f"login page -> {r.status}: {r.text()[:300]}")
    fields = dict(_HIDDEN_RE.findall(r.text()))
    if set(fields) != {"interaction_id", "csrf_token"}:
        raise HTTPError("login page lacks interaction_id/csrf_token")
    fields.update(email=email, password=password)
    r = browser.post_form(f"{issuer_path}/login", fields)
    if r.status != 303:
        raise HTTPError(f"POST login -> {r.status}: {r.text()[:300]}")
    return code_from(r.header("Location"), state), verifier


def redeem(conn: Conn, issuer_path: str, code: str, verifier: str, client_id: str,
           client_secret: str | None = None) -> dict:
    fields = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier}
    headers = {}
    if client_secret:
        headers["Authorization"] = basic_auth(client_id, client_secret)
    else:
        fields["client_id"] = client_id
    r = conn.form(f"{issuer_path}/token", fields, headers)
    if r.status != 200:
        raise HTTPError(f"token (authorization_code) -> {r.status}: {r.text()[:300]}")
    return r.json()
