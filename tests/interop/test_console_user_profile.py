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


def test_the_email_and_password_form(ops, admin, tenant, operator):  # noqa: F811 - fixtures
    user, other = tenant.create_user(), tenant.create_user()
    path = f"/tenants/{tenant.slug}/users/{user.id}/credentials"
    taken = ops.post(path, {"email": other.email, "new_password": ""})
    assert taken.status_code in (409, 422) and error(taken, "new_email"), describe(taken)
    weak = ops.post(path, {"email": user.email, "new_password": "short"})
    assert weak.status_code == 422 and error(weak, "new_password"), describe(weak)
    assert admin.get(f"/tenants/{tenant.slug}/users/{user.id}").json()["email"] == user.email

    new_email = "renamed-" + user.email
    saved = ops.post(path, {"email": new_email, "new_password": "another long passphrase 42"})
    assert saved.status_code == 303, describe(saved)
    shown = admin.get(f"/tenants/{tenant.slug}/users/{user.id}").json()
    assert shown["email"] == new_email and shown["email_verified"] is False
    entry = by_operator(admin, tenant.slug, "user.updated", operator)
    assert {"email", "password"} <= set(entry["changes"]) and entry["data"]["password"] == "[redacted]", entry
