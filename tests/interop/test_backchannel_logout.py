"""OpenID Connect Back-Channel Logout 1.0 against a live server and a relying party's receiver on
loopback; every logout token is verified with PyJWT against the tenant's JWKS (nobody here wrote
either).

* discovery announces ``backchannel_logout_supported`` and ``backchannel_logout_session_supported``;
* RP-initiated logout: the client with a ``backchannel_logout_uri`` gets one logout token (§2.4:
  ``typ`` ``logout+jwt``, ``iss``, ``aud``, ``events``, ``sub``, ``sid`` = the ID token's, no
  ``nonce``, at most 120 s) POSTed as a form (§2.5); a client of the same session without one gets nothing;
* admin session revocation with a receiver answering 500 first: retried, same ``jti``, signed afresh;
* a disabled user's sessions, and a device signed out in the account console, end with one too;
* metadata validation (fragment, not a URL, private address, non-boolean) as RFC 9457 problems;
* the CLI sets both fields (`--backchannel-logout-uri`, `--backchannel-logout-session-required`).
"""

from __future__ import annotations

import os
import time
from urllib.parse import parse_qs

import jwt
import pytest

from gatehouse_http import assert_problem, expect
from gatehouse_rp import code_flow
from tenancy_helpers import start_server
from webhook_receiver import Receiver

CONFIG = (
    "[federation]\n"
    'allowed_private_networks = ["127.0.0.0/8", "::1/128"]\n'
    "[webhooks]\n"
    "retry_base_seconds = 0.4\n"
    "timeout_seconds = 3\n"
)
EVENT = "http://schemas.openid.net/event/backchannel-logout"


def backend_env(workdir) -> dict[str, str] | None:
    if os.environ.get("GATEHOUSE_INTEROP_BACKEND") != "postgres":
        return None
    from postgres_helpers import fresh_database, postgres_env

    return postgres_env(workdir, fresh_database("backchannel"))


@pytest.fixture(scope="module")
def server(tmp_path_factory, artifacts_dir):
    workdir = tmp_path_factory.mktemp("backchannel")
    log = artifacts_dir / "gatehouse-backchannel.log"
    srv = start_server(workdir, log, config=CONFIG, env=backend_env(workdir))
    yield srv
    srv.stop()


@pytest.fixture
def receiver():
    r = Receiver().start()
    r.status = 200
    yield r
    r.stop()


def logout_token(receipt) -> str:
    """The ``logout_token`` of a receipt, after checking the §2.5 request shape."""
    assert receipt.headers["content-type"] == "application/x-www-form-urlencoded", receipt.headers
    form = parse_qs(receipt.body.decode())
    assert list(form) == ["logout_token"] and len(form["logout_token"]) == 1, form
    return form["logout_token"][0]


def verify(tenant, client, token: str) -> dict:
    """The claims of a logout token, verified as §2.6 asks: signature by a key of the JWKS, ``iss``,
    ``aud``, ``iat``, ``typ``, ``events``, ``sub`` or ``sid``, and no ``nonce``."""
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "logout+jwt" and header.get("kid"), header
    key = jwt.PyJWKClient(f"{tenant.issuer}/jwks.json").get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token, key.key, algorithms=[header["alg"]], audience=client.client_id, issuer=tenant.issuer,
        options={"require": ["iss", "aud", "iat", "exp", "jti", "events", "sub", "sid"]},
    )
    assert claims["events"] == {EVENT: {}}, claims
    assert "nonce" not in claims, claims
    assert 0 < claims["exp"] - claims["iat"] <= 120, claims
    assert abs(claims["iat"] - time.time()) < 30, claims
    return claims


def id_token_claims(flow) -> dict:
    return jwt.decode(flow.token["id_token"], options={"verify_signature": False})


def test_discovery_announces_back_channel_logout(server):
    metadata = server.admin.create_tenant().discovery
    assert metadata["backchannel_logout_supported"] is True
    assert metadata["backchannel_logout_session_supported"] is True


def test_rp_initiated_logout_sends_one_logout_token(server, receiver):
    tenant = server.admin.create_tenant()
    client = tenant.create_client(first_party=True, backchannel_logout_uri=receiver.url + "?rp=one")
    assert client.raw["backchannel_logout_uri"] == receiver.url + "?rp=one"
    assert client.raw["backchannel_logout_session_required"] is False
    plain = tenant.create_client(first_party=True)
    assert "backchannel_logout_uri" not in plain.raw
    user = tenant.create_user()
    flow = code_flow(tenant, client, user)
    code_flow(tenant, plain, user, browser=flow.browser)  # the same session, a client without a URI
    id_claims = id_token_claims(flow)
    assert id_claims["sid"].startswith("ses_"), id_claims

    flow.browser.logout(tenant.discovery["end_session_endpoint"], {"id_token_hint": flow.token["id_token"]})
    receipts = receiver.wait_for(lambda r: len(r) >= 1)
    assert receipts[0].path == "/hook?rp=one"
    claims = verify(tenant, client, logout_token(receipts[0]))
    assert claims["sid"] == id_claims["sid"], (claims, id_claims)
    assert claims["sub"] == user.id == id_claims["sub"], (claims, id_claims)
    time.sleep(1.5)
    assert len(receiver.receipts) == 1, "one token, for the one client with a backchannel_logout_uri"


def test_admin_revocation_is_retried_until_delivered(server, receiver):
    tenant = server.admin.create_tenant()
    client = tenant.create_client(
        first_party=True, backchannel_logout_uri=receiver.url, backchannel_logout_session_required=True
    )
    assert client.raw["backchannel_logout_session_required"] is True
    user = tenant.create_user()
    flow = code_flow(tenant, client, user)
    sid = id_token_claims(flow)["sid"]
    listed = tenant.admin.get(f"/tenants/{tenant.slug}/sessions", params={"user_id": user.id})
    sessions = expect(listed, 200).json()["sessions"]
    assert [s["id"] for s in sessions] == [sid], sessions

    receiver.status = 500
    expect(tenant.admin.delete(f"/tenants/{tenant.slug}/sessions/{sid}"), 204)
    first = receiver.wait_for(lambda r: len(r) >= 1)[0]
    receiver.status = 200
    receipts = receiver.wait_for(lambda r: len(r) >= 2)
    one = verify(tenant, client, logout_token(first))
    two = verify(tenant, client, logout_token(receipts[1]))
    assert one["jti"] == two["jti"] and one["sid"] == two["sid"] == sid, (one, two)
    assert two["iat"] >= one["iat"]
    time.sleep(2.5)
    assert len(receiver.receipts) == 2, "delivered: no further attempt"


def test_disabling_a_user_ends_the_session_with_a_logout_token(server, receiver):
    tenant = server.admin.create_tenant()
    client = tenant.create_client(first_party=True, backchannel_logout_uri=receiver.url)
    user = tenant.create_user()
    sid = id_token_claims(code_flow(tenant, client, user))["sid"]
    expect(tenant.admin.patch(f"/tenants/{tenant.slug}/users/{user.id}", json={"disabled": True}), 200)
    claims = verify(tenant, client, logout_token(receiver.wait_for(lambda r: len(r) >= 1)[0]))
    assert claims["sid"] == sid and claims["sub"] == user.id


def test_account_console_sign_out_of_a_device_sends_a_logout_token(server, receiver):
    from accounts_pages import Console
    from gatehouse_client import Browser

    tenant = server.admin.create_tenant()
    client = tenant.create_client(first_party=True, backchannel_logout_uri=receiver.url)
    user = tenant.create_user()
    sid = id_token_claims(code_flow(tenant, client, user))["sid"]
    console = Console(tenant, Browser())
    console.sign_in(user.email, user.password)
    assert console.act(f"/account/sessions/{sid}/revoke").status_code == 200
    claims = verify(tenant, client, logout_token(receiver.wait_for(lambda r: len(r) >= 1)[0]))
    assert claims["sid"] == sid and claims["sub"] == user.id


@pytest.mark.parametrize(
    "value",
    [
        "https://rp.example.com/logout#fragment",
        "not a url",
        "/relative/logout",
        "ftp://rp.example.com/logout",
        "http://rp.example.com/logout",
        "https://10.1.2.3/logout",
        "https://user:pw@rp.example.com/logout",
        42,
    ],
)
def test_refused_backchannel_logout_uris(server, value):
    tenant = server.admin.tenant("default")
    body = {
        "name": "bad",
        "type": "confidential",
        "redirect_uris": ["https://app.example.com/cb"],
        "backchannel_logout_uri": value,
    }
    problem = assert_problem(tenant.admin.post(f"/tenants/{tenant.slug}/clients", json=body), 422)
    assert "backchannel_logout_uri" in [e["field"] for e in problem["errors"]], problem


def test_metadata_update_and_removal(server):
    tenant = server.admin.create_tenant()
    client = tenant.create_client()
    path = f"/tenants/{tenant.slug}/clients/{client.client_id}"
    bad = tenant.admin.patch(path, json={"backchannel_logout_session_required": "yes"})
    problem = assert_problem(bad, 422)
    assert [e["field"] for e in problem["errors"]] == ["backchannel_logout_session_required"], problem
    uri = "https://rp.example.com/backchannel?tenant=acme"
    body = {"backchannel_logout_uri": uri, "backchannel_logout_session_required": True}
    updated = expect(tenant.admin.patch(path, json=body), 200).json()
    assert updated["backchannel_logout_uri"] == uri and updated["backchannel_logout_session_required"] is True
    assert expect(tenant.admin.get(path), 200).json()["backchannel_logout_uri"] == uri
    removed = expect(tenant.admin.patch(path, json={"backchannel_logout_uri": None}), 200).json()
    assert "backchannel_logout_uri" not in removed and removed["backchannel_logout_session_required"] is True


def test_cli_sets_the_metadata(server, tmp_path):
    from cli_helpers import CLI

    cli = CLI(server.public_url, server.admin_token, tmp_path)
    tenant = server.admin.create_tenant()
    uri = "https://rp.example.com/backchannel"
    created = cli.json(
        "client", "create", "--tenant", tenant.slug, "--name", "RP",
        "--redirect-uri", "https://rp.example.com/cb", "--backchannel-logout-uri", uri,
    )
    assert created["backchannel_logout_uri"] == uri
    assert created["backchannel_logout_session_required"] is False
    client_id = created["client_id"]
    update = ("client", "update", client_id, "--tenant", tenant.slug)
    updated = cli.json(*update, "--backchannel-logout-session-required", "true")
    assert updated["backchannel_logout_uri"] == uri
    assert updated["backchannel_logout_session_required"] is True
    refused = cli.fails(*update, "--backchannel-logout-uri", "https://rp.example.com/#x")
    assert "backchannel_logout_uri" in refused
