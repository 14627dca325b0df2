"""The admin console's template editor (docs/contract.md A10): the templates of a tenant, an editor
whose save runs the admin API's lint (problems next to the field with line and column, nothing
saved), a server-rendered preview in a sandboxed frame, every save a version with author and time,
the diff of two versions, rollback, reset to the default, an email's HTML and text preview and a
test email to the signed-in operator; in Chromium, the login page edited with preview, shown on the
tenant's login page, and rolled back."""

from __future__ import annotations

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from accounts_chromium import chromium_driver, click_css, save, wait_heading
from console_helpers import (  # noqa: F401 - operator and ops are fixtures
    by_operator, click_to_page, error, operator, operator_made, ops, sign_in_with_enrolment, soup,
)
from gatehouse_client import Browser, describe, find_form, is_login_form
from cli_helpers import cli, table  # noqa: F401 - cli is a fixture
from test_console_users_clients import outbox_text

MARK_ONE = "Welcome to the first version"
MARK_TWO = "Welcome to the second version"


def login_body(admin, slug: str, mark: str) -> str:
    """The login page (the default, or the saved one without its note) with a note ``mark`` after the page head."""
    current = admin.get(f"/tenants/{slug}/templates/page/login").json()["body"]
    default = "\n".join(line for line in current.split("\n") if 'id="custom-note"' not in line)
    assert "{{> _head}}" in default
    return default.replace("{{> _head}}", f'{{{{> _head}}}}\n<p class="lead" id="custom-note">{mark}</p>', 1)


def login_page(tenant) -> str:
    """The tenant's login page, reached as a browser does: the account console sends it there."""
    browser = Browser()
    page = browser.follow(browser.get(f"{tenant.issuer}/account"))
    assert find_form(page.text, is_login_form) is not None, describe(page)
    return page.text


def versions(resp: requests.Response) -> list[tuple[str, str]]:
    assert resp.status_code == 200, describe(resp)
    return [(row["data-version"], row.select("td")[2].get_text(strip=True)) for row in soup(resp).select("tr[data-version]")]


def test_lint_save_versions_diff_rollback_and_reset(ops, admin, tenant, operator):
    base = f"/tenants/{tenant.slug}/templates"
    listing = ops.get(base)
    assert listing.status_code == 200, describe(listing)
    names = [row["data-template"] for row in soup(listing).select("tr[data-template]")]
    assert "page/login" in names and "email/verify" in names and not any("admin_" in n for n in names)

    editor = ops.get(f"{base}/page/login")
    assert "frame-src 'self'" in editor.headers["Content-Security-Policy"], editor.headers
    assert "frame-ancestors 'none'" in editor.headers["Content-Security-Policy"]
    frame = soup(editor).select_one("iframe#preview")
    assert frame.has_attr("sandbox") and not frame["sandbox"] and frame["src"].endswith(f"{base}/page/login/preview")
    assert "{{> _head}}" in soup(editor).select_one("textarea#body").get_text()

    # Lint: refused with line and column next to the field; nothing saved.
    bad = ops.post(f"{base}/page/login", {"body": "{{> _head}}\n<p>{{{raw}}}</p>\n<script>alert(1)</script>"})
    assert bad.status_code == 422 and "line 2" in error(bad, "body"), describe(bad)
    assert admin.get(f"{base}/page/login").json()["overridden"] is False
    assert versions(ops.get(f"{base}/page/login")) == []
    # Without the console's CSRF token nothing is saved either.
    for token in (None, "forged"):
        refused = ops.post(f"{base}/page/login", {"body": login_body(admin, tenant.slug, MARK_ONE)}, csrf=token)
        assert refused.status_code in (400, 403), describe(refused)
    assert MARK_ONE not in login_page(tenant)

    # A preview of an unsaved edit: rendered by the server, sandboxed, framed by the console only.
    draft = ops.post(f"{base}/page/login/preview", {"body": login_body(admin, tenant.slug, MARK_ONE)})
    assert draft.status_code == 200 and MARK_ONE in draft.text, describe(draft)
    policy = draft.headers["Content-Security-Policy"]
    assert "sandbox" in policy and "frame-ancestors 'self'" in policy and "script-src" not in policy, policy
    assert draft.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert MARK_ONE not in login_page(tenant)
    problem = ops.post(f"{base}/page/login/preview", {"body": "<p>{{#open}}</p>"})
    assert problem.status_code == 422 and soup(problem).select_one("#preview-problems li"), describe(problem)

    # Two saves: two versions by the operator; the login page shows the latest.
    for mark in (MARK_ONE, MARK_TWO):
        saved = ops.post(f"{base}/page/login", {"body": login_body(admin, tenant.slug, mark)})
        assert saved.status_code == 303, describe(saved)
    assert MARK_TWO in login_page(tenant) and MARK_ONE not in login_page(tenant)
    listed = versions(ops.get(f"{base}/page/login"))
    assert [author for _, author in listed] == [f"operator:{operator['email']}"] * 2
    (second, _), (first, _) = listed
    assert by_operator(admin, tenant.slug, "template.updated", operator)["target_id"] == "page/login"
    stored = ops.get(f"{base}/page/login/preview", version=first)
    assert stored.status_code == 200 and MARK_ONE in stored.text

    diff = ops.get(f"{base}/page/login", compare=first, to=second)
    assert [d.get_text() for d in soup(diff).select("#diff del")] == [f'- <p class="lead" id="custom-note">{MARK_ONE}</p>']
    assert [d.get_text() for d in soup(diff).select("#diff ins")] == [f'+ <p class="lead" id="custom-note">{MARK_TWO}</p>']

    # Roll back to the first: a new version with its content.
    rolled = ops.post(f"{base}/page/login/versions/{first}/restore")
    assert rolled.status_code == 303, describe(rolled)
    assert MARK_ONE in login_page(tenant) and MARK_TWO not in login_page(tenant)
    assert len(versions(ops.get(f"{base}/page/login"))) == 3
    # A version of another template, or of another tenant, is not this template's.
    assert ops.post(f"{base}/email/verify/versions/{first}/restore").status_code == 404
    assert ops.post(f"{base}/page/nope/versions/{first}/restore").status_code == 404

    reset = ops.post(f"{base}/page/login/reset")
    assert reset.status_code == 303, describe(reset)
    assert MARK_ONE not in login_page(tenant) and admin.get(f"{base}/page/login").json()["overridden"] is False
    assert by_operator(admin, tenant.slug, "template.deleted", operator)["target_id"] == "page/login"
    # The audit log filtered by target: the template's four changes, in the API and the console.
    about = admin.get(f"/tenants/{tenant.slug}/audit", params={"target_type": "template", "target_id": "page/login"}).json()["events"]
    assert [e["type"] for e in about] == ["template.deleted"] + ["template.updated"] * 3, about
    listed = ops.get(f"/tenants/{tenant.slug}/audit", target_type="template", target_id="page/login")
    assert len(soup(listed).select("tr[data-entry-id]")) == 4, describe(listed)
    page = ops.get(f"{base}/page/login")
    assert len(versions(page)) == 4 and soup(page).select_one("tr[data-version] .badge").get_text() == "default"


def test_email_preview_and_test_mail(ops, admin, tenant, server, operator):
    base = f"/tenants/{tenant.slug}/templates/email/verify"
    form = {"subject": "Confirm for {{tenant_name}}", "text": "Code {{code}} at {{link}}", "html": "<p>Code <b>{{code}}</b></p>"}
    html = ops.post(f"{base}/preview", form)
    assert html.status_code == 200 and "<b>123456</b>" in html.text, describe(html)
    text = ops.post(f"{base}/preview", {**form, "part": "text"})
    assert soup(text).select_one("#preview-subject").get_text() == f"Confirm for {tenant.raw['name']}"
    assert soup(text).select_one("#preview-text").get_text().startswith("Code 123456 at ")
    bad = ops.post(base, {**form, "subject": "two\nlines"})
    assert bad.status_code == 422 and error(bad, "subject"), describe(bad)
    assert ops.post(base, form).status_code == 303
    assert ops.post(f"{base}/test").status_code == 303
    assert "Code 123456 at" in outbox_text(server, operator["email"], "Code 123456")


def test_other_tenants_and_console_pages_are_not_templates(ops, tenant, other_tenant):
    assert ops.get(f"/tenants/{tenant.slug}/templates/page/admin_tenants").status_code == 404
    assert ops.get(f"/tenants/{tenant.slug}/templates/page/../admin_tenants").status_code == 404
    assert ops.get("/tenants/no-such-tenant/templates").status_code == 404
    saved = ops.post(f"/tenants/{tenant.slug}/templates/page/consent", {"body": "{{> _head}}<p>A only</p>{{> _foot}}"})
    assert saved.status_code == 303, describe(saved)
    first = versions(ops.get(f"/tenants/{tenant.slug}/templates/page/consent"))[0][0]
    assert versions(ops.get(f"/tenants/{other_tenant.slug}/templates/page/consent")) == []
    other = ops.get(f"/tenants/{other_tenant.slug}/templates/page/consent/preview", version=first)
    assert other.status_code == 404 and "A only" not in other.text


def test_operator_edits_the_login_page_with_preview_and_rolls_back_in_chromium(public_url, admin, tenant, artifacts_dir):
    operator = operator_made(admin)
    with chromium_driver() as drv:
        sign_in_with_enrolment(drv, public_url, operator, artifacts_dir)
        drv.get(f"{public_url}/admin/tenants/{tenant.slug}")
        wait_heading(drv, f"Tenant {tenant.slug}")
        click_css(drv, "#templates-link")
        wait_heading(drv, f"Templates of {tenant.slug}")
        save(drv, artifacts_dir, "console-templates.png")
        click_to_page(drv, "tr[data-template='page/login'] a", "Template page/login")
        for mark in (MARK_ONE, MARK_TWO):
            area = drv.find_element(By.ID, "body")
            drv.execute_script("arguments[0].value = arguments[1]", area, login_body(admin, tenant.slug, mark))
            click_css(drv, "#preview-template")
            drv.switch_to.frame("preview")
            WebDriverWait(drv, 15).until(lambda d, m=mark: m in d.page_source)
            drv.switch_to.default_content()
            save(drv, artifacts_dir, f"console-template-preview-{mark.split()[-2]}.png")
            click_to_page(drv, "#save-template", "Template page/login")
        drv.get(f"{tenant.issuer}/account")
        assert drv.find_element(By.ID, "custom-note").text == MARK_TWO
        save(drv, artifacts_dir, "console-template-login-changed.png")

        drv.get(f"{public_url}/admin/tenants/{tenant.slug}/templates/page/login")
        wait_heading(drv, "Template page/login")
        click_to_page(drv, "#compare-versions", "Template page/login")
        assert MARK_ONE in drv.find_element(By.ID, "diff").text
        save(drv, artifacts_dir, "console-template-diff.png")
        click_to_page(drv, "#reset-template", "Template page/login")
        drv.get(f"{tenant.issuer}/account")
        assert not drv.find_elements(By.ID, "custom-note")
        save(drv, artifacts_dir, "console-template-login-restored.png")


def test_versions_and_rollback_through_the_admin_api(admin, tenant):
    base = f"/tenants/{tenant.slug}/templates/page/consent"
    for text in ("one", "two"):
        saved = admin.put(base, json={"body": f"{{{{> _head}}}}<p>{text}</p>{{{{> _foot}}}}"})
        assert saved.status_code == 200, describe(saved)
    listed = admin.get(f"{base}/versions").json()["versions"]
    assert [v["author"] for v in listed] == ["admin_token", "admin_token"] and "two" in listed[0]["body"], listed
    assert listed[0]["subject"] is None and listed[0]["created_at"]
    restored = admin.post(f"{base}/versions/{listed[1]['id']}/restore")
    assert restored.status_code == 200 and "<p>one</p>" in restored.json()["body"], describe(restored)
    assert admin.post(f"/tenants/{tenant.slug}/templates/page/login/versions/{listed[1]['id']}/restore").status_code == 404
    assert admin.get(f"/tenants/{tenant.slug}/templates/page/nope/versions").status_code == 404
    events = admin.get(f"/tenants/{tenant.slug}/audit", params={"target_type": "template", "target_id": "page/consent"}).json()["events"]
    assert [e["type"] for e in events] == ["template.restored", "template.updated", "template.updated"], events


def test_versions_and_rollback_through_the_cli(cli, admin, tenant):  # noqa: F811 - fixture
    base = f"/tenants/{tenant.slug}/templates/email/code"
    for subject in ("First", "Second"):
        assert admin.put(base, json={"subject": subject, "text": "{{code}}"}).status_code == 200
    headers, rows = table(cli.ok("template", "versions", "email/code", "--tenant", tenant.slug))
    assert headers[:3] == ["ID", "CREATED_AT", "AUTHOR"] and len(rows) == 2, rows
    oldest = rows[-1].split()[0]
    assert "restored" in cli.ok("template", "restore", "email/code", oldest, "--tenant", tenant.slug)
    assert admin.get(base).json()["subject"] == "First"
