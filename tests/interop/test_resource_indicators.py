"""Resource indicators (RFC 8707) with Authlib as the client and PyJWT verifying `aud`: the tenant
lists its APIs (`settings.resources`); an authorization request names some (recorded with the
grant), the token request picks one (§2.2), which becomes the access token's `aud`, at the code
exchange, at every refresh (downscoping to one of two), in client credentials and in token
exchange; an unknown, relative, fragment-carrying or not-granted resource is `invalid_target`,
and a refused request changes nothing (the code and the refresh token still work).
"""

from __future__ import annotations

from gatehouse_client import Browser, authorization_request, code_flow, describe, verify_pyjwt

ORDERS = "https://orders.api.example/"
BILLING = "https://billing.api.example/v1"


def with_resources(tenant) -> None:
    tenant.patch({"settings": {"resources": [ORDERS, BILLING]}})


def refused(resp, error: str = "invalid_target", status: int = 400) -> None:
    assert resp.status_code == status and resp.json()["error"] == error, describe(resp)


def test_settings_are_validated(tenant, admin):
    bad = admin.patch(f"/tenants/{tenant.slug}", json={"settings": {"resources": ["relative/path", "https://x.example/#frag", ORDERS, ORDERS]}})
    assert bad.status_code == 422, describe(bad)
    fields = {e["field"] for e in bad.json()["errors"]}
    assert {"settings.resources[0]", "settings.resources[1]", "settings.resources"} <= fields, fields
    with_resources(tenant)
    assert admin.get(f"/tenants/{tenant.slug}").json()["settings"]["resources"] == [ORDERS, BILLING]


def test_code_flow_and_refresh_pick_a_resource(tenant):
    with_resources(tenant)
    client = tenant.create_client("confidential")
    user = tenant.create_user()
    flow = code_flow(tenant, client, user, scope="openid offline_access", resource=[ORDERS, BILLING])
    # Two resources were authorized and none was asked at the code exchange: the client's audience.
    first = verify_pyjwt(tenant, flow.token["access_token"], client.client_id)
    assert first["sub"] == user.id, first
    # Refresh downscoped to one of the two (§2.2): aud is that resource.
    refreshed = tenant.token_request({"grant_type": "refresh_token", "refresh_token": flow.token["refresh_token"], "resource": BILLING}, client)
    assert refreshed.status_code == 200, describe(refreshed)
    assert verify_pyjwt(tenant, refreshed.json()["access_token"], BILLING)["sub"] == user.id
    token = refreshed.json()["refresh_token"]
    # A resource of the tenant that the authorization did not name, an unknown one, two at once.
    for resource in ("https://other.api.example/", "not a uri"):
        refused(tenant.token_request({"grant_type": "refresh_token", "refresh_token": token, "resource": resource}, client))
    refused(tenant.token_request({"grant_type": "refresh_token", "refresh_token": token, "resource": [ORDERS, BILLING]}, client))
    # Nothing rotated by the refusals.
    again = tenant.token_request({"grant_type": "refresh_token", "refresh_token": token, "resource": ORDERS}, client)
    assert again.status_code == 200, describe(again)
    assert verify_pyjwt(tenant, again.json()["access_token"], ORDERS)["sub"] == user.id


def test_one_authorized_resource_is_the_audience(tenant):
    with_resources(tenant)
    client = tenant.create_client("confidential")
    flow = code_flow(tenant, client, tenant.create_user(), scope="openid offline_access", resource=ORDERS)
    verify_pyjwt(tenant, flow.token["access_token"], ORDERS)
    # BILLING is the tenant's, but this authorization did not name it (§2.2).
    token = flow.token["refresh_token"]
    refused(tenant.token_request({"grant_type": "refresh_token", "refresh_token": token, "resource": BILLING}, client))
    plain = tenant.token_request({"grant_type": "refresh_token", "refresh_token": token}, client)
    assert plain.status_code == 200 and verify_pyjwt(tenant, plain.json()["access_token"], ORDERS), describe(plain)


def test_authorization_request_refuses_unknown_resources(tenant):
    with_resources(tenant)
    client = tenant.create_client("confidential")
    for resource in ("https://unknown.api.example/", "urn:relative", f"{ORDERS}#x"):
        _, url, _, _, _ = authorization_request(tenant, client, resource=resource)
        resp = Browser().get(url)
        assert resp.status_code in (302, 303) and "error=invalid_target" in resp.headers["Location"], describe(resp)


def test_client_credentials_and_token_exchange(tenant):
    with_resources(tenant)
    exchange = "urn:ietf:params:oauth:grant-type:token-exchange"
    client = tenant.create_client("confidential", grant_types=["client_credentials", exchange])
    granted = tenant.token_request({"grant_type": "client_credentials", "resource": ORDERS}, client)
    assert granted.status_code == 200, describe(granted)
    claims = verify_pyjwt(tenant, granted.json()["access_token"], ORDERS)
    assert claims["sub"] == client.client_id and claims["client_id"] == client.client_id
    refused(tenant.token_request({"grant_type": "client_credentials", "resource": "https://unknown.api.example/"}, client))
    own = tenant.token_request({"grant_type": "client_credentials"}, client).json()["access_token"]
    swapped = tenant.token_request(
        {"grant_type": exchange, "subject_token": own, "subject_token_type": "urn:ietf:params:oauth:token-type:access_token", "resource": BILLING},
        client,
    )
    assert swapped.status_code == 200, describe(swapped)
    verify_pyjwt(tenant, swapped.json()["access_token"], BILLING)
