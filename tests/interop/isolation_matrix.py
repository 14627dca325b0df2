"""The isolation matrix's machinery (test_isolation.py): cells and controls, verdicts on
responses, and the requests the cells send."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests

from gatehouse_client import (
    HTTP_TIMEOUT,
    REDIRECT_STATUSES,
    Client,
    find_form,
    is_login_form,
    pkce_pair,
    query_params,
    url_base,
)
from isolation_kit import Kit
from tenancy_helpers import (
    is_active,
    json_or_none,
    leaks,
)

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


def described(verdict: Verdict, description: str) -> Verdict:
    """``verdict``, and then the JSON body's ``error_description`` must be ``description``."""

    def check(resp):
        reason = verdict(resp)
        if reason is None and (json_or_none(resp) or {}).get("error_description") != description:
            return f"expected error_description={description!r}, got {short(resp)}"
        return reason

    return check


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


def redirect_error(redirect_uri: str, error: str, issuer: str, description: str | None = None) -> Verdict:
    def verdict(resp):
        loc = resp.headers.get("Location", "")
        if resp.status_code not in REDIRECT_STATUSES or url_base(loc) != redirect_uri:
            return f"expected a redirect to {redirect_uri}, got {short(resp)}"
        params = query_params(loc)
        if params.get("error") != error or "code" in params or params.get("iss") != issuer:
            return f"expected error={error} iss={issuer} and no code, got {loc}"
        if description is not None and params.get("error_description") != description:
            return f"expected error_description={description!r}, got {loc}"
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
