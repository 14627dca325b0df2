"""Acting within an organization (docs/contract.md A8): the scope ``organization`` and the
parameter ``organization=``, the organization picker, ``org_id``/``org_role``/``org_permissions``
in ID and access tokens (Authlib as the relying party; PyJWT and joserfc against the JWKS),
refresh keeping, reflecting and switching the organization, and refusals.

Screenshot: $ARTIFACTS_DIR/organization-picker.png (Chromium)."""

from __future__ import annotations

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from gatehouse_client import (
    Browser,
    assert_oauth_error,
    authorization_request,
    check_access_token,
    check_id_token,
    code_flow,
    expect,
    find_form,
    query_params,
    submitters,
    unique_slug,
)
from test_browser import callback, driver, fill_login, screenshot, wait  # noqa: F401 (fixtures)

SCOPE = "openid profile email organization"
PERMISSIONS = ["invoices:read", "invoices:write"]


class Orgs:
    """The admin API of one tenant's organizations, roles and memberships."""

    def __init__(self, tenant):
        self.tenant = tenant
        self.admin = tenant.admin
        self.base = f"/tenants/{tenant.slug}"

    def role(self, name: str, permissions: list[str]) -> None:
        expect(self.admin.post(f"{self.base}/roles", json={"name": name, "permissions": permissions}), 201)

    def create(self, name: str, owner, *, mfa_required: bool = False) -> dict:
        body = {"name": name, "slug": unique_slug("org"), "owner_user_id": owner.id}
        if mfa_required:
            body["mfa_required"] = True
        return expect(self.admin.post(f"{self.base}/organizations", json=body), 201).json()

    def add(self, org: dict, user, role: str = "member") -> None:
        body = {"user_id": user.id, "role": role}
        expect(self.admin.post(f"{self.base}/organizations/{org['id']}/members", json=body), 201)

    def set_role(self, org: dict, user, role: str) -> None:
        path = f"{self.base}/organizations/{org['id']}/members/{user.id}"
        expect(self.admin.patch(path, json={"role": role}), 200)

    def remove(self, org: dict, user) -> None:
        expect(self.admin.delete(f"{self.base}/organizations/{org['id']}/members/{user.id}"), 204)


def org_claims(claims: dict) -> tuple:
    return claims.get("org_id"), claims.get("org_role"), claims.get("org_permissions")


def verified(tenant, client, token: dict, user) -> tuple[dict, dict]:
    """The ID and access token claims, each verified with PyJWT and joserfc against the JWKS."""
    id_claims = check_id_token(
        tenant, client, token["id_token"], access_token=token["access_token"], user=user, scope=SCOPE
    )
    at_claims = check_access_token(tenant, client, token["access_token"], user=user, scope=SCOPE)
    return id_claims, at_claims


@pytest.fixture
def setup(tenant):
    """A member (role ``billing`` with permissions) of one organization, whose owner is another user."""
    orgs = Orgs(tenant)
    orgs.role("billing", PERMISSIONS)
    owner = tenant.create_user(name="Owner")
    member = tenant.create_user(name="Member")
    acme = orgs.create("Acme", owner)
    orgs.add(acme, member, "billing")
    client = tenant.create_client("confidential", first_party=True)
    return orgs, owner, member, acme, client


def test_authlib_verifies_org_claims_before_and_after_refresh_and_a_role_change(tenant, setup):
    orgs, _, member, acme, client = setup
    flow = code_flow(tenant, client, member, scope=SCOPE)
    assert flow.auth.login_pages == 1, flow.auth.trace()
    id_claims, at_claims = verified(tenant, client, flow.token, member)
    expected = (acme["id"], "billing", PERMISSIONS)
    assert org_claims(id_claims) == org_claims(at_claims) == expected, (id_claims, at_claims)

    # A refresh through Authlib keeps the organization.
    token_endpoint = tenant.endpoint("token_endpoint")
    refreshed = dict(flow.rp.refresh_token(token_endpoint, refresh_token=flow.token["refresh_token"]))
    id_claims, at_claims = verified(tenant, client, refreshed, member)
    assert org_claims(id_claims) == org_claims(at_claims) == expected

    # A role change (admin API) shows in the next tokens, userinfo and introspection.
    orgs.set_role(acme, member, "admin")
    changed = dict(flow.rp.refresh_token(token_endpoint, refresh_token=refreshed["refresh_token"]))
    id_claims, at_claims = verified(tenant, client, changed, member)
    assert org_claims(id_claims) == org_claims(at_claims) == (acme["id"], "admin", [])
    info = expect(tenant.userinfo(changed["access_token"]), 200).json()
    assert org_claims(info) == (acme["id"], "admin", []), info
    introspected = expect(tenant.introspect(client, changed["access_token"]), 200).json()
    assert org_claims(introspected) == (acme["id"], "admin", []), introspected


def test_removed_membership_makes_the_refresh_fail_with_invalid_grant(tenant, setup):
    orgs, _, member, acme, client = setup
    flow = code_flow(tenant, client, member, scope=SCOPE)
    orgs.remove(acme, member)
    body = assert_oauth_error(tenant.refresh(client, flow.token["refresh_token"]), "invalid_grant")
    assert "organization" in body.get("error_description", ""), body


def test_without_the_organization_scope_tokens_carry_no_org_claims(tenant, setup):
    _, _, member, _, client = setup
    flow = code_flow(tenant, client, member, scope="openid profile email")
    scope = "openid profile email"
    id_claims = check_id_token(tenant, client, flow.token["id_token"], user=member, scope=scope)
    at_claims = check_access_token(tenant, client, flow.token["access_token"], user=member)
    assert not [k for k in {**id_claims, **at_claims} if k.startswith("org_")], (id_claims, at_claims)


def test_named_organization_and_switching_by_refresh(tenant, setup):
    orgs, owner, member, acme, client = setup
    bank = orgs.create("Bank", owner)
    orgs.add(bank, member, "admin")
    other = orgs.create("Other", owner)
    # Two memberships, one named: no picker.
    flow = code_flow(tenant, client, member, scope=SCOPE, organization=bank["slug"])
    _, at_claims = verified(tenant, client, flow.token, member)
    assert org_claims(at_claims) == (bank["id"], "admin", [])

    def switch(refresh_token: str, organization: str):
        params = {"grant_type": "refresh_token", "refresh_token": refresh_token, "organization": organization}
        return tenant.token_request(params, client)

    switched = switch(flow.token["refresh_token"], acme["id"])
    token = expect(switched, 200).json()
    _, at_claims = verified(tenant, client, token, member)
    assert org_claims(at_claims) == (acme["id"], "billing", PERMISSIONS)

    # Another organization of the tenant that the user is not a member of: refused, nothing changes.
    for name in (other["slug"], other["id"], "no-such-org"):
        refused = switch(token["refresh_token"], name)
        body = assert_oauth_error(refused, "invalid_grant")
        assert body["error_description"] == "the user is not a member of the requested organization", body
    again = expect(tenant.refresh(client, token["refresh_token"]), 200).json()
    assert org_claims(check_access_token(tenant, client, again["access_token"]))[0] == acme["id"]


@pytest.mark.parametrize("named", ["other", "nowhere"])
def test_named_organization_the_user_is_not_a_member_of_is_access_denied(tenant, setup, named):
    orgs, owner, member, _, client = setup
    other = orgs.create("Other", owner)
    name = other["slug"] if named == "other" else "no-such-org"
    _, url, state, _, _ = authorization_request(tenant, client, scope=SCOPE, organization=name)
    result = Browser().authorize(url, client.redirect_uri, user=member)
    assert result.kind == "redirect", result.trace()
    assert result.params.get("error") == "access_denied", result.params
    # The same words whether the organization exists or not.
    assert result.params.get("error_description") == "the user is not a member of the requested organization"
    assert result.params.get("state") == state


def test_organization_required_client_and_a_user_without_one_ends_in_access_denied(tenant, setup):
    _, _, _, _, _ = setup
    loner = tenant.create_user(name="No Organization")
    client = tenant.create_client("confidential", first_party=True, organization_required=True)
    _, url, state, _, _ = authorization_request(tenant, client, scope="openid profile")
    result = Browser().authorize(url, client.redirect_uri, user=loner)
    assert result.kind == "redirect", result.trace()
    assert result.params.get("error") == "access_denied", result.params
    assert "organization" in result.params.get("error_description", ""), result.params
    assert result.params.get("state") == state and result.params.get("iss") == tenant.issuer


def test_the_picker_lists_the_organizations_and_personal_unless_required(tenant, setup):
    orgs, owner, member, acme, client = setup
    bank = orgs.create("Bank", owner)
    orgs.add(bank, member)
    for required, personal in ((False, True), (True, False)):
        c = tenant.create_client("confidential", first_party=True, organization_required=required)
        _, url, _, _, _ = authorization_request(tenant, c, scope=SCOPE)
        browser = Browser()
        result = browser.authorize(url, c.redirect_uri, user=member)
        page = result.response
        assert page.status_code == 200 and "/organization" in page.url, result.trace()
        form = find_form(page.text, lambda f: any(n == "organization" for n, _ in submitters(f)))
        values = {v for n, v in submitters(form) if n == "organization"}
        assert values == {acme["id"], bank["id"]} | ({"personal"} if personal else set()), values
        assert "Acme" in page.text and "Bank" in page.text
        assert "default-src 'none'" in page.headers.get("Content-Security-Policy", ""), page.headers
        # The choice without the form's CSRF token is refused.
        refused = browser.submit(page, form, submitter=("organization", bank["id"]), drop=["csrf_token"])
        assert refused.status_code == 400, refused.status_code


def test_headless_sign_in_names_the_organization(tenant, setup, public_url):
    orgs, owner, member, acme, client = setup
    bank = orgs.create("Bank", owner)
    orgs.add(bank, member)

    def sign_in(**extra):
        body = {"email": member.email, "password": member.password, "scope": SCOPE, **extra}
        return requests.post(
            f"{public_url}/v1/auth/sign-in", json=body, timeout=10,
            headers={"X-Client-Id": client.client_id, "Authorization": f"Bearer {client.client_secret}"},
        )

    unnamed = sign_in()
    assert_oauth_error(unnamed, "invalid_request")
    assert "organization" in unnamed.json()["error_description"]
    named = expect(sign_in(organization=bank["slug"]), 200).json()
    claims = check_access_token(tenant, client, named["access_token"], user=member)
    assert org_claims(claims) == (bank["id"], "member", [])
    assert_oauth_error(sign_in(organization="no-such-org"), "access_denied")


@pytest.mark.browser
def test_chromium_picks_an_organization_on_the_picker(
    driver, tenant, setup, callback, artifacts_dir  # noqa: F811
):
    orgs, owner, member, acme, _ = setup
    bank = orgs.create("Bank", owner)
    orgs.add(bank, member, "admin")
    client = tenant.create_client("confidential", redirect_uris=[callback.url], first_party=True)
    rp, url, state, nonce, verifier = authorization_request(tenant, client, scope=SCOPE)

    driver.get(url)
    fill_login(driver, member.email, member.password)
    choice = wait(driver).until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, f"[name=organization][value='{bank['id']}']"))
    )
    assert driver.current_url.startswith(tenant.issuer + "/organization"), driver.current_url
    assert driver.find_elements(By.CSS_SELECTOR, "[name=organization][value=personal]")
    screenshot(driver, artifacts_dir, "organization-picker.png")
    choice.click()

    params = query_params(callback.next_hit())
    assert params.get("state") == state and params.get("code"), params
    token = rp.fetch_token(code=params["code"], code_verifier=verifier, redirect_uri=callback.url)
    id_claims = check_id_token(
        tenant, client, token["id_token"], access_token=token["access_token"], nonce=nonce
    )
    at_claims = check_access_token(tenant, client, token["access_token"])
    assert org_claims(id_claims) == org_claims(at_claims) == (bank["id"], "admin", [])


def test_discovery_advertises_the_organization_scope_and_claims(tenant):
    doc = tenant.discovery
    assert "organization" in doc["scopes_supported"], doc["scopes_supported"]
    assert {"org_id", "org_role", "org_permissions"} <= set(doc["claims_supported"]), doc["claims_supported"]


def test_organization_parameter_outside_an_organization_request_is_invalid_request(tenant, setup):
    _, _, member, acme, client = setup
    _, url, state, _, _ = authorization_request(tenant, client, scope="openid", organization=acme["slug"])
    result = Browser().authorize(url, client.redirect_uri, user=member)
    assert result.kind == "redirect" and result.params.get("error") == "invalid_request", result.trace()
