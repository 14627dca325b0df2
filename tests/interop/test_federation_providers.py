"""Upstream login providers (issue 5): GitHub's shape and the generic OAuth 2.0 claim mapping
(``FakeGitHub``), identities in the account console, and managing providers with the admin API
and the CLI.

Servers and upstream providers: the module fixtures of ``federation_helpers``.
"""

from __future__ import annotations

import os
import subprocess
from urllib.parse import urljoin

import requests
from bs4 import BeautifulSoup

from federation_fakes import FakeGitHub, GitHubUser
from federation_helpers import (
    RP_REDIRECT,
    Downstream,
    add_provider,
    check_downstream_tokens,
    drive,
    follow_until,
    identities,
    redeem,
)
from gatehouse_client import (
    HTTP_TIMEOUT,
    Browser,
    authorization_request,
    describe,
    expect,
    find_form,
    query_params,
    unique_email,
)
from tenancy_helpers import gatehouse_binary

# isort: split
# Shared fixtures come from federation_helpers.
from federation_helpers import fake_github, fake_oidc, fed_server  # noqa: F401

# --------------------------------------------------------------------------- GitHub and generic OAuth 2.0


def github_provider(server, gh: FakeGitHub, tenant, user: GitHubUser, **extra):
    client_id = gh.register(f"{tenant.issuer}/federation/github/callback", user)
    return add_provider(server.admin, tenant, kind="github", name="GitHub", client_id=client_id, client_secret=user.secret,
                        authorization_url=f"{gh.base}/login/oauth/authorize", token_url=f"{gh.base}/login/oauth/access_token",
                        userinfo_url=f"{gh.base}/user", **extra)


def test_github_shaped_provider_uses_the_verified_primary_email(fed_server, fake_github):
    tenant = fed_server.admin.create_tenant()
    rp_client = tenant.create_client("public", redirect_uris=[RP_REDIRECT])
    user = GitHubUser(id=5830112, login="octocat", name="The Octocat", emails=[
        {"email": "octo-secondary@example.test", "primary": False, "verified": True},
        {"email": "Octo@Example.test", "primary": True, "verified": True},
    ])
    provider = github_provider(fed_server, fake_github, tenant, user)
    assert provider["slug"] == "github" and provider["scopes"] == ["read:user", "user:email"], provider
    rp, url, state, nonce, verifier = authorization_request(tenant, rp_client, idp_hint="github")
    out = drive(Browser(), url, RP_REDIRECT)
    claims = check_downstream_tokens(tenant, rp_client, redeem(rp, out, verifier), nonce)
    assert claims["email"] == "octo@example.test" and claims["email_verified"] is True, claims
    assert claims["amr"] == ["fed"]
    rows = identities(fed_server.data_dir, tenant)
    assert [(r["issuer"], r["subject"]) for r in rows] == [(fake_github.base, "5830112")], rows


def test_github_unverified_primary_email_creates_an_unverified_user(fed_server, fake_github):
    tenant = fed_server.admin.create_tenant()
    rp_client = tenant.create_client("public", redirect_uris=[RP_REDIRECT])
    user = GitHubUser(id=77, login="newbie", name="Newbie", emails=[{"email": "newbie@example.test", "primary": True, "verified": False}])
    github_provider(fed_server, fake_github, tenant, user)
    rp, url, state, nonce, verifier = authorization_request(tenant, rp_client, idp_hint="github")
    out = drive(Browser(), url, RP_REDIRECT)
    claims = check_downstream_tokens(tenant, rp_client, redeem(rp, out, verifier), nonce)
    assert claims["email"] == "newbie@example.test" and claims["email_verified"] is False, claims


def test_generic_oauth2_provider_with_claim_mapping(fed_server, fake_github):
    tenant = fed_server.admin.create_tenant()
    rp_client = tenant.create_client("public", redirect_uris=[RP_REDIRECT])
    user = GitHubUser(id=4242, login="mapped", name="Mapped Person", emails=[{"email": "mapped@example.test", "primary": True, "verified": True}])
    client_id = fake_github.register(f"{tenant.issuer}/federation/corp-oauth/callback", user)
    provider = add_provider(
        fed_server.admin, tenant, kind="oauth2", name="Corp OAuth", slug="corp-oauth", client_id=client_id, client_secret=user.secret,
        authorization_url=f"{fake_github.base}/login/oauth/authorize", token_url=f"{fake_github.base}/login/oauth/access_token",
        userinfo_url=f"{fake_github.base}/oauth2/me", issuer="https://corp.example",
        claim_mapping={"subject": "data.uid", "email": "data.mail", "email_verified": "data.mail_ok", "name": "data.display"})
    assert provider["claim_mapping"]["subject"] == "data.uid"
    rp, url, state, nonce, verifier = authorization_request(tenant, rp_client, idp_hint="corp-oauth")
    out = drive(Browser(), url, RP_REDIRECT)
    claims = check_downstream_tokens(tenant, rp_client, redeem(rp, out, verifier), nonce)
    assert claims["email"] == "mapped@example.test" and claims["name"] == "Mapped Person", claims
    rows = identities(fed_server.data_dir, tenant)
    assert [(r["issuer"], r["subject"]) for r in rows] == [("https://corp.example", "4242")], rows


# --------------------------------------------------------------------------- account console


def console_sign_in_with_password(tenant, user) -> Browser:
    browser = Browser()
    out = drive(browser, f"{tenant.issuer}/account", f"{tenant.issuer}/account",
                upstream_login=(user.email, user.password), upstream_login_path=f"/t/{tenant.slug}/login")
    assert out.kind == "redirect", out.trace()
    return browser


def identities_page(browser: Browser, tenant) -> requests.Response:
    page = browser.get(f"{tenant.issuer}/account/identities")
    assert page.status_code == 200, describe(page)
    return page


def test_account_console_links_and_removes_identities(fed_server, fake_oidc):
    d = Downstream(fed_server, fake_oidc, email="console@example.test")
    user = d.tenant.create_user(email="owner@example.test")
    browser = console_sign_in_with_password(d.tenant, user)
    account = browser.get(f"{d.tenant.issuer}/account")
    assert "/account/identities" in account.text, "the account page links to the identities page"

    page = identities_page(browser, d.tenant)
    link = BeautifulSoup(page.text, "html.parser").find("a", attrs={"data-provider": "acme-sso"})
    assert link is not None and "csrf_token=" in link["href"], page.text
    # Without the CSRF token the link intent is refused.
    bad = browser.get(urljoin(page.url, link["href"].split("?")[0]))
    assert bad.status_code == 400, describe(bad)
    resp = browser.get(urljoin(page.url, link["href"]))
    loc = follow_until(browser, resp, f"{d.tenant.issuer}/account/identities")
    assert query_params(loc).get("notice") == "linked", loc
    rows = identities(fed_server.data_dir, d.tenant)
    assert len(rows) == 1 and rows[0]["user_id"] == user.id, rows

    page = identities_page(browser, d.tenant)
    assert "console@example.test" in page.text and "Acme SSO" in page.text
    remove = find_form(page.text, lambda f: "/remove" in (f.get("action") or ""))
    assert remove is not None, page.text
    resp = browser.submit(page, remove)
    assert resp.status_code == 303 and "notice=removed" in resp.headers["Location"], describe(resp)
    assert identities(fed_server.data_dir, d.tenant) == []


def test_last_sign_in_method_cannot_be_removed(fed_server, fake_oidc):
    d = Downstream(fed_server, fake_oidc, email="fedonly@example.test")
    browser = Browser()
    out = drive(browser, f"{d.tenant.issuer}/account", f"{d.tenant.issuer}/account", provider="acme-sso")
    assert out.kind == "redirect", out.trace()
    page = identities_page(browser, d.tenant)
    assert "Only sign-in method" in page.text, page.text
    assert find_form(page.text, lambda f: "/remove" in (f.get("action") or "")) is None
    # A forged removal (same CSRF token as the account page's forms) is refused too.
    account = browser.get(f"{d.tenant.issuer}/account")
    csrf = BeautifulSoup(account.text, "html.parser").find("input", attrs={"name": "csrf_token"})["value"]
    row = identities(fed_server.data_dir, d.tenant)[0]
    resp = browser.http.post(f"{d.tenant.issuer}/account/identities/{row['id']}/remove", data={"csrf_token": csrf},
                             allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert resp.status_code == 303 and "notice=last-method" in resp.headers["Location"], describe(resp)
    assert len(identities(fed_server.data_dir, d.tenant)) == 1


def test_identities_page_requires_the_console_sign_in(fed_server):
    tenant = fed_server.admin.create_tenant()
    resp = Browser().get(f"{tenant.issuer}/account/identities")
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/t/{tenant.slug}/account"), describe(resp)


# --------------------------------------------------------------------------- admin API and CLI


def test_admin_api_keeps_secrets_and_validates(fed_server):
    admin = fed_server.admin
    tenant = admin.create_tenant()
    base = f"/tenants/{tenant.slug}/providers"
    created = add_provider(admin, tenant, kind="google", name="Google", client_id="g.apps", client_secret="top-secret")
    assert created["discovery_url"] == "https://accounts.google.com/.well-known/openid-configuration"
    assert created["client_secret_set"] is True and "top-secret" not in str(created)
    listed = expect(admin.get(base), 200).json()["providers"]
    assert [p["slug"] for p in listed] == ["google"] and "top-secret" not in str(listed)
    # The secret is sealed in the tenant database, not stored in clear.
    blob = (fed_server.data_dir / "tenants" / f"{tenant.id}.sqlite").read_bytes()
    assert b"top-secret" not in blob
    # Validation: every problem at once.
    resp = admin.post(base, json={"kind": "oauth2", "name": "X", "client_id": "c", "token_url": "ftp://x"})
    fields = sorted(e["field"] for e in resp.json()["errors"])
    assert resp.status_code == 422 and fields == ["authorization_url", "token_url", "userinfo_url"], resp.json()
    assert admin.post(base, json={"kind": "google", "name": "Again", "slug": "google", "client_id": "c"}).status_code == 409
    ms = add_provider(admin, tenant, kind="microsoft", name="Work", client_id="ms", microsoft_tenant="organizations")
    assert ms["discovery_url"].startswith("https://login.microsoftonline.com/organizations/v2.0/"), ms
    # The tenant's settings summary follows.
    settings = expect(admin.get(f"/tenants/{tenant.slug}"), 200).json()["settings"]
    assert sorted(p["slug"] for p in settings["oauth_providers"]) == ["google", "work"], settings
    expect(admin.delete(f"{base}/google"), 204)
    settings = expect(admin.get(f"/tenants/{tenant.slug}"), 200).json()["settings"]
    assert [p["slug"] for p in settings["oauth_providers"]] == ["work"], settings


def test_cli_adds_a_provider_with_one_command(fed_server, fake_oidc):
    env = {**os.environ, "GATEHOUSE_URL": fed_server.public_url, "GATEHOUSE_ADMIN_TOKEN": fed_server.admin_token}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(gatehouse_binary()), *args], env=env, capture_output=True, text=True, timeout=30,
                              stdin=subprocess.DEVNULL)

    tenant = fed_server.admin.create_tenant()
    rp = tenant.create_client("public", redirect_uris=[RP_REDIRECT])
    client_id, scenario = fake_oidc.register(f"{tenant.issuer}/federation/acme-sso/callback", email=unique_email("cli"))
    added = cli("provider", "add", "--tenant", tenant.slug, "--kind", "oidc", "--name", "Acme SSO",
                "--discovery-url", fake_oidc.discovery_url, "--client-id", client_id, "--client-secret", scenario.secret)
    assert added.returncode == 0, added.stderr
    assert f"{tenant.issuer}/federation/acme-sso/callback" in added.stdout + added.stderr
    assert scenario.secret not in added.stdout
    listed = cli("provider", "list", "--tenant", tenant.slug)
    assert listed.returncode == 0 and "acme-sso" in listed.stdout, listed.stdout
    shown = cli("provider", "show", "acme-sso", "--tenant", tenant.slug, "--json")
    assert '"client_secret_set" : true' in shown.stdout and scenario.secret not in shown.stdout, shown.stdout
    # The button is on this tenant's login page, and it signs in.
    rp_session, url, state, nonce, verifier = authorization_request(tenant, rp)
    out = drive(Browser(), url, RP_REDIRECT, provider="acme-sso")
    assert out.kind == "redirect" and out.params.get("code"), out.trace()
    updated = cli("provider", "update", "acme-sso", "--tenant", tenant.slug, "--enabled", "false")
    assert updated.returncode == 0, updated.stderr
    bad = cli("provider", "add", "--tenant", tenant.slug, "--kind", "oidc", "--name", "No URL", "--client-id", "x")
    assert bad.returncode == 6 and "discovery_url" in bad.stderr, bad.stderr  # 422: invalid request
    removed = cli("provider", "remove", "acme-sso", "--tenant", tenant.slug, "--yes")
    assert removed.returncode == 0, removed.stderr
    assert cli("provider", "show", "acme-sso", "--tenant", tenant.slug).returncode == 3  # 404: not found
    assert identities(fed_server.data_dir, tenant) == []


def test_idp_hint_must_be_a_slug(fed_server):
    tenant = fed_server.admin.create_tenant()
    rp = tenant.create_client("public", redirect_uris=[RP_REDIRECT])
    _, url, state, *_ = authorization_request(tenant, rp, idp_hint="Not A Slug!")
    resp = Browser().get(url)
    assert resp.status_code == 303, describe(resp)
    params = query_params(resp.headers["Location"])
    assert params.get("error") == "invalid_request" and "idp_hint" in params.get("error_description", ""), params
    # An unknown provider is ignored: the login page is shown.
    _, url, *_ = authorization_request(tenant, rp, idp_hint="nobody")
    browser = Browser()
    page = browser.get(urljoin(url, browser.get(url).headers["Location"]))
    assert page.status_code == 200 and 'name="password"' in page.text, describe(page)
