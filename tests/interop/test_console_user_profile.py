"""The admin console's phone and address form on a user's page (OIDC Core §5.1: released with
the `phone` and `address` scopes): saved through the admin API's rules, refused input shown next
to its field with nothing saved, and recorded as `user.updated` by the operator."""

from __future__ import annotations

from gatehouse_client import describe
from console_helpers import by_operator, error, operator, ops  # noqa: F401 - fixtures


def test_the_phone_and_address_form(ops, admin, tenant, operator):  # noqa: F811 - fixtures
    user = tenant.create_user()
    page = f"/tenants/{tenant.slug}/users/{user.id}"
    shown = ops.get(page)
    assert shown.status_code == 200 and 'id="profile"' in shown.text, describe(shown)

    refused = ops.post(f"{page}/profile", {"phone_number": "555-0123", "locality": "Springfield"})
    assert refused.status_code == 422, describe(refused)
    assert "E.164" in error(refused, "phone_number")
    stored = admin.get(f"/tenants/{tenant.slug}/users/{user.id}").json()
    assert "phone_number" not in stored and "address" not in stored, stored

    saved = ops.post(
        f"{page}/profile",
        {"phone_number": "+14155550123", "phone_number_verified": "on", "street_address": "1 Main Street", "locality": "Springfield",
         "postal_code": "12345", "country": "US"},
    )
    assert saved.status_code == 303 and "notice=profile" in saved.headers["Location"], describe(saved)
    stored = admin.get(f"/tenants/{tenant.slug}/users/{user.id}").json()
    assert stored["phone_number"] == "+14155550123" and stored["phone_number_verified"] is True, stored
    assert stored["address"] == {"street_address": "1 Main Street", "locality": "Springfield", "postal_code": "12345", "country": "US"}
    entry = by_operator(admin, tenant.slug, "user.updated", operator)
    assert {"phone_number", "address"} <= set(entry["changes"]), entry

    # Emptied fields remove both.
    cleared = ops.post(f"{page}/profile", {"phone_number": "", "locality": ""})
    assert cleared.status_code == 303, describe(cleared)
    stored = admin.get(f"/tenants/{tenant.slug}/users/{user.id}").json()
    assert "phone_number" not in stored and "address" not in stored and stored["phone_number_verified"] is False, stored
