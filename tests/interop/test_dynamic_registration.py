"""Dynamic client registration (RFC 7591) and its management protocol (RFC 7592): off by default
(404, not in discovery); with `token`, an initial access token made through the admin API is
required (§3), counted and revocable; with `open`, anyone registers, limited per address. A
registered public client completes the code flow with PKCE through Authlib (consent shown: never
first-party), a confidential one uses client_credentials with the returned secret; the
registration access token reads, replaces and deletes the registration; invalid metadata gets
`invalid_redirect_uri`, `invalid_client_metadata` or `invalid_software_statement` (§3.2.2); one
tenant's tokens and clients are unknown at another.
"""

from __future__ import annotations

import json

import requests
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from cli_helpers import cli  # noqa: F401 - fixture
from gatehouse_client import RP, Browser, Client, check_access_token, describe
from gatehouse_http import HTTP_TIMEOUT

REDIRECT = "https://mcp-client.example/callback"


def registration_endpoint(tenant) -> str:
    return tenant.issuer + "/register"


def register(tenant, metadata: dict, token: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(registration_endpoint(tenant), json=metadata, headers=headers, timeout=HTTP_TIMEOUT)


def initial_token(admin, tenant, **body) -> dict:
    made = admin.post(f"/tenants/{tenant.slug}/registration-tokens", json=body)
    assert made.status_code == 201, describe(made)
    return made.json()


def token_mode(tenant) -> None:
    tenant.patch({"settings": {"dynamic_client_registration": "token"}})


def as_client(answer: dict) -> Client:
    return Client(
        client_id=answer["client_id"], client_secret=answer.get("client_secret"), type="registered",
        redirect_uris=answer.get("redirect_uris", []), post_logout_redirect_uris=[], grant_types=answer["grant_types"], raw=answer,
    )


def oauth_error(resp: requests.Response, status: int, error: str) -> None:
    assert resp.status_code == status and resp.json()["error"] == error, describe(resp)


def test_off_by_default(tenant):
    assert "registration_endpoint" not in requests.get(
        f"{tenant.issuer}/.well-known/openid-configuration", timeout=HTTP_TIMEOUT
    ).json()
    assert register(tenant, {"redirect_uris": [REDIRECT]}).status_code == 404


def test_registered_public_client_signs_a_user_in(admin, tenant):
    token_mode(tenant)
    doc = requests.get(f"{tenant.issuer}/.well-known/openid-configuration", timeout=HTTP_TIMEOUT).json()
    assert doc["registration_endpoint"] == registration_endpoint(tenant), doc
    oauth_error(register(tenant, {"redirect_uris": [REDIRECT]}), 401, "invalid_token")
    oauth_error(register(tenant, {"redirect_uris": [REDIRECT]}, token="not-a-token"), 401, "invalid_token")
    made = initial_token(admin, tenant, description="mcp", max_uses=1)
    assert made["token"] and made["uses"] == 0 and made["max_uses"] == 1
    resp = register(
        tenant,
        {
            "client_name": "MCP agent",
            "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "scope": "openid email offline_access",
            "client_uri": "https://mcp-client.example",
            "contacts": ["ops@mcp-client.example"],
            "x_unknown_member": "ignored (RFC 7591 §2)",
        },
        token=made["token"],
    )
    assert resp.status_code == 201 and resp.headers["Cache-Control"] == "no-store", describe(resp)
    client = resp.json()
    assert client["client_id"].startswith("pk_") and "client_secret" not in client, client
    assert client["token_endpoint_auth_method"] == "none" and client["client_uri"] == "https://mcp-client.example"
    assert client["registration_client_uri"] == f"{registration_endpoint(tenant)}/{client['client_id']}"
    assert "x_unknown_member" not in client and client["registration_access_token"]
    # The initial access token allowed one registration.
    oauth_error(register(tenant, {"redirect_uris": [REDIRECT]}, token=made["token"]), 401, "invalid_token")
    listed = admin.get(f"/tenants/{tenant.slug}/registration-tokens").json()["registration_tokens"]
    assert listed[0]["uses"] == 1 and "token" not in listed[0], listed
    shown = admin.get(f"/tenants/{tenant.slug}/clients/{client['client_id']}").json()
    assert shown["first_party"] is False and shown["type"] == "public", shown

    # Authlib completes the code flow with PKCE; the consent page is shown (not first-party).
    user = tenant.create_user()
    verifier = generate_token(48)
    rp = RP(client_id=client["client_id"], token_endpoint_auth_method="none", scope="openid email", redirect_uri=REDIRECT,
            token_endpoint=tenant.endpoint("token_endpoint"))
    url, state = rp.create_authorization_url(
        tenant.endpoint("authorization_endpoint"), code_challenge=create_s256_code_challenge(verifier), code_challenge_method="S256"
    )
    auth = Browser().authorize(url, REDIRECT, user=user, consent="allow")
    assert auth.code and auth.params.get("state") == state, auth.trace()
    assert any("consent" in step for step in auth.steps), auth.steps
    tokens = rp.fetch_token(code=auth.code, code_verifier=verifier, redirect_uri=REDIRECT)
    assert check_access_token(tenant, as_client(client), tokens["access_token"], user=user)["sub"] == user.id


def test_confidential_client_and_client_configuration(admin, tenant):
    token_mode(tenant)
    made = initial_token(admin, tenant)
    resp = register(
        tenant,
        {"client_name": "Worker", "grant_types": ["client_credentials"], "response_types": [], "token_endpoint_auth_method": "client_secret_basic"},
        token=made["token"],
    )
    assert resp.status_code == 201, describe(resp)
    client = resp.json()
    assert client["client_secret"].startswith("sk_") and client["client_secret_expires_at"] == 0, client
    access = client["registration_access_token"]
    grant = tenant.token_request({"grant_type": "client_credentials"}, as_client(client), auth="basic")
    assert grant.status_code == 200 and grant.json()["access_token"], describe(grant)

    uri = client["registration_client_uri"]
    bearer = {"Authorization": f"Bearer {access}"}
    read = requests.get(uri, headers=bearer, timeout=HTTP_TIMEOUT)
    assert read.status_code == 200 and read.json()["client_id"] == client["client_id"] and "client_secret" not in read.json()
    oauth_error(requests.get(uri, headers={"Authorization": "Bearer wrong"}, timeout=HTTP_TIMEOUT), 401, "invalid_token")
    oauth_error(requests.get(uri, timeout=HTTP_TIMEOUT), 401, "invalid_token")
    # RFC 7592 §2.2: a full replacement; client_id must match, a sent secret must be the client's.
    replaced = requests.put(
        uri, headers=bearer, timeout=HTTP_TIMEOUT,
        json={"client_id": client["client_id"], "client_name": "Worker 2", "grant_types": ["client_credentials"], "response_types": []},
    )
    assert replaced.status_code == 200 and replaced.json()["client_name"] == "Worker 2", describe(replaced)
    oauth_error(
        requests.put(uri, headers=bearer, timeout=HTTP_TIMEOUT, json={"client_id": "pk_other", "grant_types": ["client_credentials"], "response_types": []}),
        400, "invalid_client_metadata",
    )
    oauth_error(
        requests.put(uri, headers=bearer, timeout=HTTP_TIMEOUT,
                     json={"client_id": client["client_id"], "client_secret": "sk_wrong", "grant_types": ["client_credentials"], "response_types": []}),
        400, "invalid_client_metadata",
    )
    deleted = requests.delete(uri, headers=bearer, timeout=HTTP_TIMEOUT)
    assert deleted.status_code == 204, describe(deleted)
    oauth_error(requests.get(uri, headers=bearer, timeout=HTTP_TIMEOUT), 401, "invalid_token")
    gone = tenant.token_request({"grant_type": "client_credentials"}, as_client(client), auth="basic")
    assert gone.status_code == 401, describe(gone)
    # A client an administrator made is not managed through RFC 7592.
    mine = tenant.create_client("confidential")
    oauth_error(requests.get(f"{registration_endpoint(tenant)}/{mine.client_id}", headers=bearer, timeout=HTTP_TIMEOUT), 401, "invalid_token")


def test_invalid_metadata(admin, tenant):
    token_mode(tenant)
    token = initial_token(admin, tenant)["token"]
    cases = [
        ({"redirect_uris": ["https://rp.example/cb#fragment"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["http://rp.example/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": [REDIRECT], "grant_types": ["authorization_code"], "response_types": []}, "invalid_client_metadata"),
        ({"redirect_uris": [REDIRECT], "response_types": ["token"]}, "invalid_client_metadata"),
        ({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "tls_client_auth"}, "invalid_client_metadata"),
        ({"redirect_uris": [REDIRECT], "scope": "openid clients:write"}, "invalid_client_metadata"),
        ({"redirect_uris": [REDIRECT], "request_uris": ["https://rp.example/r"]}, "invalid_client_metadata"),
        ({"redirect_uris": [REDIRECT], "subject_type": "pairwise"}, "invalid_client_metadata"),
        ({"redirect_uris": [REDIRECT], "logo_uri": "javascript:alert(1)"}, "invalid_client_metadata"),
        ({"redirect_uris": [REDIRECT], "software_statement": "eyJ..."}, "invalid_software_statement"),
        ({"grant_types": ["client_credentials"], "response_types": [], "token_endpoint_auth_method": "none"}, "invalid_client_metadata"),
    ]
    for metadata, error in cases:
        oauth_error(register(tenant, metadata, token=token), 400, error)
    garbage = requests.post(
        registration_endpoint(tenant), data="not json", headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=HTTP_TIMEOUT,
    )
    oauth_error(garbage, 400, "invalid_client_metadata")
    # Nothing was registered by the refusals.
    assert admin.get(f"/tenants/{tenant.slug}/clients").json()["clients"] == []


def test_open_registration_is_limited_per_address(tenant):
    tenant.patch({"settings": {"dynamic_client_registration": "open"}})
    answers = [register(tenant, {"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}).status_code for _ in range(11)]
    assert answers[:10] == [201] * 10 and answers[10] == 429, answers


def test_registration_tokens_through_the_admin_api(admin, tenant, cli):  # noqa: F811 - fixture
    path = f"/tenants/{tenant.slug}/registration-tokens"
    bad = admin.post(path, json={"expires_in": 5, "max_uses": 0, "colour": "blue"})
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {"expires_in", "max_uses", "colour"}, describe(bad)
    made = initial_token(admin, tenant, expires_in=3600)
    assert made["expires_at"] and made["max_uses"] is None
    assert admin.delete(f"{path}/{made['id']}").status_code == 204
    assert admin.delete(f"{path}/{made['id']}").status_code == 404
    token_mode(tenant)
    oauth_error(register(tenant, {"redirect_uris": [REDIRECT]}, token=made["token"]), 401, "invalid_token")
    # The CLI makes and lists them; the tenant setting has its flag.
    out = cli.ok("client", "registration-token", "create", "--tenant", tenant.slug, "--max-uses", "3", "--json")
    assert json.loads(out)["token"] and json.loads(out)["max_uses"] == 3, out
    assert "rat_" in cli.ok("client", "registration-token", "list", "--tenant", tenant.slug)
    cli.ok("tenant", "update", tenant.slug, "--dynamic-client-registration", "open")
    assert admin.get(f"/tenants/{tenant.slug}").json()["settings"]["dynamic_client_registration"] == "open"


def test_tokens_and_clients_of_another_tenant(admin, tenant, other_tenant):
    token_mode(tenant)
    token_mode(other_tenant)
    token = initial_token(admin, tenant, max_uses=5)["token"]
    oauth_error(register(other_tenant, {"redirect_uris": [REDIRECT]}, token=token), 401, "invalid_token")
    client = register(tenant, {"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}, token=token).json()
    bearer = {"Authorization": f"Bearer {client['registration_access_token']}"}
    foreign = f"{registration_endpoint(other_tenant)}/{client['client_id']}"
    oauth_error(requests.get(foreign, headers=bearer, timeout=HTTP_TIMEOUT), 401, "invalid_token")
    oauth_error(requests.delete(foreign, headers=bearer, timeout=HTTP_TIMEOUT), 401, "invalid_token")
    assert requests.get(client["registration_client_uri"], headers=bearer, timeout=HTTP_TIMEOUT).status_code == 200
