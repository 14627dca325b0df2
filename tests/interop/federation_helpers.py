"""Helpers for the federation interop tests (test_federation_*.py).

* ``federation_config``: the ``[federation]`` table the test servers run with;
* the shared module fixtures: ``fed_server`` (loopback providers allowed over http),
  ``guarded_server`` (an SSRF guard that allows nothing private), ``fake_oidc``, ``fake_oidc_v6``,
  ``fake_github`` (``federation_fakes``);
* ``Downstream`` (a tenant with a relying party and one provider on ``FakeOIDC``), ``upstream_setup``
  (a second tenant as upstream provider), ``redeem`` and ``check_downstream_tokens``;
* ``drive``: drives a browser (``gatehouse_client.Browser``) through an authorization request that
  goes upstream and back, without following the final redirect to the relying party;
* ``identities`` / ``users`` / ``snapshot``: what the tenant holds (read from its SQLite file).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
from bs4 import BeautifulSoup

from federation_fakes import FakeGitHub, FakeOIDC
from gatehouse_client import (
    REDIRECT_STATUSES,
    AdminAPI,
    Browser,
    Tenant,
    authorization_request,
    describe,
    expect,
    find_form,
    form_fields,
    has_decision,
    is_login_form,
    query_params,
    unique_email,
    url_base,
    verify_joserfc,
    verify_pyjwt,
)
from tenancy_helpers import start_server


def federation_config(allow_loopback: bool = True, timeout: float = 2.0) -> str:
    """The ``[federation]`` table: http allowed (loopback test servers), loopback allowed through
    the SSRF guard only when ``allow_loopback``, short timeouts, no JWKS refetch delay."""
    networks = '["127.0.0.0/8", "::1/128"]' if allow_loopback else "[]"
    return (
        "[federation]\n"
        "allow_http = true\n"
        f"allowed_private_networks = {networks}\n"
        f"timeout_seconds = {timeout}\n"
        "connect_timeout_seconds = 1\n"
        "jwks_refetch_interval_seconds = 0\n"
    )


RP_REDIRECT = "https://rp.example/cb"


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def fed_server(request, tmp_path_factory, artifacts_dir):
    """Per test module: its log is ``gatehouse-federation-<part>.log`` (``test_federation_<part>``)."""
    name = request.module.__name__.removeprefix("test_").replace("_", "-")
    server = start_server(tmp_path_factory.mktemp(name), artifacts_dir / f"gatehouse-{name}.log",
                          config=federation_config(allow_loopback=True))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def guarded_server(tmp_path_factory, artifacts_dir):
    server = start_server(tmp_path_factory.mktemp("federation-guarded"), artifacts_dir / "gatehouse-federation-guarded.log",
                          config=federation_config(allow_loopback=False))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def fake_oidc():
    fake = FakeOIDC()
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def fake_oidc_v6():
    """The same fake provider on the IPv6 loopback address [::1]."""
    fake = FakeOIDC(host="::1")
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def fake_github():
    fake = FakeGitHub()
    yield fake
    fake.close()


class Downstream:
    """A tenant of ``server`` with a public relying party and one provider on ``FakeOIDC``."""

    def __init__(self, server, fake: FakeOIDC, slug: str = "acme-sso", provider: dict | None = None, **scenario):
        self.server = server
        self.admin = server.admin
        self.tenant = server.admin.create_tenant()
        self.rp = self.tenant.create_client("public", redirect_uris=[RP_REDIRECT])
        self.redirect_uri = f"{self.tenant.issuer}/federation/{slug}/callback"
        self.client_id, self.scenario = fake.register(self.redirect_uri, email=scenario.pop("email", None) or unique_email("fed"),
                                                      **scenario)
        body = {"kind": "oidc", "name": "Acme SSO", "slug": slug, "discovery_url": fake.discovery_url,
                "client_id": self.client_id, "client_secret": self.scenario.secret, **(provider or {})}
        self.provider = add_provider(self.admin, self.tenant, **body)
        assert self.provider["redirect_uri"] == self.redirect_uri, self.provider

    def authorize(self, **extra):
        """(rp, url, state, nonce, verifier) of an authorization request by the relying party."""
        return authorization_request(self.tenant, self.rp, **extra)

    def snapshot(self) -> tuple[int, int]:
        return snapshot(self.admin, self.server.data_dir, self.tenant)

    def sign_in(self, browser: Browser | None = None, **extra):
        rp, url, state, nonce, verifier = self.authorize(idp_hint=self.provider["slug"], **extra)
        out = drive(browser or Browser(), url, RP_REDIRECT)
        return out, rp, state, nonce, verifier


def redeem(rp, out, verifier: str) -> dict:
    assert out.kind == "redirect" and out.params.get("code"), out.trace()
    return dict(rp.fetch_token(code=out.params["code"], code_verifier=verifier, redirect_uri=RP_REDIRECT))


def follow_until(browser: Browser, resp, stop_base: str, max_steps: int = 10):
    """Follow redirects until one points at ``stop_base`` (returned, not followed)."""
    for _ in range(max_steps):
        assert resp.status_code in (301, 302, 303, 307, 308), describe(resp)
        loc = urljoin(resp.url, resp.headers["Location"])
        if url_base(loc) == stop_base:
            return loc
        resp = browser.get(loc)
    raise AssertionError("never redirected to " + stop_base)


def upstream_setup(server, slug: str = "upstream-sso"):
    """A second tenant of ``server`` as the upstream OIDC provider of a downstream tenant."""
    admin = server.admin
    upstream = admin.create_tenant()
    downstream = admin.create_tenant()
    redirect_uri = f"{downstream.issuer}/federation/{slug}/callback"
    up_client = upstream.create_client("confidential", redirect_uris=[redirect_uri], name="Downstream tenant")
    up_user = upstream.create_user(name="Upstream Ada")
    provider = add_provider(admin, downstream, kind="oidc", name="Upstream SSO", slug=slug,
                            discovery_url=f"{upstream.issuer}/.well-known/openid-configuration",
                            client_id=up_client.client_id, client_secret=up_client.client_secret)
    rp = downstream.create_client("confidential", redirect_uris=[RP_REDIRECT], name="Downstream app")
    return upstream, downstream, up_user, provider, rp


def check_downstream_tokens(tenant, client, token: dict, nonce: str) -> dict:
    """The downstream relying party verifies its tokens with PyJWT and joserfc against the tenant's JWKS."""
    claims = verify_pyjwt(tenant, token["id_token"], client.client_id)
    _, jclaims = verify_joserfc(tenant, token["id_token"], client.client_id)
    assert claims == jclaims
    assert claims["iss"] == tenant.issuer and claims.get("nonce") == nonce, claims
    access = verify_pyjwt(tenant, token["access_token"], client.client_id)
    assert access["sub"] == claims["sub"] and access.get("amr") == claims.get("amr"), (access, claims)
    return claims


# --------------------------------------------------------------------------- driving a browser


@dataclass
class Outcome:
    """Where a federated authorization ended."""

    kind: str  # "redirect" (to the RP), "page" (some HTML page)
    response: Any
    params: dict[str, str] = field(default_factory=dict)
    steps: list[str] = field(default_factory=list)

    def trace(self) -> str:
        return " | ".join(self.steps) + "\nlast: " + describe(self.response)

    @property
    def text(self) -> str:
        return BeautifulSoup(self.response.text, "html.parser").get_text(" ", strip=True)


def drive(
    browser: Browser,
    url: str,
    rp_redirect_uri: str,
    *,
    provider: str | None = None,
    upstream_login: tuple[str, str] | None = None,
    upstream_login_path: str | None = None,
    consent: bool = True,
    max_steps: int = 30,
) -> Outcome:
    """Open ``url`` and follow the flow: click the login page's ``provider`` button (a link), fill
    the upstream login form (``upstream_login`` on pages under ``upstream_login_path``), allow
    consent pages, until the server redirects to the relying party (not followed) or a page ends it."""
    outcome = Outcome(kind="page", response=None)
    resp = browser.get(url)
    clicked = False
    for _ in range(max_steps):
        outcome.response = resp
        outcome.steps.append(f"{resp.request.method} {url_base(resp.url)} -> {resp.status_code}")
        if resp.status_code in REDIRECT_STATUSES and "Location" in resp.headers:
            loc = urljoin(resp.url, resp.headers["Location"])
            if url_base(loc) == url_base(rp_redirect_uri):
                outcome.kind, outcome.params = "redirect", query_params(loc)
                return outcome
            resp = browser.get(loc)
            continue
        if "html" not in resp.headers.get("Content-Type", ""):
            return outcome
        soup = BeautifulSoup(resp.text, "html.parser")
        link = soup.find("a", attrs={"data-provider": provider}) if provider and not clicked else None
        if link is not None:
            clicked = True
            resp = browser.get(urljoin(resp.url, link["href"]))
            continue
        login = find_form(resp.text, is_login_form)
        if login is not None and upstream_login and (upstream_login_path is None or upstream_login_path in resp.url):
            resp = browser.submit(resp, login, {"email": upstream_login[0], "password": upstream_login[1]})
            continue
        decision = find_form(resp.text, lambda f: has_decision(f, "allow"))
        if decision is not None and consent:
            resp = browser.submit(resp, decision, submitter=("decision", "allow"))
            continue
        return outcome
    raise AssertionError("federated flow did not finish: " + outcome.trace())


def provider_links(html: str) -> dict[str, str]:
    """data-provider → href of the login page's provider buttons."""
    soup = BeautifulSoup(html, "html.parser")
    return {a["data-provider"]: a["href"] for a in soup.find_all("a", attrs={"data-provider": True})}


# --------------------------------------------------------------------------- what the tenant holds


def tenant_db(data_dir: Path, tenant: Tenant) -> Path:
    return data_dir / "tenants" / f"{tenant.id}.sqlite"


def identities(data_dir: Path, tenant: Tenant) -> list[dict]:
    """Rows of upstream_identities, read from the tenant's SQLite file."""
    with sqlite3.connect(f"file:{tenant_db(data_dir, tenant)}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM upstream_identities ORDER BY created_at")]


def federation_states(data_dir: Path, tenant: Tenant) -> int:
    with sqlite3.connect(f"file:{tenant_db(data_dir, tenant)}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT COUNT(*) FROM federation_states").fetchone()[0]


def users(admin: AdminAPI, tenant: Tenant) -> list[dict]:
    return expect(admin.get(f"/tenants/{tenant.slug}/users"), 200).json()["users"]


def add_provider(admin: AdminAPI, tenant: Tenant, **body: Any) -> dict:
    return expect(admin.post(f"/tenants/{tenant.slug}/providers", json=body), 201).json()


def snapshot(admin: AdminAPI, data_dir: Path, tenant: Tenant) -> tuple[int, int]:
    """(users, identities) of a tenant, to prove that nothing was created."""
    return len(users(admin, tenant)), len(identities(data_dir, tenant))


def form_of(html: str, predicate) -> list[tuple[str, str]] | None:
    form = find_form(html, predicate)
    return form_fields(form) if form is not None else None
