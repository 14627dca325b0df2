"""Helpers for the Gatehouse interop suite.

Everything here talks to a running Gatehouse over HTTP only:

* ``AdminAPI`` / ``Tenant``: the instance admin API (tenants, clients, users).
* ``Browser``: a cookie-keeping ``requests.Session`` that drives the server-rendered
  pages (login form, consent page, logout confirmation) the way a browser would:
  it parses each form with BeautifulSoup, sends back ALL named inputs and never
  follows a redirect to the relying party's redirect URI.
* ``RP`` / ``code_flow``: an Authlib ``OAuth2Session`` acting as the relying party.
* token checks: PyJWT (``PyJWKClient``) and joserfc verification, ``at_hash``.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit

import jwt as pyjwt
import requests
from authlib.integrations.requests_client import OAuth2Session
from bs4 import BeautifulSoup
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet

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


# --------------------------------------------------------------------------- admin


@dataclass
class Client:
    client_id: str
    client_secret: str | None
    type: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    grant_types: list[str]
    raw: dict

    @property
    def redirect_uri(self) -> str:
        return self.redirect_uris[0]

    @property
    def post_logout_redirect_uri(self) -> str:
        return self.post_logout_redirect_uris[0]

    def basic_auth(self) -> dict[str, str]:
        assert self.client_secret, "public clients have no secret"
        return {"Authorization": basic_auth_header(self.client_id, self.client_secret)}


@dataclass
class User:
    id: str
    email: str
    password: str
    name: str
    raw: dict


class AdminAPI:
    def __init__(self, public_url: str, token: str):
        self.public_url = public_url.rstrip("/")
        self.token = token
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.http.headers["Accept"] = "application/json"

    def url(self, path: str) -> str:
        return f"{self.public_url}/admin/v1{path}"

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        return self.http.request(method, self.url(path), **kwargs)

    def get(self, path: str, **kw) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw) -> requests.Response:
        return self.request("POST", path, **kw)

    def patch(self, path: str, **kw) -> requests.Response:
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw) -> requests.Response:
        return self.request("DELETE", path, **kw)

    def create_tenant(
        self, slug: str | None = None, name: str | None = None, environment: str = "test"
    ) -> Tenant:
        slug = slug or unique_slug()
        resp = self.post(
            "/tenants",
            json={"slug": slug, "name": name or f"Interop {slug}", "environment": environment},
        )
        expect(resp, 201)
        return Tenant(self, resp.json())

    def all_tenants(self) -> list[dict]:
        """Every tenant, following the list's cursors (`next_cursor`)."""
        tenants, cursor = [], None
        while True:
            body = expect(self.get("/tenants", params={"limit": 1000, **({"after": cursor} if cursor else {})}), 200).json()
            tenants += body["tenants"]
            cursor = body.get("next_cursor")
            if not cursor:
                return tenants

    def tenant(self, slug: str) -> Tenant:
        resp = expect(self.get(f"/tenants/{slug}"), 200)
        return Tenant(self, resp.json())


class Tenant:
    def __init__(self, admin: AdminAPI, data: dict):
        self.admin = admin
        self.raw = data
        self.id: str = data["id"]
        self.slug: str = data["slug"]
        self.issuer: str = data["issuer"]
        self.public_url = admin.public_url

    def __repr__(self) -> str:
        return f"<Tenant {self.slug} {self.issuer}>"

    @cached_property
    def discovery(self) -> dict:
        resp = requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=HTTP_TIMEOUT)
        expect(resp, 200)
        return resp.json()

    def endpoint(self, name: str) -> str:
        url = self.discovery.get(name)
        assert url, f"discovery of {self.slug} lacks {name}"
        return url

    @property
    def jwks(self) -> dict:
        return expect(requests.get(self.endpoint("jwks_uri"), timeout=HTTP_TIMEOUT), 200).json()

    def create_client(
        self,
        type: str = "confidential",
        *,
        redirect_uris: Iterable[str] | None = None,
        post_logout_redirect_uris: Iterable[str] | None = None,
        grant_types: Iterable[str] | None = None,
        first_party: bool = False,
        name: str | None = None,
        **extra: Any,
    ) -> Client:
        if grant_types is None:
            grant_types = ["authorization_code", "refresh_token"]
            if type == "confidential":
                grant_types.append("client_credentials")
        body = {
            "name": name or f"{type} client",
            "type": type,
            "redirect_uris": list(redirect_uris or [DEFAULT_REDIRECT_URI]),
            "post_logout_redirect_uris": list(
                post_logout_redirect_uris or [DEFAULT_POST_LOGOUT_REDIRECT_URI]
            ),
            "grant_types": list(grant_types),
            "first_party": first_party,
            **extra,
        }
        resp = expect(self.admin.post(f"/tenants/{self.slug}/clients", json=body), 201)
        data = resp.json()
        assert data.get("client_id"), data
        if type == "confidential":
            assert data.get("client_secret"), f"confidential client without secret: {data}"
        return Client(
            client_id=data["client_id"],
            client_secret=data.get("client_secret"),
            type=type,
            redirect_uris=body["redirect_uris"],
            post_logout_redirect_uris=body["post_logout_redirect_uris"],
            grant_types=body["grant_types"],
            raw=data,
        )

    def create_user(
        self,
        email: str | None = None,
        password: str = DEFAULT_PASSWORD,
        name: str = "Ada Lovelace",
        email_verified: bool = True,
    ) -> User:
        email = email or unique_email()
        body = {"email": email, "password": password, "name": name, "email_verified": email_verified}
        resp = expect(self.admin.post(f"/tenants/{self.slug}/users", json=body), 201)
        data = resp.json()
        return User(id=data["id"], email=email, password=password, name=name, raw=data)

    def patch(self, body: dict) -> dict:
        return expect(self.admin.patch(f"/tenants/{self.slug}", json=body), 200).json()

    # -------- raw protocol calls (plain requests, no RP library)

    def token_request(
        self,
        data: dict | list | str,
        client: Client | None = None,
        auth: str = "basic",
        headers: dict | None = None,
    ) -> requests.Response:
        """POST to the token endpoint. auth: basic | post | none (adds client_id) | raw."""
        hdrs = {"Accept": "application/json"}
        if isinstance(data, dict):
            data = dict(data)
        if client is not None and auth == "basic":
            hdrs.update(client.basic_auth())
        elif client is not None and auth == "post":
            assert isinstance(data, dict)
            data.update(client_id=client.client_id, client_secret=client.client_secret)
        elif client is not None and auth == "none":
            assert isinstance(data, dict)
            data.update(client_id=client.client_id)
        if isinstance(data, str):
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        hdrs.update(headers or {})
        return requests.post(
            self.endpoint("token_endpoint"),
            data=data,
            headers=hdrs,
            timeout=HTTP_TIMEOUT,
            allow_redirects=False,
        )

    def introspect(self, client: Client | None, token: str, hint: str | None = None) -> requests.Response:
        data = {"token": token}
        if hint:
            data["token_type_hint"] = hint
        headers = {"Accept": "application/json"}
        if client is not None:
            headers.update(client.basic_auth())
        return requests.post(
            self.endpoint("introspection_endpoint"),
            data=data,
            headers=headers,
            timeout=HTTP_TIMEOUT,
            allow_redirects=False,
        )

    def is_active(self, client: Client, token: str) -> bool:
        resp = expect(self.introspect(client, token), 200)
        return resp.json().get("active") is True

    def revoke(self, client: Client, token: str, hint: str | None = None) -> requests.Response:
        data = {"token": token}
        if hint:
            data["token_type_hint"] = hint
        if client.client_secret:
            headers = client.basic_auth()
        else:
            headers = {}
            data["client_id"] = client.client_id
        return requests.post(
            self.endpoint("revocation_endpoint"),
            data=data,
            headers=headers,
            timeout=HTTP_TIMEOUT,
            allow_redirects=False,
        )

    def userinfo(self, access_token: str | None, method: str = "GET") -> requests.Response:
        headers = {"Accept": "application/json"}
        if access_token is not None:
            headers["Authorization"] = f"Bearer {access_token}"
        return requests.request(
            method,
            self.endpoint("userinfo_endpoint"),
            headers=headers,
            timeout=HTTP_TIMEOUT,
            allow_redirects=False,
        )

    def refresh(self, client: Client, refresh_token: str) -> requests.Response:
        auth = "basic" if client.client_secret else "none"
        return self.token_request(
            {"grant_type": "refresh_token", "refresh_token": refresh_token}, client, auth=auth
        )

    def authorize_url(self, params: dict) -> str:
        return f"{self.endpoint('authorization_endpoint')}?{urlencode(params)}"


# --------------------------------------------------------------------------- forms


def forms_of(html: str) -> list:
    return BeautifulSoup(html, "html.parser").find_all("form")


def form_fields(form) -> list[tuple[str, str]]:
    """The successful controls of a form (HTML §4.10.21.4), submit buttons excluded."""
    fields: list[tuple[str, str]] = []
    for el in form.find_all(["input", "select", "textarea"]):
        name = el.get("name")
        if not name or el.has_attr("disabled"):
            continue
        if el.name == "input":
            kind = (el.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                continue
            if kind in ("checkbox", "radio"):
                if el.has_attr("checked"):
                    fields.append((name, el.get("value", "on")))
                continue
            fields.append((name, el.get("value", "")))
        elif el.name == "select":
            options = el.find_all("option")
            chosen = [o for o in options if o.has_attr("selected")] or options[:1]
            for o in chosen:
                fields.append((name, o.get("value", o.get_text())))
        else:
            fields.append((name, el.get_text()))
    return fields


def submitters(form) -> list[tuple[str, str]]:
    out = []
    for el in form.find_all(["button", "input"]):
        kind = (el.get("type") or ("submit" if el.name == "button" else "text")).lower()
        if kind in ("submit", "image") and el.get("name"):
            out.append((el["name"], el.get("value", "")))
    return out


def field_names(form) -> set[str]:
    return {name for name, _ in form_fields(form)}


def is_post(form) -> bool:
    return (form.get("method") or "get").lower() == "post"


def is_login_form(form) -> bool:
    return is_post(form) and {"email", "password"} <= field_names(form)


def has_decision(form, value: str) -> bool:
    return is_post(form) and ("decision", value) in submitters(form)


def find_form(html: str, predicate: Callable) -> Any:
    for form in forms_of(html):
        if predicate(form):
            return form
    return None


def form_action(resp: requests.Response, form) -> str:
    return urljoin(resp.url, form.get("action") or resp.url)


# --------------------------------------------------------------------------- browser


@dataclass
class AuthResult:
    """Outcome of driving an authorization request through the pages.

    kind: "redirect" (Location to the redirect URI), "form_post" (auto-submit form to
    the redirect URI), "page" (stopped on some other page: error, login form not
    filled, consent not answered).
    """

    kind: str
    params: dict[str, str]
    response: requests.Response
    location: str | None = None
    login_pages: int = 0
    consent_pages: int = 0
    steps: list[str] = field(default_factory=list)

    @property
    def code(self) -> str | None:
        return self.params.get("code")

    @property
    def error(self) -> str | None:
        return self.params.get("error")

    def trace(self) -> str:
        return " | ".join(self.steps) + "\nlast: " + describe(self.response)


class Browser:
    """A user agent with a cookie jar that fills the server's HTML forms."""

    def __init__(self):
        self.http = requests.Session()
        self.http.headers["User-Agent"] = "Mozilla/5.0 (gatehouse-interop)"
        self.http.headers["Accept"] = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"

    def get(self, url: str, **kw) -> requests.Response:
        kw.setdefault("timeout", HTTP_TIMEOUT)
        kw.setdefault("allow_redirects", False)
        return self.http.get(url, **kw)

    def submit(
        self,
        resp: requests.Response,
        form,
        overrides: dict[str, str] | None = None,
        submitter: tuple[str, str] | None = None,
        drop: Iterable[str] = (),
    ) -> requests.Response:
        """Submit ``form`` found in ``resp`` like a browser: all named inputs, the
        chosen submit button, Origin header, no automatic redirects."""
        overrides = dict(overrides or {})
        drop = set(drop)
        pairs = []
        for name, value in form_fields(form):
            if name in drop:
                continue
            if name in overrides:
                value = overrides.pop(name)
            pairs.append((name, value))
        pairs.extend(overrides.items())
        if submitter:
            pairs.append(submitter)
        action = form_action(resp, form)
        headers = {"Origin": origin_of(resp.url), "Referer": resp.url}
        if is_post(form):
            return self.http.post(
                action, data=pairs, headers=headers, allow_redirects=False, timeout=HTTP_TIMEOUT
            )
        return self.http.get(
            action, params=pairs, headers=headers, allow_redirects=False, timeout=HTTP_TIMEOUT
        )

    def follow(
        self, resp: requests.Response, stop: Callable[[str], bool] | None = None, max_steps: int = 10
    ) -> requests.Response:
        """Follow redirects (GET) until a non-redirect or a Location for which stop() holds."""
        for _ in range(max_steps):
            if resp.status_code not in REDIRECT_STATUSES or "Location" not in resp.headers:
                return resp
            loc = urljoin(resp.url, resp.headers["Location"])
            if stop and stop(loc):
                return resp
            resp = self.get(loc)
        raise AssertionError(f"too many redirects: {describe(resp)}")

    def authorize(
        self,
        url: str,
        redirect_uri: str,
        *,
        user: User | None = None,
        password: str | None = None,
        consent: str | None = "allow",
        max_logins: int = 1,
        max_steps: int = 20,
    ) -> AuthResult:
        """Open an authorization URL and drive login/consent pages until the server
        sends the browser back to ``redirect_uri`` (never followed)."""
        target = url_base(redirect_uri)
        result = AuthResult(kind="page", params={}, response=None)  # type: ignore[arg-type]
        resp = self.get(url)
        for _ in range(max_steps):
            result.response = resp
            result.steps.append(f"{resp.request.method} {url_base(resp.url)} -> {resp.status_code}")
            if resp.status_code in REDIRECT_STATUSES and "Location" in resp.headers:
                loc = urljoin(resp.url, resp.headers["Location"])
                if url_base(loc) == target:
                    result.kind, result.location = "redirect", loc
                    result.params = query_params(loc)
                    return result
                resp = self.get(loc)
                continue
            ctype = resp.headers.get("Content-Type", "")
            if "html" not in ctype:
                return result
            html = resp.text
            post_back = find_form(
                html, lambda f, page=resp: is_post(f) and url_base(form_action(page, f)) == target
            )
            if post_back is not None:
                result.kind = "form_post"
                result.params = dict(form_fields(post_back))
                return result
            login = find_form(html, is_login_form)
            if login is not None:
                if user is None or result.login_pages >= max_logins:
                    return result
                result.login_pages += 1
                resp = self.submit(
                    resp,
                    login,
                    {"email": user.email, "password": password or user.password},
                )
                continue
            decision = find_form(html, lambda f: has_decision(f, "allow"))
            if decision is not None:
                if consent is None:
                    return result
                result.consent_pages += 1
                resp = self.submit(resp, decision, submitter=("decision", consent))
                continue
            return result
        raise AssertionError("authorization did not finish: " + result.trace())

    def logout(
        self, end_session_endpoint: str, params: dict | None = None, method: str = "GET", confirm: bool = True
    ) -> requests.Response:
        """Call the end-session endpoint; submit the confirmation page when shown.
        Returns the first response that is neither an internal redirect nor the
        confirmation page (a redirect to the post-logout URI is not followed)."""
        if method == "GET":
            resp = self.get(end_session_endpoint, params=params or {})
        else:
            resp = self.http.post(
                end_session_endpoint,
                data=params or {},
                headers={"Origin": origin_of(end_session_endpoint)},
                allow_redirects=False,
                timeout=HTTP_TIMEOUT,
            )
        issuer_origin = origin_of(end_session_endpoint)
        for _ in range(10):
            if resp.status_code in REDIRECT_STATUSES and "Location" in resp.headers:
                loc = urljoin(resp.url, resp.headers["Location"])
                if origin_of(loc) != issuer_origin:
                    return resp
                resp = self.get(loc)
                continue
            if confirm and "html" in resp.headers.get("Content-Type", ""):
                form = find_form(resp.text, lambda f: has_decision(f, "logout"))
                if form is not None:
                    resp = self.submit(resp, form, submitter=("decision", "logout"))
                    confirm = False
                    continue
            return resp
        raise AssertionError(f"logout did not finish: {describe(resp)}")


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
