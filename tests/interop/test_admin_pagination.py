"""Cursor pagination of the admin lists (`limit`, `after`, `next_cursor`) and the users filters."""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from gatehouse_client import assert_problem, expect, unique_email


def pages(admin, path: str, key: str, **params) -> tuple[list[dict], int]:
    items, count, cursor = [], 0, None
    while True:
        query = dict(params)
        if cursor:
            query["after"] = cursor
        body = expect(admin.get(path, params=query), 200).json()
        assert "next_cursor" in body, body.keys()
        items += body[key]
        count += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return items, count


@pytest.fixture(scope="module")
def crowded(admin):
    """A tenant with 2,500 users (no passwords: nothing to hash)."""
    tenant = admin.create_tenant()

    def create(i: int) -> str:
        resp = admin.post(f"/tenants/{tenant.slug}/users", json={"email": unique_email(f"p{i}"), "name": f"Person {i}"})
        return expect(resp, 201).json()["id"]

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(create, range(2500)))
    return tenant, ids


def test_every_user_exactly_once_across_pages(admin, crowded):
    tenant, ids = crowded
    for limit, expected_pages in ((1000, 3), (None, 25), (7, 358)):
        params = {"limit": limit} if limit else {}
        users, count = pages(admin, f"/tenants/{tenant.slug}/users", "users", **params)
        seen = [u["id"] for u in users]
        assert len(seen) == len(set(seen)) == 2500, (limit, len(seen), len(set(seen)))
        assert set(seen) == set(ids)
        assert seen == sorted(seen), "oldest first, by id"
        assert count == expected_pages, (limit, count)


def test_users_filters(admin, crowded):
    tenant, _ = crowded
    user = tenant.create_user(email=unique_email("needle"), name="Zebulon Haystack")
    by_email = expect(admin.get(f"/tenants/{tenant.slug}/users", params={"email": user.email.upper()}), 200).json()
    assert [u["id"] for u in by_email["users"]] == [user.id] and by_email["next_cursor"] is None
    by_text = expect(admin.get(f"/tenants/{tenant.slug}/users", params={"q": "zebulon hay"}), 200).json()
    assert [u["id"] for u in by_text["users"]] == [user.id]
    # LIKE wildcards in q are literal text.
    assert expect(admin.get(f"/tenants/{tenant.slug}/users", params={"q": "%"}), 200).json()["users"] == []


@pytest.mark.parametrize(
    "query",
    [{"limit": "0"}, {"limit": "1001"}, {"limit": "ten"}, {"limit": ""}, {"after": ""}, {"after": "not-a-user-id"},
     {"email": "nope"}, {"q": ""}],
)
def test_bad_paging_parameters_are_422(admin, crowded, query):
    tenant, _ = crowded
    assert_problem(admin.get(f"/tenants/{tenant.slug}/users", params=query), 422)


def test_sessions_clients_and_tenants_page_too(admin, tenant):
    for i in range(5):
        tenant.create_client("public", name=f"paged {i}")
    clients, count = pages(admin, f"/tenants/{tenant.slug}/clients", "clients", limit=2)
    ids = [c["client_id"] for c in clients]
    assert len(ids) == len(set(ids)) >= 5 and count >= 3
    tenants, _ = pages(admin, "/tenants", "tenants", limit=3)
    slugs = [t["slug"] for t in tenants]
    assert len(slugs) == len(set(slugs)) and tenant.slug in slugs
    sessions, _ = pages(admin, f"/tenants/{tenant.slug}/sessions", "sessions", limit=1)
    assert len({s["id"] for s in sessions}) == len(sessions)
    assert_problem(admin.get(f"/tenants/{tenant.slug}/sessions", params={"after": "usr_x"}), 422)


def test_cli_all_and_limit(server, crowded):
    from cli_helpers import BIN

    tenant, ids = crowded
    base = ["--url", server.public_url, "--token", server.admin_token]
    out = subprocess.run([str(BIN), "user", "list", "--tenant", tenant.slug, "--all", "--limit", "1000", "--json", *base],
                         capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr
    listed = json.loads(out.stdout)
    assert {u["id"] for u in listed["users"]} >= set(ids) and listed["next_cursor"] is None
    one = subprocess.run([str(BIN), "user", "list", "--tenant", tenant.slug, "--limit", "2", *base],
                         capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert one.returncode == 0 and "--after usr_" in one.stderr, one.stderr
    assert len(one.stdout.strip().splitlines()) == 3  # header and two users
