"""Three Gatehouse nodes on one PostgreSQL database behave as one Gatehouse.

The nodes share the database (a fresh one on the test cluster of ``scripts/test``), the master key
and the admin token, and sit behind Debian's nginx (round robin, no sticky sessions); the tests
also address single nodes to show where each step ran. Coherence bound: 1 s
(docs/operations.md, Several nodes on PostgreSQL)."""

from __future__ import annotations

import concurrent.futures
import threading
import time

import pytest
import requests

from gatehouse_client import Browser, authorization_request, expect, unique_slug
from postgres_helpers import DATABASE_URL, NGINX, Nodes, on, start_nodes

pytestmark = [
    pytest.mark.skipif(DATABASE_URL is None, reason="GATEHOUSE_TEST_DATABASE_URL is not set (scripts/test sets it)"),
    pytest.mark.skipif(NGINX is None, reason="nginx is not installed (scripts/ensure-deps installs it)"),
]

BOUND = 1.0  # seconds


@pytest.fixture(scope="module")
def nodes(tmp_path_factory, artifacts_dir):
    cluster = start_nodes(tmp_path_factory.mktemp("nodes"), artifacts_dir, count=3)
    yield cluster
    cluster.stop()


@pytest.fixture()
def tenant(nodes: Nodes):
    return nodes.admin.create_tenant(unique_slug("nodes"))


def within_bound(check) -> float:
    """Seconds until ``check()`` holds; fails beyond the bound."""
    start = time.monotonic()
    while True:
        if check():
            return time.monotonic() - start
        if time.monotonic() - start > BOUND:
            raise AssertionError(f"not within {BOUND}s")
        time.sleep(0.02)


def code_on(nodes: Nodes, tenant, client, user, steps: list[int]) -> tuple[str, object, str | None, str]:
    """An authorization code from a browser whose requests go to ``steps[i]`` in turn (the last
    node repeats). Returns (code, rp, verifier, state)."""
    rp, url, state, _nonce, verifier = authorization_request(tenant, client)
    browser = Browser()
    turn = iter(steps)
    last = [steps[0]]

    def choose() -> int:
        last[0] = next(turn, last[0])
        return last[0]

    router = nodes.pinned(browser.http, choose)
    auth = browser.authorize(url, client.redirect_uri, user=user)
    assert auth.code, auth.trace()
    assert auth.params.get("iss") == tenant.issuer
    return auth.code, rp, verifier, router.served


def redeem(nodes: Nodes, index: int, tenant, client, code: str, verifier: str | None) -> requests.Response:
    """The token request for ``code``, sent to node ``index``."""
    return on(
        nodes, index, tenant.endpoint("token_endpoint"), "POST",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": client.redirect_uri, "code_verifier": verifier},
        headers=client.basic_auth(),
    )


def tokens_on(nodes: Nodes, tenant, index: int) -> tuple[object, object, dict]:
    """A confidential client, a user, and the tokens of a sign-in made and redeemed on node ``index``."""
    client = tenant.create_client("confidential")
    user = tenant.create_user()
    code, _rp, verifier, _ = code_on(nodes, tenant, client, user, steps=[index])
    return client, user, expect(redeem(nodes, index, tenant, client, code, verifier), 200).json()


def test_a_login_started_on_node_1_continues_on_node_2_and_its_code_is_redeemed_on_node_3(nodes, tenant):
    client = tenant.create_client("confidential")
    user = tenant.create_user()
    code, _rp, verifier, served = code_on(nodes, tenant, client, user, steps=[0, 1, 1, 1, 1, 1])
    assert served[0] == 0 and set(served[1:]) == {1}, served
    token = redeem(nodes, 2, tenant, client, code, verifier)
    assert token.status_code == 200, token.text
    body = token.json()
    # Every node serves the same tenant: node 1 answers userinfo for node 3's token.
    info = on(nodes, 0, tenant.endpoint("userinfo_endpoint"), headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.status_code == 200 and info.json()["sub"] == user.id, info.text


def test_a_login_through_the_round_robin_proxy_crosses_every_node(nodes, tenant):
    client = tenant.create_client("confidential")
    user = tenant.create_user()
    rp, url, state, _nonce, verifier = authorization_request(tenant, client)
    browser = Browser()
    upstreams: list[str] = []
    browser.http.hooks["response"].append(lambda r, *a, **k: upstreams.append(r.headers.get("X-Upstream", "")))
    auth = browser.authorize(url, client.redirect_uri, user=user)
    assert auth.code, auth.trace()
    assert len(set(upstreams)) == 3, upstreams  # nginx spread the steps over all three nodes
    token = rp.fetch_token(authorization_response=auth.location, state=state, redirect_uri=client.redirect_uri, code_verifier=verifier)
    assert token["access_token"]


def test_twenty_concurrent_redemptions_of_one_code_over_three_nodes_give_one_token(nodes, tenant):
    client = tenant.create_client("confidential")
    user = tenant.create_user()
    code, _rp, verifier, _ = code_on(nodes, tenant, client, user, steps=[0])
    barrier = threading.Barrier(20)

    def attempt(i: int) -> int:
        barrier.wait()
        return redeem(nodes, i % 3, tenant, client, code, verifier).status_code

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(attempt, range(20)))
    assert statuses.count(200) == 1, statuses
    assert set(statuses) == {200, 400}, statuses


def test_a_refresh_race_across_nodes_has_at_most_one_successor(nodes, tenant):
    client, _user, first = tokens_on(nodes, tenant, 1)
    barrier = threading.Barrier(9)

    def refresh(i: int) -> requests.Response:
        barrier.wait()
        return on(
            nodes, i % 3, tenant.endpoint("token_endpoint"), "POST",
            data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}, headers=client.basic_auth(),
        )

    with concurrent.futures.ThreadPoolExecutor(9) as pool:
        answers = list(pool.map(refresh, range(9)))
    winners = [a for a in answers if a.status_code == 200]
    assert len(winners) <= 1, [a.status_code for a in answers]
    assert all(a.status_code in (200, 400) for a in answers), [a.text for a in answers]
    if winners:  # the successor works on any node
        successor = winners[0].json()["refresh_token"]
        again = on(
            nodes, 2, tenant.endpoint("token_endpoint"), "POST",
            data={"grant_type": "refresh_token", "refresh_token": successor}, headers=client.basic_auth(),
        )
        assert again.status_code == 200, again.text


def test_a_revocation_on_node_1_is_refused_on_nodes_2_and_3_within_the_bound(nodes, tenant):
    client = tenant.create_client("confidential")
    token = expect(
        on(nodes, 0, tenant.endpoint("token_endpoint"), "POST", data={"grant_type": "client_credentials"}, headers=client.basic_auth()),
        200,
    ).json()["access_token"]

    def active(index: int) -> bool:
        resp = on(nodes, index, tenant.endpoint("introspection_endpoint"), "POST", data={"token": token}, headers=client.basic_auth())
        return expect(resp, 200).json()["active"]

    assert active(1) and active(2)  # verified (and cached) on both
    expect(on(nodes, 0, tenant.endpoint("revocation_endpoint"), "POST", data={"token": token}, headers=client.basic_auth()), 200)
    elapsed = within_bound(lambda: not active(1) and not active(2))
    print(f"revocation reached nodes 2 and 3 in {elapsed * 1000:.0f} ms")


def test_disabled_users_deleted_clients_rotated_keys_and_changed_settings_reach_every_node(nodes, tenant):
    client, user, tokens = tokens_on(nodes, tenant, 0)

    # A changed setting (CORS origins), seen by nodes 2 and 3 (templates: PostgresCoherenceTests).
    origin = "https://app.nodes.example"
    expect(on(nodes, 0, f"{nodes.public_url}/admin/v1/tenants/{tenant.slug}", "PATCH", json={"settings": {"allowed_origins": [origin]}},
              headers={"Authorization": f"Bearer {nodes.admin_token}"}), 200)
    within_bound(lambda: all(
        on(nodes, i, tenant.endpoint("token_endpoint"), "OPTIONS", headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
        .headers.get("Access-Control-Allow-Origin") == origin for i in (1, 2)))

    # A rotated key: node 0 rotates, the JWKS of nodes 2 and 3 publish the new key.
    before = {k["kid"] for k in expect(on(nodes, 1, tenant.endpoint("jwks_uri")), 200).json()["keys"]}
    expect(on(nodes, 0, f"{nodes.public_url}/admin/v1/tenants/{tenant.slug}/keys/rotate", "POST", json={},
              headers={"Authorization": f"Bearer {nodes.admin_token}"}), 200, 201)
    within_bound(lambda: all(
        {k["kid"] for k in on(nodes, i, tenant.endpoint("jwks_uri")).json()["keys"]} - before for i in (1, 2)))

    # A disabled user: the refresh token is refused on the other nodes at once (no cache).
    expect(on(nodes, 0, f"{nodes.public_url}/admin/v1/tenants/{tenant.slug}/users/{user.id}", "PATCH", json={"disabled": True},
              headers={"Authorization": f"Bearer {nodes.admin_token}"}), 200)
    refused = on(nodes, 2, tenant.endpoint("token_endpoint"), "POST",
                 data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, headers=client.basic_auth())
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant", refused.text

    # A deleted client: its secret stops working on nodes 2 and 3.
    def works(index: int) -> bool:
        return on(nodes, index, tenant.endpoint("token_endpoint"), "POST", data={"grant_type": "client_credentials"},
                  headers=client.basic_auth()).status_code == 200

    assert works(1) and works(2)
    # A rotated secret (no overlap): the old one stops on nodes 2 and 3, the new one works there.
    rotated = expect(on(nodes, 0, f"{nodes.public_url}/admin/v1/tenants/{tenant.slug}/clients/{client.client_id}/rotate-secret",
                        "POST", json={}, headers={"Authorization": f"Bearer {nodes.admin_token}"}), 200).json()
    within_bound(lambda: not works(1) and not works(2))
    client.client_secret = rotated["client_secret"]
    assert works(1) and works(2)
    expect(on(nodes, 0, f"{nodes.public_url}/admin/v1/tenants/{tenant.slug}/clients/{client.client_id}", "DELETE",
              headers={"Authorization": f"Bearer {nodes.admin_token}"}), 204)
    within_bound(lambda: not works(1) and not works(2))


def test_a_deleted_tenant_is_gone_from_every_node_within_the_bound(nodes):
    tenant = nodes.admin.create_tenant(unique_slug("gone"))
    discovery = f"{tenant.issuer}/.well-known/openid-configuration"
    within_bound(lambda: all(on(nodes, i, discovery).status_code == 200 for i in (1, 2)))
    expect(on(nodes, 0, f"{nodes.public_url}/admin/v1/tenants/{tenant.slug}", "DELETE",
              headers={"Authorization": f"Bearer {nodes.admin_token}"}), 204)
    within_bound(lambda: all(on(nodes, i, discovery).status_code == 404 for i in (1, 2)))


def test_tenant_export_is_refused_on_postgresql_with_501(nodes, tenant):
    """Not built on PostgreSQL yet: refused as such (501 with a reason), never a 5xx that looks
    like an outage."""
    resp = on(nodes, 0, f"{nodes.public_url}/admin/v1/tenants/{tenant.slug}/export", "POST",
              json={"passphrase": "a long enough passphrase"}, headers={"Authorization": f"Bearer {nodes.admin_token}"})
    assert resp.status_code == 501, resp.text
    assert "PostgreSQL" in resp.json()["detail"], resp.text


def test_requests_during_a_tenant_deletion_on_any_node_get_404_never_500(nodes):
    tenant = nodes.admin.create_tenant(unique_slug("del"))
    client = tenant.create_client("confidential")
    authorize = f"{tenant.issuer}/authorize?response_type=code&client_id={client.client_id}&redirect_uri={client.redirect_uri}"
    stop = threading.Event()
    statuses: list[int] = []

    def hammer(index: int) -> None:
        while not stop.is_set():
            statuses.append(on(nodes, index % 3, authorize).status_code)
            statuses.append(on(nodes, index % 3, f"{nodes.public_url}/admin/v1/tenants/{tenant.slug}/users",
                               headers={"Authorization": f"Bearer {nodes.admin_token}"}).status_code)

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    delete = f"{nodes.public_url}/admin/v1/tenants/{tenant.slug}"
    admin = {"Authorization": f"Bearer {nodes.admin_token}"}
    with concurrent.futures.ThreadPoolExecutor(2) as pool:  # the same DELETE on two nodes at once
        answers = list(pool.map(lambda i: on(nodes, i, delete, "DELETE", headers=admin).status_code, (0, 1)))
    time.sleep(BOUND)
    stop.set()
    for t in threads:
        t.join()
    # DELETE is idempotent (RFC 9110 §9.2.2): the second is a 204 or, if it saw the first, a 404.
    assert 204 in answers and set(answers) <= {204, 404}, answers
    assert 500 not in statuses and 503 not in statuses, sorted(set(statuses))
    assert statuses[-20:].count(404) == 20, statuses[-20:]
