"""Fixtures and checks shared by the headless API interop tests (test_headless_*.py): a first-party
public client (``app``), a user, and the RFC 6749 JSON error shape.
"""

from __future__ import annotations

import uuid

import pytest

from gatehouse_client import assert_oauth_error, describe
from tenancy_helpers import OAUTH_ERROR_CODES

SESSION_KEYS = {"id", "user_id", "auth_time", "amr", "created_at", "expires_at"}


@pytest.fixture
def app(tenant):
    """A first-party public client (the app's publishable key)."""
    return tenant.create_client("public", first_party=True, name="First-party app")


@pytest.fixture
def user(tenant):
    return tenant.create_user(email=f"hl-{uuid.uuid4().hex[:10]}@example.test", name="Grace Hopper")


def assert_json_error(resp, error: str, status: int) -> dict:
    body = assert_oauth_error(resp, error, status)
    assert resp.headers.get("Content-Type", "").startswith("application/json"), describe(resp)
    assert "no-store" in resp.headers.get("Cache-Control", ""), describe(resp)
    assert body["error"] in OAUTH_ERROR_CODES, body
    assert isinstance(body.get("error_description", ""), str), body
    return body
