"""The isolation matrix (issue 3, "Isolation, proven").

Three tenants (environments live, test and dev) each get a public client, a confidential
client (authorization_code, refresh_token, client_credentials), a first-party public client
for the headless API, an admin-scoped confidential client, two users, a browser session
(logged in through the real login page), an unused authorization code, access, refresh and ID
tokens from the code flow, the headless sign-in and client_credentials, and a tenant-scoped
admin access token.

Then every artefact of each tenant is presented to every endpoint of each other tenant
(discovery and JWKS aside): authorize, token (every grant), userinfo, introspection,
revocation, logout, account console, headless API and admin API. Every cell must be denied
with the right answer, and no response (body or any header, Location included) may contain an
identifier or token of the other tenant. Revocation and sign-out cells also prove afterwards
that the foreign token or session is still alive in its own tenant.

Positive controls present the same artefacts to their own tenant's endpoints and must succeed,
so that the matrix cannot pass vacuously. Destructive controls (code redemption, refresh
rotation, revocation, logout) run after the matrix; the unused codes are redeemed at home last,
which also proves that no cross-tenant attempt consumed them.

The matrix size and the number denied are printed in pytest's terminal summary and written to
``$ARTIFACTS_DIR/isolation-matrix.txt`` together with every cell.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from gatehouse_client import (
    HTTP_TIMEOUT,
    REDIRECT_STATUSES,
    AdminAPI,
    Browser,
    Client,
    Flow,
    Tenant,
    User,
    authorization_request,
    code_flow,
    find_form,
    is_login_form,
    pkce_pair,
    query_params,
    url_base,
)
from tenancy_helpers import (
    BROWSER_COOKIE,
    CONSOLE_COOKIE,
    SESSION_COOKIE,
    admin_token,
    client_credentials,
    cookie_value,
    create_admin_client,
    headless,
    introspect_as,
    is_active,
    json_or_none,
    jwks_kids,
    leaks,
    scoped_admin,
    session_ids,
    signed_in,
    tamper,
    unverified,
)

ENVIRONMENTS = {"A": "live", "B": "test", "C": "dev"}


# --------------------------------------------------------------------------- the tenants


@dataclass
class Kit:
    """One tenant and every artefact it hands out."""

    name: str
    tenant: Tenant
    public: Client
    confidential: Client
    headless: Client
    admin_client: Client
    user: User
    headless_user: User
    flow: Flow
    code: str
    code_verifier: str
    hl: dict
    cc_token: str
    admin_token: str
    session_cookie: str
    browser_cookie: str
    browser_sid: str
    kids: set[str]
    needles: dict[str, str] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return self.tenant.slug

    @property
    def url(self) -> str:
        return self.tenant.public_url

    @property
    def access_tokens(self) -> dict[str, tuple[str, Client]]:
        """label → (token, the client it was issued to)."""
        return {
            "code-flow access token": (self.flow.access_token, self.confidential),
            "headless access token": (self.hl["access_token"], self.headless),
            "client_credentials access token": (self.cc_token, self.confidential),
            "admin-scoped access token": (self.admin_token, self.admin_client),
        }

    @property
    def refresh_tokens(self) -> dict[str, tuple[str, Client]]:
        return {
            "code-flow refresh token": (self.flow.refresh_token, self.confidential),
            "headless refresh token": (self.hl["refresh_token"], self.headless),
        }

    @property
    def id_tokens(self) -> dict[str, str]:
        return {"code-flow ID token": self.flow.id_token, "headless ID token": self.hl["id_token"]}

    @property
    def cookies(self) -> dict[str, str]:
        """The browser's cookies (session and browser binding), to replay elsewhere."""
        return {SESSION_COOKIE: self.session_cookie, BROWSER_COOKIE: self.browser_cookie}

    def cookie_header(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}


def build_kit(admin: AdminAPI, name: str, environment: str) -> Kit:
    tenant = admin.create_tenant(name=f"Isolation {name}", environment=environment)
    # Codes must survive the whole matrix so that they can be redeemed at home at the end.
    tenant.patch({"settings": {"authorization_code_ttl": 600}})
    base = f"https://rp-{tenant.slug}.example"
    uris = {"redirect_uris": [f"{base}/cb"], "post_logout_redirect_uris": [f"{base}/signed-out"]}
    public = tenant.create_client("public", name=f"{name} public", **uris)
    confidential = tenant.create_client(
        "confidential",
        name=f"{name} backend",
        grant_types=["authorization_code", "refresh_token", "client_credentials"],
        **uris,
    )
    hl_client = tenant.create_client(
        "public",
        name=f"{name} app",
        first_party=True,
        grant_types=["authorization_code", "refresh_token"],
        **uris,
    )
    admin_client = create_admin_client(tenant)
    user = tenant.create_user(
        email=f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.test", name=f"User {tenant.slug}"
    )
    hl_user = tenant.create_user(
        email=f"{name.lower()}-hl-{uuid.uuid4().hex[:8]}@example.test", name=f"App {tenant.slug}"
    )

    # A browser session through the real login (and consent) pages, and the code flow's tokens.
    flow = code_flow(tenant, confidential, user)
    # An unused code: same browser, session and consent exist, so the server answers at once.
    _, url, _, _, verifier = authorization_request(tenant, confidential)
    auth = flow.browser.authorize(url, confidential.redirect_uri, user=None, consent=None)
    assert auth.code, auth.trace()

    hl = signed_in(tenant.public_url, hl_client, hl_user)
    cc = client_credentials(tenant, confidential)
    assert cc.status_code == 200, cc.text
    admin_tok = admin_token(tenant, admin_client)

    session_cookie = cookie_value(flow.browser, SESSION_COOKIE)
    browser_cookie = cookie_value(flow.browser, BROWSER_COOKIE)
    assert session_cookie and browser_cookie, list(flow.browser.http.cookies)
    browser_sid = unverified(flow.id_token)[1]["sid"]
    assert browser_sid in session_ids(admin, tenant.slug)

    kit = Kit(
        name=name,
        tenant=tenant,
        public=public,
        confidential=confidential,
        headless=hl_client,
        admin_client=admin_client,
        user=user,
        headless_user=hl_user,
        flow=flow,
        code=auth.code,
        code_verifier=verifier,
        hl=hl,
        cc_token=cc.json()["access_token"],
        admin_token=admin_tok,
        session_cookie=session_cookie,
        browser_cookie=browser_cookie,
        browser_sid=browser_sid,
        kids=jwks_kids(tenant),
    )
    needles = {
        "tenant id": tenant.id,
        "slug": tenant.slug,
        "public client_id": public.client_id,
        "confidential client_id": confidential.client_id,
        "confidential secret": confidential.client_secret,
        "headless client_id": hl_client.client_id,
        "admin client_id": admin_client.client_id,
        "admin client secret": admin_client.client_secret,
        "user id": user.id,
        "user email": user.email,
        "headless user id": hl_user.id,
        "headless user email": hl_user.email,
        "browser session id": browser_sid,
        "headless session id": hl["session"]["id"],
        "unused code": kit.code,
        "session cookie": session_cookie,
        "browser cookie": browser_cookie,
    }
    for kid in kit.kids:
        needles[f"kid {kid[:8]}"] = kid
    for label, (token, _) in {**kit.access_tokens, **kit.refresh_tokens}.items():
        needles[label] = token
    for label, token in kit.id_tokens.items():
        needles[label] = token
    for label, (token, _) in kit.access_tokens.items():
        jti = unverified(token)[1].get("jti", "")
        needles[f"{label} jti"] = jti
        grant = jti.split(".")[0]
        if grant.startswith("grt_"):
            needles[f"{label} grant id"] = grant
    kit.needles = {f"{name}.{label}": value for label, value in needles.items() if value}
    return kit


@pytest.fixture(scope="module")
def kits(admin) -> dict[str, Kit]:
    return {name: build_kit(admin, name, env) for name, env in ENVIRONMENTS.items()}


# --------------------------------------------------------------------------- the matrix


@dataclass
class Cell:
    # The ordered pair of tenants: artefacts of `source` are presented to `target` (a few cells
    # run the other way round within the pair, e.g. a local token sent with a foreign key).
    source: str
    target: str
    endpoint: str
    artefact: str
    expected: str
    passed: bool
    reason: str = ""

    def line(self) -> str:
        verdict = "denied" if self.passed else f"NOT DENIED: {self.reason}"
        pair = f"{self.source}->{self.target}"
        return f"{pair} | {self.endpoint} | {self.artefact} | expect {self.expected} | {verdict}"


def short(resp: requests.Response) -> str:
    loc = resp.headers.get("Location")
    body = (resp.text or "")[:300].replace("\n", " ")
    return (
        f"{resp.request.method} {url_base(resp.url)} -> {resp.status_code}"
        + (f" Location={loc}" if loc else "")
        + f" {body}"
    )


Verdict = Callable[[requests.Response], "str | None"]


class Matrix:
    def __init__(self):
        self.cells: list[Cell] = []
        self.controls: list[Cell] = []

    def _run(self, call, verdict: Verdict, after, needles) -> str:
        try:
            result = call()
            responses = result if isinstance(result, list) else [result]
            reason = verdict(responses[-1])
            if reason is None and after is not None:
                reason = after()
            found = leaks(responses, needles)
            if found:
                reason = (
                    reason + "; " if reason else ""
                ) + f"response contains {found}: {short(responses[-1])}"
            return reason or ""
        except Exception as exc:  # a crash in a cell is a failed cell, not an aborted matrix
            return f"{type(exc).__name__}: {exc}"

    def cell(
        self,
        src: Kit,
        dst: Kit,
        endpoint: str,
        artefact: str,
        expected: str,
        call,
        verdict: Verdict,
        after=None,
        needles: dict | None = None,
    ) -> None:
        reason = self._run(call, verdict, after, src.needles if needles is None else needles)
        self.cells.append(Cell(src.name, dst.name, endpoint, artefact, expected, not reason, reason))

    def control(
        self,
        kit: Kit,
        others: dict,
        endpoint: str,
        artefact: str,
        expected: str,
        call,
        verdict: Verdict,
        after=None,
    ) -> None:
        reason = self._run(call, verdict, after, others)
        self.controls.append(Cell(kit.name, kit.name, endpoint, artefact, expected, not reason, reason))

    @property
    def denied(self) -> int:
        return sum(c.passed for c in self.cells)

    def summary(self) -> str:
        ok = sum(c.passed for c in self.controls)
        return (
            f"isolation matrix: {len(self.cells)} cells, {self.denied} denied "
            f"(positive controls: {len(self.controls)}, {ok} succeeded)"
        )


# --------------------------------------------------------------------------- verdicts


def oauth_error(status: int, *codes: str) -> Verdict:
    def verdict(resp):
        body = json_or_none(resp)
        if resp.status_code != status or not isinstance(body, dict) or body.get("error") not in codes:
            return f"expected {status} {'/'.join(codes)}, got {short(resp)}"
        if "no-store" not in resp.headers.get("Cache-Control", ""):
            return f"error response without Cache-Control: no-store: {short(resp)}"
        return None

    return verdict


def bearer_invalid_token(resp):
    if resp.status_code != 401:
        return f"expected 401 invalid_token, got {short(resp)}"
    challenge = resp.headers.get("WWW-Authenticate", "")
    if not challenge.lower().startswith("bearer") or 'error="invalid_token"' not in challenge:
        return f"expected a Bearer invalid_token challenge, got {challenge!r}"
    return None


def headless_invalid_token(resp):
    return oauth_error(401, "invalid_token")(resp) or bearer_invalid_token(resp)


def inactive(resp):
    if resp.status_code != 200 or json_or_none(resp) != {"active": False}:
        return f'expected 200 {{"active": false}}, got {short(resp)}'
    return None


def error_page(resp):
    if (
        resp.status_code != 400
        or "Location" in resp.headers
        or "html" not in resp.headers.get("Content-Type", "")
    ):
        return f"expected a 400 error page without redirect, got {short(resp)}"
    return None


def redirect_error(redirect_uri: str, error: str, issuer: str) -> Verdict:
    def verdict(resp):
        loc = resp.headers.get("Location", "")
        if resp.status_code not in REDIRECT_STATUSES or url_base(loc) != redirect_uri:
            return f"expected a redirect to {redirect_uri}, got {short(resp)}"
        params = query_params(loc)
        if params.get("error") != error or "code" in params or params.get("iss") != issuer:
            return f"expected error={error} iss={issuer} and no code, got {loc}"
        return None

    return verdict


def problem(status: int) -> Verdict:
    def verdict(resp):
        ctype = resp.headers.get("Content-Type", "").split(";")[0].strip()
        if resp.status_code != status or ctype != "application/problem+json":
            return f"expected {status} problem+json, got {short(resp)}"
        return None

    return verdict


def status_is(*statuses: int) -> Verdict:
    def verdict(resp):
        if resp.status_code not in statuses or "Location" in resp.headers:
            return f"expected {statuses} without redirect, got {short(resp)}"
        return None

    return verdict


def login_page(resp):
    if resp.status_code != 200 or find_form(resp.text, is_login_form) is None:
        return f"expected the login page, got {short(resp)}"
    return None


# --------------------------------------------------------------------------- requests


def authorize(
    dst: Kit, client_id: str, redirect_uri: str, headers: dict | None = None, **extra
) -> requests.Response:
    _, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid",
        "state": uuid.uuid4().hex,
        "nonce": uuid.uuid4().hex,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return requests.get(
        dst.tenant.endpoint("authorization_endpoint"),
        params=params,
        headers=headers or {},
        allow_redirects=False,
        timeout=HTTP_TIMEOUT,
    )


def follow_on_server(start: str, cookies: dict[str, str], max_steps: int = 8) -> list[requests.Response]:
    """GET ``start`` as a fresh browser holding ``cookies`` (for the tenant path of ``start``)
    and follow the redirects that stay on the server, keeping cookies the server sets."""
    parts = urlsplit(start)
    tenant_path = "/".join(parts.path.split("/")[:3])  # /t/{slug}
    http = requests.Session()
    for name, value in cookies.items():
        http.cookies.set(name, value, domain=parts.hostname, path=tenant_path)
    responses = []
    url = start
    for _ in range(max_steps):
        resp = http.get(url, allow_redirects=False, timeout=HTTP_TIMEOUT)
        responses.append(resp)
        loc = resp.headers.get("Location")
        if resp.status_code not in REDIRECT_STATUSES or not loc:
            break
        url = urljoin(resp.url, loc)
        if urlsplit(url).netloc != parts.netloc:
            break
    return responses


def logout(dst: Kit, params: dict, headers: dict | None = None) -> requests.Response:
    return requests.get(
        dst.tenant.endpoint("end_session_endpoint"),
        params=params,
        headers=headers or {},
        allow_redirects=False,
        timeout=HTTP_TIMEOUT,
    )


def code_request(kit: Kit) -> dict:
    return {
        "grant_type": "authorization_code",
        "code": kit.code,
        "redirect_uri": kit.confidential.redirect_uri,
        "code_verifier": kit.code_verifier,
    }


def still_active(kit: Kit, token: str, owner: Client) -> Callable[[], str | None]:
    def check():
        return (
            None
            if is_active(kit.tenant, owner, token)
            else f"the token is no longer active in tenant {kit.name}"
        )

    return check


# --------------------------------------------------------------------------- cells


def cross_cells(m: Matrix, F: Kit, L: Kit, admin: AdminAPI) -> None:  # noqa: N803 - F(oreign), L(ocal)
    """Present every artefact of F to every endpoint of L."""
    lt = L.tenant
    cell = partial(m.cell, F, L)

    # ---- authorization endpoint
    for label, client in (("public", F.public), ("confidential", F.confidential), ("headless", F.headless)):
        cell(
            "authorize",
            f"foreign {label} client_id",
            "400 error page, no redirect",
            lambda c=client: authorize(L, c.client_id, c.redirect_uri),
            error_page,
        )
    for label, local, foreign in (
        ("public", L.public, F.public),
        ("confidential", L.confidential, F.confidential),
    ):
        cell(
            "authorize",
            f"local {label} client with the foreign client's redirect_uri",
            "400 error page, no redirect",
            lambda lc=local, fc=foreign: authorize(L, lc.client_id, fc.redirect_uri),
            error_page,
        )
    cell(
        "authorize",
        "foreign session cookie, prompt=none",
        "redirect error=login_required",
        lambda: authorize(
            L, L.confidential.client_id, L.confidential.redirect_uri, headers=F.cookie_header(), prompt="none"
        ),
        redirect_error(L.confidential.redirect_uri, "login_required", lt.issuer),
    )
    cell(
        "account",
        "foreign session cookie",
        "sign-in starts: login page",
        lambda: follow_on_server(f"{lt.issuer}/account", F.cookies),
        login_page,
    )
    cell(
        "account",
        "foreign access token as console cookie",
        "sign-in starts: login page",
        lambda: follow_on_server(f"{lt.issuer}/account", {CONSOLE_COOKIE: F.flow.access_token}),
        login_page,
    )

    # ---- token endpoint
    cell(
        "token authorization_code",
        "foreign code + foreign client credentials",
        "401 invalid_client",
        lambda: lt.token_request(code_request(F), F.confidential),
        oauth_error(401, "invalid_client"),
    )
    cell(
        "token authorization_code",
        "foreign code with the local confidential client",
        "400 invalid_grant",
        lambda: lt.token_request(code_request(F), L.confidential),
        oauth_error(400, "invalid_grant"),
    )
    cell(
        "token authorization_code",
        "foreign code with the local public client",
        "400 invalid_grant",
        lambda: lt.token_request(code_request(F), L.public, auth="none"),
        oauth_error(400, "invalid_grant"),
    )
    cell(
        "token authorization_code",
        "foreign code + foreign public client_id",
        "401 invalid_client",
        lambda: lt.token_request(code_request(F), F.public, auth="none"),
        oauth_error(401, "invalid_client"),
    )
    cell(
        "token refresh_token",
        "foreign code-flow refresh token, local client",
        "400 invalid_grant",
        lambda: lt.refresh(L.confidential, F.flow.refresh_token),
        oauth_error(400, "invalid_grant"),
    )
    cell(
        "token refresh_token",
        "foreign headless refresh token, local headless client",
        "400 invalid_grant",
        lambda: lt.refresh(L.headless, F.hl["refresh_token"]),
        oauth_error(400, "invalid_grant"),
    )
    cell(
        "token refresh_token",
        "foreign refresh token + foreign client credentials",
        "401 invalid_client",
        lambda: lt.refresh(F.confidential, F.flow.refresh_token),
        oauth_error(401, "invalid_client"),
    )
    for auth in ("basic", "post"):
        cell(
            "token client_credentials",
            f"foreign client credentials ({auth})",
            "401 invalid_client",
            lambda a=auth: client_credentials(lt, F.confidential, auth=a),
            oauth_error(401, "invalid_client"),
        )
    cell(
        "token client_credentials",
        "foreign admin client credentials, scope users:read",
        "401 invalid_client",
        lambda: client_credentials(lt, F.admin_client, scope="users:read"),
        oauth_error(401, "invalid_client"),
    )

    # ---- userinfo
    for label, (token, _) in F.access_tokens.items():
        cell(
            "userinfo",
            f"foreign {label}",
            "401 invalid_token",
            lambda t=token: lt.userinfo(t),
            bearer_invalid_token,
        )
    for label, token in F.id_tokens.items():
        cell(
            "userinfo",
            f"foreign {label}",
            "401 invalid_token",
            lambda t=token: lt.userinfo(t),
            bearer_invalid_token,
        )

    # Forgeries from foreign tokens: claims rewritten to the local tenant (signature kept), and
    # the same unsigned (alg none). The local keys must refuse both.
    forged = {
        "foreign admin token re-addressed to the local issuer": tamper(
            F.admin_token, iss=lt.issuer, tid=lt.id
        ),
        "foreign admin token re-addressed, alg none": tamper(
            F.admin_token, header={"alg": "none"}, signature="", iss=lt.issuer, tid=lt.id
        ),
        "foreign code-flow access token re-addressed to the local issuer and client": tamper(
            F.flow.access_token,
            iss=lt.issuer,
            tid=lt.id,
            aud=L.confidential.client_id,
            client_id=L.confidential.client_id,
        ),
    }
    for label, token in forged.items():
        cell("userinfo", label, "401 invalid_token", lambda t=token: lt.userinfo(t), bearer_invalid_token)
        cell(
            "introspection",
            label,
            "200 active:false",
            lambda t=token: introspect_as(lt, L.confidential, t),
            inactive,
        )
        cell(
            "admin API",
            f"{label}: GET /tenants/{{local}}/users",
            "401 problem",
            lambda t=token: scoped_admin(lt, t).get(f"/tenants/{L.slug}/users"),
            problem(401),
            needles={**F.needles, **L.needles},
        )

    # ---- introspection
    foreign_tokens = {
        **{k: v[0] for k, v in F.access_tokens.items()},
        **{k: v[0] for k, v in F.refresh_tokens.items()},
        **F.id_tokens,
        "unused code": F.code,
    }
    for label, token in foreign_tokens.items():
        cell(
            "introspection",
            f"foreign {label} (as the local client)",
            "200 active:false",
            lambda t=token: introspect_as(lt, L.confidential, t),
            inactive,
        )
    cell(
        "introspection",
        "foreign headless refresh token (as the local headless client)",
        "200 active:false",
        lambda: introspect_as(lt, L.headless, F.hl["refresh_token"]),
        inactive,
    )
    for label, client in (
        ("confidential", F.confidential),
        ("admin", F.admin_client),
        ("headless", F.headless),
    ):
        cell(
            "introspection",
            f"local token, foreign {label} client credentials",
            "401 invalid_client",
            lambda c=client: introspect_as(lt, c, L.flow.access_token),
            oauth_error(401, "invalid_client"),
        )

    # ---- revocation: RFC 7009 answers 200 for unknown tokens; the foreign token must survive.
    for label, (token, owner) in {**F.access_tokens, **F.refresh_tokens}.items():
        cell(
            "revocation",
            f"foreign {label} (local client credentials)",
            "200, still active at home",
            lambda t=token: lt.revoke(L.confidential, t),
            status_is(200),
            after=still_active(F, token, owner),
        )
    cell(
        "revocation",
        "foreign headless refresh token (local headless client)",
        "200, still active at home",
        lambda: lt.revoke(L.headless, F.hl["refresh_token"]),
        status_is(200),
        after=still_active(F, F.hl["refresh_token"], F.headless),
    )
    for label, (token, owner), client in (
        ("code-flow access token", L.access_tokens["code-flow access token"], F.confidential),
        ("code-flow refresh token", L.refresh_tokens["code-flow refresh token"], F.confidential),
        ("headless refresh token", L.refresh_tokens["headless refresh token"], F.headless),
    ):
        cell(
            "revocation",
            f"local {label}, foreign client credentials",
            "401 invalid_client, still active",
            lambda t=token, c=client: lt.revoke(c, t),
            oauth_error(401, "invalid_client"),
            after=still_active(L, token, owner),
        )

    # ---- RP-initiated logout
    for label, token in F.id_tokens.items():
        cell(
            "logout",
            f"foreign {label} as id_token_hint",
            "400 error page, no redirect",
            lambda t=token: logout(L, {"id_token_hint": t}),
            error_page,
        )
    cell(
        "logout",
        "foreign id_token_hint + foreign post_logout_redirect_uri",
        "400 error page, no redirect",
        lambda: logout(
            L,
            {
                "id_token_hint": F.flow.id_token,
                "post_logout_redirect_uri": F.confidential.post_logout_redirect_uri,
            },
        ),
        error_page,
    )
    cell(
        "logout",
        "local client_id + foreign post_logout_redirect_uri",
        "400 error page, no redirect",
        lambda: logout(
            L,
            {
                "client_id": L.confidential.client_id,
                "post_logout_redirect_uri": F.confidential.post_logout_redirect_uri,
            },
        ),
        error_page,
    )
    cell(
        "logout",
        "foreign client_id + its post_logout_redirect_uri",
        "400 error page, no redirect",
        lambda: logout(
            L,
            {
                "client_id": F.confidential.client_id,
                "post_logout_redirect_uri": F.confidential.post_logout_redirect_uri,
            },
        ),
        error_page,
    )
    cell(
        "logout",
        "foreign session cookie",
        "no effect: foreign session still active",
        lambda: logout(L, {}, headers=F.cookie_header()),
        status_is(200),
        after=lambda: None if F.browser_sid in session_ids(admin, F.slug) else "the foreign session ended",
    )

    # ---- headless API (tenant chosen by X-Client-Id)
    url = L.url
    lpk = L.headless.client_id
    cell(
        "headless refresh",
        "foreign headless refresh token, local X-Client-Id",
        "400 invalid_grant",
        lambda: headless(
            url, "POST", "auth/refresh", client_id=lpk, body={"refresh_token": F.hl["refresh_token"]}
        ),
        oauth_error(400, "invalid_grant"),
    )
    cell(
        "headless refresh",
        "foreign code-flow refresh token, local X-Client-Id",
        "400 invalid_grant",
        lambda: headless(
            url, "POST", "auth/refresh", client_id=lpk, body={"refresh_token": F.flow.refresh_token}
        ),
        oauth_error(400, "invalid_grant"),
    )
    for path in ("me", "auth/session"):
        for label in ("headless access token", "code-flow access token", "admin-scoped access token"):
            token = F.access_tokens[label][0]
            cell(
                f"headless /v1/{path}",
                f"foreign {label}, local X-Client-Id",
                "401 invalid_token",
                lambda p=path, t=token: headless(url, "GET", p, client_id=lpk, bearer=t),
                headless_invalid_token,
            )
        # The other direction of routing by key: a local token sent with the foreign key goes to
        # the foreign tenant, which must not know it (nor answer with local data).
        cell(
            f"headless /v1/{path}",
            "local headless access token, foreign X-Client-Id",
            "401 invalid_token",
            lambda p=path: headless(
                url, "GET", p, client_id=F.headless.client_id, bearer=L.hl["access_token"]
            ),
            headless_invalid_token,
            needles=L.needles,
        )
    cell(
        "headless sign-out",
        "foreign headless access token, local X-Client-Id",
        "401 invalid_token, foreign session alive",
        lambda: headless(url, "POST", "auth/sign-out", client_id=lpk, bearer=F.hl["access_token"]),
        headless_invalid_token,
        after=lambda: (
            None
            if headless(
                F.url, "GET", "auth/session", client_id=F.headless.client_id, bearer=F.hl["access_token"]
            ).status_code
            == 200
            else "the foreign session ended"
        ),
    )
    cell(
        "headless sign-out",
        "foreign refresh token in the body, local X-Client-Id",
        "204 no effect, foreign refresh token active",
        lambda: headless(
            url, "POST", "auth/sign-out", client_id=lpk, body={"refresh_token": F.hl["refresh_token"]}
        ),
        status_is(204),
        after=still_active(F, F.hl["refresh_token"], F.headless),
    )
    cell(
        "headless sign-in",
        "foreign user's email and password, local X-Client-Id",
        "400 invalid_grant",
        lambda: headless(
            url,
            "POST",
            "auth/sign-in",
            client_id=lpk,
            body={"email": F.headless_user.email, "password": F.headless_user.password},
        ),
        oauth_error(400, "invalid_grant"),
    )
    cell(
        "headless sign-in",
        "foreign secret key with local X-Client-Id",
        "400 invalid_request",
        lambda: headless(
            url,
            "POST",
            "auth/sign-in",
            client_id=lpk,
            secret=F.confidential.client_secret,
            body={"email": L.headless_user.email, "password": L.headless_user.password},
        ),
        oauth_error(400, "invalid_request"),
    )

    # ---- admin API with the foreign tenant-scoped admin token (every admin scope)
    api = scoped_admin(lt, F.admin_token)
    both = {**F.needles, **L.needles}
    s = L.slug
    cid, pid, uid, hid = L.confidential.client_id, L.public.client_id, L.user.id, L.headless_user.id
    routes = [
        ("GET", f"/tenants/{s}", None),
        ("PATCH", f"/tenants/{s}", {"name": "taken over"}),
        ("DELETE", f"/tenants/{s}", None),
        ("GET", f"/tenants/{s}/clients", None),
        (
            "POST",
            f"/tenants/{s}/clients",
            {"name": "intruder", "type": "public", "redirect_uris": ["https://evil.example/cb"]},
        ),
        ("GET", f"/tenants/{s}/clients/{cid}", None),
        ("PATCH", f"/tenants/{s}/clients/{cid}", {"name": "taken over"}),
        ("DELETE", f"/tenants/{s}/clients/{pid}", None),
        ("POST", f"/tenants/{s}/clients/{cid}/rotate-secret", None),
        ("GET", f"/tenants/{s}/users", None),
        (
            "POST",
            f"/tenants/{s}/users",
            {"email": f"intruder-{uuid.uuid4().hex[:6]}@example.test", "password": "intruder password 1"},
        ),
        ("GET", f"/tenants/{s}/users/{uid}", None),
        ("PATCH", f"/tenants/{s}/users/{uid}", {"name": "taken over"}),
        ("DELETE", f"/tenants/{s}/users/{hid}", None),
        ("GET", f"/tenants/{s}/sessions", None),
        ("DELETE", f"/tenants/{s}/sessions/{L.browser_sid}", None),
        ("GET", f"/tenants/{s}/keys", None),
        ("POST", f"/tenants/{s}/keys/rotate", None),
        ("GET", "/tenants", None),
        (
            "POST",
            "/tenants",
            {"slug": f"x-{uuid.uuid4().hex[:8]}", "name": "intruder", "environment": "test"},
        ),
    ]
    placeholders = {
        s: "{local}",
        cid: "{client}",
        pid: "{client}",
        uid: "{user}",
        hid: "{user}",
        L.browser_sid: "{session}",
    }

    def label(path: str) -> str:
        for value, placeholder in placeholders.items():
            path = path.replace(value, placeholder)
        return path

    for method, path, body in routes:
        cell(
            "admin API",
            f"foreign admin token: {method} {label(path)}",
            "404 problem",
            lambda mt=method, p=path, b=body: (
                api.request(mt, p, json=b) if b is not None else api.request(mt, p)
            ),
            problem(404),
            needles=both,
        )
    # The foreign tenant's own admin routes with local ids: nothing of the local tenant is found.
    own = scoped_admin(F.tenant, F.admin_token)
    for method, path in (
        ("GET", f"/tenants/{F.slug}/clients/{L.confidential.client_id}"),
        ("POST", f"/tenants/{F.slug}/clients/{L.confidential.client_id}/rotate-secret"),
        ("GET", f"/tenants/{F.slug}/users/{L.user.id}"),
        ("DELETE", f"/tenants/{F.slug}/users/{L.user.id}"),
        ("DELETE", f"/tenants/{F.slug}/sessions/{L.browser_sid}"),
    ):
        cell(
            "admin API",
            f"local id at the foreign tenant's own route: {method} "
            f"{label(path).replace(F.slug, '{foreign}')}",
            "404 problem",
            lambda mt=method, p=path: own.request(mt, p),
            problem(404),
            needles=L.needles,
        )


def controls_before(m: Matrix, K: Kit, others: dict, admin: AdminAPI) -> None:  # noqa: N803
    """Non-destructive positive controls: K's artefacts work at K."""
    t = K.tenant
    control = partial(m.control, K, others)
    control(
        "authorize",
        "own session cookie, prompt=none",
        "redirect with a code",
        lambda: authorize(
            K, K.confidential.client_id, K.confidential.redirect_uri, headers=K.cookie_header(), prompt="none"
        ),
        lambda r: (
            None
            if query_params(r.headers.get("Location", "")).get("code")
            and query_params(r.headers["Location"]).get("iss") == t.issuer
            else f"no code: {short(r)}"
        ),
    )
    control(
        "authorize",
        "own client and redirect_uri, no session",
        "login page",
        lambda: follow_on_server(authorize(K, K.public.client_id, K.public.redirect_uri).url, {}),
        login_page,
    )

    def account():
        browser: Browser = K.flow.browser
        first = browser.get(f"{t.issuer}/account")
        return [first, browser.follow(first)]

    control(
        "account",
        "own session cookie",
        "account page with the user's email",
        account,
        lambda r: None if r.status_code == 200 and K.user.email in r.text else f"no account page: {short(r)}",
    )
    for auth in ("basic", "post"):
        control(
            "token client_credentials",
            f"own credentials ({auth})",
            "200",
            lambda a=auth: client_credentials(t, K.confidential, auth=a),
            lambda r: None if r.status_code == 200 and r.json().get("access_token") else short(r),
        )
    control(
        "token client_credentials",
        "own admin client, scope users:read",
        "200",
        lambda: client_credentials(t, K.admin_client, scope="users:read"),
        lambda r: None if r.status_code == 200 else short(r),
    )
    for label in ("code-flow access token", "headless access token"):
        token, _ = K.access_tokens[label]
        control(
            "userinfo",
            f"own {label}",
            "200 with sub",
            lambda tk=token: t.userinfo(tk),
            lambda r: (
                None if r.status_code == 200 and r.json().get("sub", "").startswith("usr_") else short(r)
            ),
        )
    for label, (token, owner) in {**K.access_tokens, **K.refresh_tokens}.items():
        control(
            "introspection",
            f"own {label}",
            "active:true",
            lambda tk=token, o=owner: introspect_as(t, o, tk),
            lambda r: (
                None
                if r.status_code == 200 and r.json().get("active") is True and r.json().get("tid") == t.id
                else short(r)
            ),
        )
    for path in ("me", "auth/session"):
        control(
            f"headless /v1/{path}",
            "own headless access token",
            "200",
            lambda p=path: headless(
                K.url, "GET", p, client_id=K.headless.client_id, bearer=K.hl["access_token"]
            ),
            lambda r: None if r.status_code == 200 else short(r),
        )
    api = scoped_admin(t, K.admin_token)
    for path in ("", "/clients", "/users", "/sessions", "/keys"):
        control(
            "admin API",
            f"own admin token: GET /tenants/{{own}}{path}",
            "200",
            lambda p=path: api.get(f"/tenants/{K.slug}{p}"),
            lambda r: None if r.status_code == 200 else short(r),
        )
    control(
        "logout",
        "own client_id + post_logout_redirect_uri, no session",
        "redirect to it",
        lambda: logout(
            K,
            {
                "client_id": K.confidential.client_id,
                "post_logout_redirect_uri": K.confidential.post_logout_redirect_uri,
            },
        ),
        lambda r: (
            None
            if r.headers.get("Location", "").startswith(K.confidential.post_logout_redirect_uri)
            else short(r)
        ),
    )


def controls_after(m: Matrix, K: Kit, others: dict, admin: AdminAPI) -> None:  # noqa: N803
    """Destructive positive controls, after the matrix."""
    t = K.tenant
    control = partial(m.control, K, others)
    control(
        "token authorization_code",
        "own unused code (survived the matrix)",
        "200 with ID token",
        lambda: t.token_request(code_request(K), K.confidential),
        lambda r: None if r.status_code == 200 and r.json().get("id_token") else short(r),
    )
    control(
        "token refresh_token",
        "own code-flow refresh token",
        "200 rotated",
        lambda: t.refresh(K.confidential, K.flow.refresh_token),
        lambda r: (
            None
            if r.status_code == 200 and r.json().get("refresh_token") != K.flow.refresh_token
            else short(r)
        ),
    )
    control(
        "headless refresh",
        "own headless refresh token",
        "200",
        lambda: headless(
            K.url,
            "POST",
            "auth/refresh",
            client_id=K.headless.client_id,
            body={"refresh_token": K.hl["refresh_token"]},
        ),
        lambda r: None if r.status_code == 200 and r.json().get("access_token") else short(r),
    )
    control(
        "revocation",
        "own client_credentials access token",
        "200, then inactive",
        lambda: t.revoke(K.confidential, K.cc_token),
        status_is(200),
        after=lambda: None if not is_active(t, K.confidential, K.cc_token) else "still active",
    )
    api = scoped_admin(t, K.admin_token)
    email = f"control-{uuid.uuid4().hex[:8]}@example.test"
    created: dict = {}

    def create_user():
        resp = api.post(f"/tenants/{K.slug}/users", json={"email": email, "password": "control password 1"})
        created.update(json_or_none(resp) or {})
        return resp

    control(
        "admin API",
        "own admin token: POST /tenants/{own}/users",
        "201",
        create_user,
        lambda r: None if r.status_code == 201 else short(r),
    )
    control(
        "admin API",
        "own admin token: DELETE /tenants/{own}/users/{id}",
        "204",
        lambda: api.delete(f"/tenants/{K.slug}/users/{created.get('id', 'usr_missing')}"),
        lambda r: None if r.status_code == 204 else short(r),
    )
    control(
        "headless sign-out",
        "own headless access token",
        "204, then /v1/me 401",
        lambda: headless(
            K.url, "POST", "auth/sign-out", client_id=K.headless.client_id, bearer=K.hl["access_token"]
        ),
        status_is(204),
        after=lambda: (
            None
            if headless(
                K.url, "GET", "me", client_id=K.headless.client_id, bearer=K.hl["access_token"]
            ).status_code
            == 401
            else "still signed in"
        ),
    )
    control(
        "logout",
        "own id_token_hint + post_logout_redirect_uri with the session",
        "redirect, session ended",
        lambda: K.flow.browser.logout(
            t.endpoint("end_session_endpoint"),
            {
                "id_token_hint": K.flow.id_token,
                "post_logout_redirect_uri": K.confidential.post_logout_redirect_uri,
            },
        ),
        lambda r: (
            None
            if r.headers.get("Location", "").startswith(K.confidential.post_logout_redirect_uri)
            else short(r)
        ),
        after=lambda: None if K.browser_sid not in session_ids(admin, K.slug) else "session still active",
    )


# --------------------------------------------------------------------------- reporting


class _MatrixSummary:
    """Registered as a plugin so that the line appears in pytest's terminal summary."""

    def __init__(self):
        self.lines: list[str] = []

    def pytest_terminal_summary(self, terminalreporter):
        if self.lines:
            terminalreporter.section("tenant isolation")
            for line in self.lines:
                terminalreporter.write_line(line)


@pytest.fixture(scope="module")
def matrix_report(request):
    summary = _MatrixSummary()
    request.config.pluginmanager.register(summary, f"isolation-matrix-{id(summary)}")
    return summary


def test_isolation_matrix(kits, admin, artifacts_dir, matrix_report):
    m = Matrix()
    names = list(kits)
    others = {name: {k: v for o in names if o != name for k, v in kits[o].needles.items()} for name in names}

    for name in names:
        controls_before(m, kits[name], others[name], admin)
    for src in names:
        for dst in names:
            if src != dst:
                cross_cells(m, kits[src], kits[dst], admin)
    for name in names:
        controls_after(m, kits[name], others[name], admin)

    summary = m.summary()
    report = (
        [summary, "", "cells:"]
        + [c.line() for c in m.cells]
        + ["", "positive controls:"]
        + [c.line().replace("| denied", "| ok").replace("NOT DENIED", "FAILED") for c in m.controls]
    )
    (artifacts_dir / "isolation-matrix.txt").write_text("\n".join(report) + "\n")
    matrix_report.lines.append(summary)
    print(summary)

    failed_controls = [c.line() for c in m.controls if not c.passed]
    assert not failed_controls, "positive controls failed (the matrix would be vacuous):\n" + "\n".join(
        failed_controls
    )
    not_denied = [c.line() for c in m.cells if not c.passed]
    assert not not_denied, f"{summary}\ncells not denied:\n" + "\n".join(not_denied)
    # Every endpoint family is covered for every ordered pair of tenants.
    pairs = {(c.source, c.target) for c in m.cells}
    assert len(pairs) == len(names) * (len(names) - 1), pairs
    endpoints = {c.endpoint.split()[0] for c in m.cells}
    for family in (
        "authorize",
        "account",
        "token",
        "userinfo",
        "introspection",
        "revocation",
        "logout",
        "headless",
        "admin",
    ):
        assert family in endpoints, endpoints
