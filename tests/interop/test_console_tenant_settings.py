"""The console's tenant settings form beyond the basics: ID token, code and audit lifetimes,
signing algorithms, second factors, account linking, custom claims and the host name (operators
only), each validated as the admin API validates it, problems next to their fields, nothing
saved on a refusal."""

from __future__ import annotations

from console_helpers import error, operator, ops, soup  # noqa: F401 - operator and ops are fixtures
from gatehouse_client import describe
from test_console_tenant_roles import console_of, grant


def form_of(page, form: str = "settings") -> list[tuple[str, str]]:
    """The fields of the form ``#<form>`` as a browser would send them (checked boxes only)."""
    fields = []
    for element in soup(page).select(f"#{form} input, #{form} select, #{form} textarea"):
        name = element.get("name")
        if not name or name == "csrf_token":
            continue
        if element.name == "select":
            chosen = element.select_one("option[selected]") or element.select_one("option")
            fields.append((name, chosen["value"]))
        elif element.name == "textarea":
            fields.append((name, element.get_text()))
        elif element.get("type") == "checkbox":
            if element.has_attr("checked"):
                fields.append((name, element.get("value", "on")))
        else:
            fields.append((name, element.get("value", "")))
    return fields


def replaced(fields, **changes) -> list[tuple[str, str]]:
    out = [(k, v) for k, v in fields if k not in changes]
    for key, value in changes.items():
        out += [(key, v) for v in (value if isinstance(value, list) else [value])]
    return out


def test_the_whole_settings_form(ops, admin, tenant):
    path = f"/tenants/{tenant.slug}"
    fields = form_of(ops.get(path))
    assert ("signing_algorithms_shown", "1") in fields and any(k == "custom_claims" for k, _ in fields)
    bad = ops.post(path, replaced(
        fields, mfa_policy="required", mfa_factors=[], signing_algorithms=[], custom_claims='{"sub": "x"}', id_token_ttl="soon",
        hostname="not a host", device_code_ttl="4",
    ))
    assert bad.status_code == 422, describe(bad)
    for field in ("mfa_factors", "signing_algorithms", "custom_claims", "id_token_ttl", "hostname", "device_code_ttl"):
        assert error(bad, field), field
    before = admin.get(path).json()["settings"]
    assert before["mfa_policy"] != "required" and before["signing_algorithms"]

    saved = ops.post(path, replaced(
        fields, id_token_ttl="900", authorization_code_ttl="30", audit_retention_days="30", signing_algorithms=["RS256", "EdDSA"],
        mfa_factors=["totp"], account_linking="never", custom_claims='{"plan": "{{user.public_metadata.plan}}"}',
        require_pushed_authorization_requests="on", device_code_ttl="900", dynamic_client_registration="token",
    ))
    assert saved.status_code == 303, describe(saved)
    settings = admin.get(path).json()["settings"]
    assert settings["id_token_ttl"] == 900 and settings["authorization_code_ttl"] == 30 and settings["audit_retention_days"] == 30
    assert settings["signing_algorithms"] == ["RS256", "EdDSA"] and settings["mfa_factors"] == ["totp"]
    assert settings["require_pushed_authorization_requests"] is True and settings["device_code_ttl"] == 900
    assert settings["dynamic_client_registration"] == "token"
    assert settings["account_linking"] == "never" and "{{user.public_metadata.plan}}" in str(settings["custom_claims"]["plan"])


def test_a_tenant_admin_cannot_move_the_tenant(public_url, admin, tenant):
    alice = tenant.create_user()
    grant(admin, tenant, alice, "tenant_admin")
    console = console_of(public_url, tenant, alice)
    page = console.get(f"/tenants/{tenant.slug}")
    assert soup(page).select_one("input#hostname") is None, describe(page)
    sent = console.post(f"/tenants/{tenant.slug}", replaced(form_of(page), hostname="login.evil.example"))
    assert sent.status_code == 303, describe(sent)
    assert admin.get(f"/tenants/{tenant.slug}").json()["settings"].get("hostname") is None


def test_emptied_fields_remove_their_values(ops, admin, tenant):
    path = f"/tenants/{tenant.slug}"
    assert admin.patch(path, json={"settings": {"custom_claims": {"plan": "pro"}}}).status_code == 200
    sent = ops.post(path, replaced(form_of(ops.get(path)), custom_claims="", hostname=""))
    assert sent.status_code == 303, describe(sent)
    settings = admin.get(path).json()["settings"]
    assert settings["custom_claims"] == {} and settings.get("hostname") is None

