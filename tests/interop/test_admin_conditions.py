"""Conditional and idempotent admin writes: `ETag` on every resource, `If-Match` → 412 on PATCH,
PUT and DELETE (RFC 9110 §13.1.1), `Idempotency-Key` on POST (a retry returns the first answer)."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor

from gatehouse_client import assert_problem, expect, unique_email


def test_etag_changes_with_the_resource_and_if_match_guards_patch(admin, tenant):
    user = expect(admin.post(f"/tenants/{tenant.slug}/users", json={"email": unique_email("etag"), "name": "A"}), 201).json()
    path = f"/tenants/{tenant.slug}/users/{user['id']}"
    first = expect(admin.get(path), 200)
    tag = first.headers["ETag"]
    assert tag.startswith('"') and tag.endswith('"') and len(tag) > 10
    assert expect(admin.get(path), 200).headers["ETag"] == tag, "a resource that did not change keeps its tag"

    # A stale or bogus tag is refused and changes nothing.
    for bogus in ('"bogus"', 'W/' + tag, '"' + "A" * 22 + '"'):
        assert_problem(admin.patch(path, json={"name": "B"}, headers={"If-Match": bogus}), 412)
    assert expect(admin.get(path), 200).json()["name"] == "A"

    changed = expect(admin.patch(path, json={"name": "B"}, headers={"If-Match": tag}), 200)
    new_tag = changed.headers["ETag"]
    assert new_tag != tag
    assert expect(admin.get(path), 200).headers["ETag"] == new_tag, "the PATCH answer's tag is the resource's"
    # The old tag is now stale: a lost update is refused.
    assert_problem(admin.patch(path, json={"name": "C"}, headers={"If-Match": tag}), 412)
    # A list of tags matches if one does; `*` matches an existing resource.
    expect(admin.patch(path, json={"name": "C"}, headers={"If-Match": f'"x", {new_tag}'}), 200)
    expect(admin.patch(path, json={"name": "D"}, headers={"If-Match": "*"}), 200)
    # Without If-Match, writes are unconditional as before.
    expect(admin.patch(path, json={"name": "E"}), 200)


def test_if_match_guards_delete_and_tenant_and_client(admin, tenant):
    tenant_path = f"/tenants/{tenant.slug}"
    tag = expect(admin.get(tenant_path), 200).headers["ETag"]
    assert_problem(admin.patch(tenant_path, json={"name": "Renamed"}, headers={"If-Match": '"stale"'}), 412)
    expect(admin.patch(tenant_path, json={"name": "Renamed"}, headers={"If-Match": tag}), 200)

    client = expect(admin.post(f"{tenant_path}/clients", json={
        "name": "c", "type": "confidential", "redirect_uris": ["https://rp.example/cb"]}), 201).json()
    client_path = f"{tenant_path}/clients/{client['client_id']}"
    client_tag = expect(admin.get(client_path), 200).headers["ETag"]
    assert_problem(admin.delete(client_path, headers={"If-Match": '"stale"'}), 412)
    expect(admin.get(client_path), 200)
    expect(admin.delete(client_path, headers={"If-Match": client_tag}), 204)
    assert_problem(admin.delete(client_path, headers={"If-Match": client_tag}), 404)


def test_malformed_if_match_never_matches(admin, tenant):
    user = expect(admin.post(f"/tenants/{tenant.slug}/users", json={"email": unique_email("etag")}), 201).json()
    for bad in ("no-quotes", '"a" x', '"a"b"', "", '"é"'):
        assert_problem(admin.patch(f"/tenants/{tenant.slug}/users/{user['id']}", json={"name": "x"}, headers={"If-Match": bad}), 412)


def test_if_match_on_a_resource_without_a_tag_is_refused(admin, tenant):
    # Sessions have no GET of their own, so no entity tag can match.
    session_id = "ses_" + "0" * 26  # well-formed, so the answer is about the condition, not the id
    assert_problem(admin.delete(f"/tenants/{tenant.slug}/sessions/{session_id}", headers={"If-Match": '"x"'}), 412)


def test_repeated_idempotency_key_creates_one_client(admin, tenant):
    path = f"/tenants/{tenant.slug}/clients"
    key = secrets.token_urlsafe(16)
    body = {"name": "idem", "type": "confidential", "redirect_uris": ["https://rp.example/cb"]}
    first = expect(admin.post(path, json=body, headers={"Idempotency-Key": key}), 201)
    again = expect(admin.post(path, json=body, headers={"Idempotency-Key": key}), 201)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json(), "the retry gets the first answer, secret key included"
    names = [c for c in admin.get(path, params={"limit": 1000}).json()["clients"] if c["name"] == "idem"]
    assert len(names) == 1, names

    # The same key with another body is refused; another key creates another client.
    assert_problem(admin.post(path, json={**body, "name": "other"}, headers={"Idempotency-Key": key}), 422)
    expect(admin.post(path, json=body, headers={"Idempotency-Key": key + "2"}), 201)
    # Keys are per caller and path: the same key on users is a new request.
    expect(admin.post(f"/tenants/{tenant.slug}/users", json={"email": unique_email("idem")}, headers={"Idempotency-Key": key}), 201)


def test_concurrent_retries_make_one_user(admin, tenant):
    path = f"/tenants/{tenant.slug}/users"
    key = secrets.token_urlsafe(16)
    email = unique_email("race")

    def send(_):
        return admin.post(path, json={"email": email, "password": "a long enough passphrase 42"}, headers={"Idempotency-Key": key})

    with ThreadPoolExecutor(6) as pool:
        statuses = [r.status_code for r in pool.map(send, range(6))]
    assert statuses.count(201) >= 1 and set(statuses) <= {201, 409}, statuses
    found = admin.get(path, params={"email": email}).json()["users"]
    assert len(found) == 1


def test_bad_idempotency_keys_are_refused(admin, tenant):
    path = f"/tenants/{tenant.slug}/users"
    for bad in ("x" * 256, "has space"):
        assert_problem(admin.post(path, json={"email": unique_email("bad")}, headers={"Idempotency-Key": bad}), 400)
