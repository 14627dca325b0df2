"""The tenancy model (issue 3): publishable and secret keys of clients per environment, and secret rotation
(with and without overlap).
"""

from __future__ import annotations

import re
import time
from dataclasses import replace

import pytest

from gatehouse_client import assert_oauth_error, assert_problem, describe, expect
from tenancy_helpers import client_credentials, introspect_as

ENVIRONMENTS = ("live", "test", "dev")


# --------------------------------------------------------------------------- keys


def test_publishable_and_secret_key_formats_per_environment(admin):
    seen: list[str] = []
    for env in ENVIRONMENTS:
        tenant = admin.create_tenant(environment=env)
        for _ in range(3):
            public = tenant.create_client("public")
            confidential = tenant.create_client("confidential")
            for client in (public, confidential):
                assert re.fullmatch(rf"pk_{env}_[0-9A-Za-z]{{24}}", client.client_id), client.client_id
                seen.append(client.client_id)
            assert public.client_secret is None and public.raw.get("client_secret") is None, public.raw
            assert re.fullmatch(rf"sk_{env}_[0-9A-Za-z]{{43}}", confidential.client_secret), (
                confidential.client_secret
            )
            seen.append(confidential.client_secret)
    assert len(seen) == len(set(seen)), "keys repeat across the instance"


def test_secret_key_is_shown_once(tenant):
    client = tenant.create_client("confidential")
    shown = expect(tenant.admin.get(f"/tenants/{tenant.slug}/clients/{client.client_id}"), 200)
    assert shown.json().get("client_secret") is None, shown.text
    assert client.client_secret not in shown.text
    listed = expect(tenant.admin.get(f"/tenants/{tenant.slug}/clients"), 200)
    assert client.client_secret not in listed.text
    assert all(c.get("client_secret") is None for c in listed.json()["clients"]), listed.text
    patched = expect(
        tenant.admin.patch(f"/tenants/{tenant.slug}/clients/{client.client_id}", json={"name": "x"}), 200
    )
    assert patched.json().get("client_secret") is None and client.client_secret not in patched.text


def rotate_secret(tenant, client, body=None):
    kwargs = {"json": body} if body is not None else {}
    resp = expect(
        tenant.admin.post(f"/tenants/{tenant.slug}/clients/{client.client_id}/rotate-secret", **kwargs), 200
    )
    data = resp.json()
    assert re.fullmatch(r"sk_test_[0-9A-Za-z]{43}", data["client_secret"]), data
    assert data["client_secret"] != client.client_secret
    assert "no-store" in resp.headers.get("Cache-Control", "")
    return data


def with_secret(client, secret):
    """The same client presenting another secret key."""
    return replace(client, client_secret=secret)


@pytest.mark.parametrize("body", [None, {"overlap_seconds": 0}], ids=["default", "explicit-0"])
def test_secret_rotation_without_overlap_invalidates_the_old_secret_at_once(tenant, body):
    client = tenant.create_client("confidential")
    expect(client_credentials(tenant, client), 200)
    data = rotate_secret(tenant, client, body)
    old = client_credentials(tenant, client)
    assert_oauth_error(old, "invalid_client", 401)
    assert old.headers.get("WWW-Authenticate"), describe(old)
    expect(client_credentials(tenant, with_secret(client, data["client_secret"])), 200)
    expect(client_credentials(tenant, with_secret(client, data["client_secret"]), auth="post"), 200)
    # The new secret is shown once too.
    shown = tenant.admin.get(f"/tenants/{tenant.slug}/clients/{client.client_id}")
    assert data["client_secret"] not in shown.text


def test_secret_rotation_with_overlap_keeps_both_secrets_valid(tenant):
    client = tenant.create_client("confidential")
    data = rotate_secret(tenant, client, {"overlap_seconds": 300})
    assert data.get("previous_secret_expires_at"), data
    new = with_secret(client, data["client_secret"])
    for c in (client, new):
        expect(client_credentials(tenant, c), 200)
        expect(client_credentials(tenant, c, auth="post"), 200)
        assert expect(introspect_as(tenant, c, "unknown-token"), 200).json() == {"active": False}


def test_secret_rotation_overlap_ends(tenant):
    client = tenant.create_client("confidential")
    data = rotate_secret(tenant, client, {"overlap_seconds": 1})
    expect(client_credentials(tenant, client), 200)
    time.sleep(1.6)
    assert_oauth_error(client_credentials(tenant, client), "invalid_client", 401)
    expect(client_credentials(tenant, with_secret(client, data["client_secret"])), 200)


@pytest.mark.parametrize("overlap", [-1, 30 * 86400 + 1, "60"])
def test_secret_rotation_overlap_is_validated(tenant, overlap):
    client = tenant.create_client("confidential")
    resp = tenant.admin.post(
        f"/tenants/{tenant.slug}/clients/{client.client_id}/rotate-secret", json={"overlap_seconds": overlap}
    )
    assert_problem(resp, 400, 422)
    expect(client_credentials(tenant, client), 200)  # nothing rotated
