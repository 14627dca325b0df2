"""The console's client page beyond the basics: allowed scopes, organization required, client
authentication (`token_endpoint_auth_method` with `jwks` or `jwks_uri` for private_key_jwt) and
custom claims and back-channel logout, each validated as the admin API validates it, problems next to their fields,
nothing saved on a refusal; an emptied field removes the value."""

from __future__ import annotations

import json

from client_jwt_helpers import ALGORITHMS, public_jwks
from console_helpers import error, operator, ops, soup  # noqa: F401 - operator and ops are fixtures
from gatehouse_client import describe
from test_console_tenant_settings import form_of, replaced


def test_client_fields(ops, admin, tenant):
    client = tenant.create_client("confidential", grant_types=["client_credentials"])
    path = f"/tenants/{tenant.slug}/clients/{client.client_id}"
    fields = form_of(ops.get(path))
    key = public_jwks(ALGORITHMS["EdDSA"]("console-key"))
    private = json.loads(json.dumps(key))
    private["keys"][0]["d"] = "AAAA"

    bad = ops.post(path, replaced(
        fields, token_endpoint_auth_method="private_key_jwt", jwks="", custom_claims='{"sub": "x"}', allowed_scopes="openid \u0000",
        backchannel_logout_uri="https://rp.example/logout#fragment",
    ))
    assert bad.status_code == 422, describe(bad)
    for field in ("token_endpoint_auth_method", "custom_claims", "allowed_scopes", "backchannel_logout_uri"):
        assert error(bad, field), field
    bad = ops.post(path, replaced(fields, token_endpoint_auth_method="private_key_jwt", jwks=json.dumps(private)))
    assert bad.status_code == 422 and "public key" in error(bad, "jwks"), describe(bad)
    assert admin.get(f"/tenants/{tenant.slug}/clients/{client.client_id}").json().get("token_endpoint_auth_method") != "private_key_jwt"

    saved = ops.post(path, replaced(
        fields, token_endpoint_auth_method="private_key_jwt", jwks=json.dumps(key), allowed_scopes="openid email",
        organization_required="on", custom_claims='{"tier": "gold"}', require_pushed_authorization_requests="on",
        backchannel_logout_uri="https://rp.example/logout", backchannel_logout_session_required="on",
    ))
    assert saved.status_code == 303, describe(saved)
    shown = admin.get(f"/tenants/{tenant.slug}/clients/{client.client_id}").json()
    assert shown["token_endpoint_auth_method"] == "private_key_jwt" and shown["jwks"]["keys"][0]["kid"] == "console-key", shown
    assert shown["allowed_scopes"] == "email openid" and shown["organization_required"] is True
    assert shown["require_pushed_authorization_requests"] is True
    assert shown["backchannel_logout_uri"] == "https://rp.example/logout" and shown["backchannel_logout_session_required"] is True
    assert "gold" in str(shown["custom_claims"]["tier"])
    page = ops.get(path)
    assert soup(page).select_one("#token_endpoint_auth_method option[selected]")["value"] == "private_key_jwt"

    # Emptied fields remove their values; back to a secret method drops the keys.
    cleared = ops.post(path, replaced(
        form_of(page), token_endpoint_auth_method="client_secret_basic", jwks="", allowed_scopes="", custom_claims="",
        organization_required=[], backchannel_logout_uri="", backchannel_logout_session_required=[],
    ))
    assert cleared.status_code == 303, describe(cleared)
    shown = admin.get(f"/tenants/{tenant.slug}/clients/{client.client_id}").json()
    assert shown["token_endpoint_auth_method"] == "client_secret_basic" and shown.get("jwks") is None
    assert shown.get("allowed_scopes") is None and shown["organization_required"] is False and shown["custom_claims"] == {}
    assert shown.get("backchannel_logout_uri") is None and shown["backchannel_logout_session_required"] is False
