"""Email: templates, overrides and delivery through a real SMTP server (aiosmtpd).

Each test that needs SMTP starts its own aiosmtpd on a free loopback port and its own Gatehouse
(``tenancy_helpers.start_server``) with ``GATEHOUSE_SMTP_URL=smtp://127.0.0.1:<port>`` and a
one-second retry base (``[mail] retry_base_seconds``), so retries happen within the test.

* A test email (``POST …/templates/email/verify/test``) arrives with the rendered subject, text
  and HTML parts, and the headers Gatehouse promises.
* An override changes the delivered mail; a bad override is refused with the line and reason.
* SMTP down at first: the message is delivered once the server comes up (retry with backoff).
* ``kill -9`` of Gatehouse with a queued message: delivered after the restart.
* No SMTP configured (the session server): a ``.eml`` file in ``<data>/outbox/``.
* A page override (login) shows on its tenant only.
* The CLI's ``template set --file`` / ``get`` / ``test`` round trip.
"""

from __future__ import annotations

import email
import email.policy
import os
import signal
import socket
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from aiosmtpd.controller import Controller

from gatehouse_client import HTTP_TIMEOUT, Browser, assert_problem, expect, pkce_pair, unique_email
from tenancy_helpers import ExtraServer, gatehouse_binary, start_server

DELIVERY_TIMEOUT = 20.0


# --------------------------------------------------------------------------- SMTP server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def wait_for(self, predicate, timeout: float = DELIVERY_TIMEOUT) -> email.message.EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for rcpts, message in self.messages:
                    if predicate(rcpts, message):
                        return message
            time.sleep(0.1)
        with self.lock:
            seen = [(r, m["Subject"]) for r, m in self.messages]
        raise AssertionError(f"no matching message within {timeout}s; received: {seen}")

    def to(self, address: str, timeout: float = DELIVERY_TIMEOUT) -> email.message.EmailMessage:
        return self.wait_for(lambda rcpts, _m: address in rcpts, timeout)

    def count_to(self, address: str) -> int:
        with self.lock:
            return sum(1 for rcpts, _m in self.messages if address in rcpts)


@contextmanager
def smtp_server(port: int, inbox: Inbox | None = None):
    inbox = inbox or Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def mail_config(extra: str = "") -> str:
    return f"[mail]\nretry_base_seconds = 1\nretry_max_seconds = 2\n{extra}"


@contextmanager
def gatehouse_with_smtp(tmp: Path, port: int, name: str = "gh") -> ExtraServer:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GATEHOUSE_SMTP_URL", f"smtp://127.0.0.1:{port}")
        server = start_server(tmp / name, tmp / f"{name}.log", config=mail_config())
    try:
        yield server
    finally:
        server.stop()


def restart(server: ExtraServer, tmp: Path, port: int, name: str = "gh") -> ExtraServer:
    """A new process on the same data folder (start_server reuses <workdir>/data)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GATEHOUSE_SMTP_URL", f"smtp://127.0.0.1:{port}")
        return start_server(tmp / name, tmp / f"{name}-2.log", config=mail_config())


def parts(message: email.message.EmailMessage) -> tuple[str, str | None]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    def content(part) -> str:
        return part.get_content().replace("\r\n", "\n")

    return content(text), (content(html) if html is not None else None)


def send_test(admin, slug: str, to: str, name: str = "email/verify") -> dict:
    return expect(admin.post(f"/tenants/{slug}/templates/{name}/test", json={"to": to}), 200).json()


@pytest.fixture(scope="module")
def smtp_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def inbox(smtp_port):
    with smtp_server(smtp_port) as box:
        yield box


@pytest.fixture(scope="module")
def mail_server(tmp_path_factory, smtp_port, inbox):
    tmp = tmp_path_factory.mktemp("mail")
    with gatehouse_with_smtp(tmp, smtp_port) as server:
        yield server


# --------------------------------------------------------------------------- delivery


def test_test_email_arrives_with_rendered_parts(mail_server, inbox):
    tenant = mail_server.admin.create_tenant(name="Acme & Co")
    to = unique_email("ops")
    queued = send_test(mail_server.admin, tenant.slug, to)
    assert queued["status"] == "queued" and queued["id"].startswith("msg_"), queued
    message = inbox.to(to)
    assert message["Subject"] == "Confirm your email address for Acme & Co"
    assert message["To"] == to
    assert message["From"].addresses[0].display_name == "Acme & Co"
    assert message["Message-ID"].startswith(f"<{queued['id']}@")
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    text, html = parts(message)
    issuer = f"{mail_server.public_url}/t/{tenant.slug}"
    assert f"{issuer}/verify-email?token=test-token-not-valid" in text
    assert "123456" in text and "Hi Ada Lovelace," in text
    assert html is not None and "Acme &amp; Co" in html and "123456" in html
    assert f'href="{issuer}/verify-email?token=test-token-not-valid"' in html


def test_every_default_email_is_delivered(mail_server, inbox):
    tenant = mail_server.admin.create_tenant()
    names = [t["name"] for t in expect(mail_server.admin.get(f"/tenants/{tenant.slug}/templates"), 200).json()["templates"]]
    emails = [n for n in names if n.startswith("email/")]
    assert set(emails) >= {
        "email/verify", "email/reset", "email/magic_link", "email/code", "email/mfa_change", "email/recovery_used",
    }, names
    addresses = {}
    for name in emails:
        addresses[name] = unique_email(name.split("/")[1].replace("_", "-"))
        send_test(mail_server.admin, tenant.slug, addresses[name], name)
    for name, to in addresses.items():
        message = inbox.to(to)
        text, html = parts(message)
        assert message["Subject"] and tenant.raw['name'] in message["Subject"] or tenant.raw['name'] in text, (name, message["Subject"])
        assert html is not None and "<html" in html, name


def test_override_changes_the_delivered_mail(mail_server, inbox):
    tenant = mail_server.admin.create_tenant()
    path = f"/tenants/{tenant.slug}/templates/email/verify"
    body = {
        "subject": "Welcome to {{tenant_name}}, {{user_name}}",
        "text": "Your code: {{code}}\nLink: {{link}}\n",
        "html": "<p>Code <b>{{code}}</b> for {{user_email}}</p>",
    }
    saved = expect(mail_server.admin.request("PUT", path, json=body), 200).json()
    assert saved["overridden"] is True and saved["subject"] == body["subject"] and saved["updated_at"]
    shown = expect(mail_server.admin.get(path), 200).json()
    assert shown["text"] == body["text"] and shown["html"] == body["html"]
    listed = expect(mail_server.admin.get(f"/tenants/{tenant.slug}/templates"), 200).json()["templates"]
    assert {t["name"]: t["overridden"] for t in listed}["email/verify"] is True

    to = unique_email("override")
    send_test(mail_server.admin, tenant.slug, to)
    message = inbox.to(to)
    assert message["Subject"] == f"Welcome to {tenant.raw['name']}, Ada Lovelace"
    text, html = parts(message)
    assert text.startswith("Your code: 123456\nLink: ")
    assert html.strip() == f"<p>Code <b>123456</b> for {to}</p>"

    # Another tenant still gets the default; deleting the override restores it.
    other = mail_server.admin.create_tenant()
    to_other = unique_email("other")
    send_test(mail_server.admin, other.slug, to_other)
    assert inbox.to(to_other)["Subject"].startswith("Confirm your email address")
    expect(mail_server.admin.delete(path), 204)
    assert expect(mail_server.admin.get(path), 200).json()["overridden"] is False
    to_again = unique_email("reset")
    send_test(mail_server.admin, tenant.slug, to_again)
    assert inbox.to(to_again)["Subject"].startswith("Confirm your email address")


@pytest.mark.parametrize(
    ("field", "source", "line", "reason"),
    [
        ("text", "Hello\n{{{user_name}}}\n", 2, "without HTML escaping"),
        ("html", "<p>\n\n{{&link}}</p>", 3, "without HTML escaping"),
        ("text", "{{#code}}\nYour code\n", 1, "never closed"),
        ("html", "<p>{{=<% %>=}}<%&link%></p>", 1, "delimiter"),
        ("subject", "{{% CONTENT_TYPE: TEXT }}", 1, "pragma"),
    ],
)
def test_bad_email_overrides_are_refused_with_line_and_reason(admin, field, source, line, reason):
    tenant = admin.create_tenant()
    body = {"subject": "S", "text": "T", "html": "<p>H</p>", field: source}
    problem = assert_problem(admin.request("PUT", f"/tenants/{tenant.slug}/templates/email/code", json=body), 422)
    errors = [e for e in problem["errors"] if e["field"] == field]
    assert errors, problem
    assert errors[0]["message"].startswith(f"line {line}:") and reason in errors[0]["message"], problem
    assert expect(admin.get(f"/tenants/{tenant.slug}/templates/email/code"), 200).json()["overridden"] is False


def test_bad_page_overrides_are_refused(admin):
    tenant = admin.create_tenant()
    path = f"/tenants/{tenant.slug}/templates/page/login"
    for source, line in (
        ("{{> _head}}\n<h1>{{{title}}}</h1>", 2),
        ("{{> _head}}\n{{#error}}\n<p>{{error}}</p>\n{{> _foot}}", 2),
        ("{{> login}}", 1),
    ):
        problem = assert_problem(admin.request("PUT", path, json={"body": source}), 422)
        assert problem["errors"][0]["field"] == "body" and problem["errors"][0]["message"].startswith(f"line {line}:"), problem
    # A partial may not include partials (no recursion).
    problem = assert_problem(
        admin.request("PUT", f"/tenants/{tenant.slug}/templates/page/_head", json={"body": "{{> _head}}"}), 422
    )
    assert "partial" in problem["errors"][0]["message"]
    # Wrong fields for the kind, unknown templates.
    problem = assert_problem(admin.request("PUT", path, json={"subject": "x"}), 422)
    assert {e["field"] for e in problem["errors"]} == {"subject", "body"}, problem
    assert_problem(admin.get(f"/tenants/{tenant.slug}/templates/page/nope"), 404)
    assert_problem(admin.get(f"/tenants/{tenant.slug}/templates/other/login"), 404)
    assert_problem(admin.post(f"{path}/test", json={"to": "a@example.com"}), 422)


def login_page(tenant, browser: Browser) -> str:
    client = tenant.create_client("public")
    _verifier, challenge = pkce_pair()
    url = tenant.authorize_url({
        "response_type": "code", "client_id": client.client_id, "redirect_uri": client.redirect_uris[0],
        "scope": "openid", "state": "s", "code_challenge": challenge, "code_challenge_method": "S256",
    })
    resp = browser.follow(browser.get(url))
    assert resp.status_code == 200, resp.text[:500]
    return resp.text


def test_page_override_shows_on_its_tenant_only(admin):
    tenant, other = admin.create_tenant(), admin.create_tenant()
    marker = f"custom-login-{tenant.slug}"
    default_login = expect(admin.get(f"/tenants/{tenant.slug}/templates/page/login"), 200).json()["body"]
    body = default_login.replace("<h1 id=\"page-title\">Sign in</h1>", f"<h1 id=\"page-title\">{marker} {{{{tenant_name}}}}</h1>")
    assert marker in body
    expect(admin.request("PUT", f"/tenants/{tenant.slug}/templates/page/login", json={"body": body}), 200)
    page = login_page(tenant, Browser())
    assert marker in page and 'name="password"' in page
    assert marker not in login_page(other, Browser())
    # Partials are overridable too, and apply to every page of that tenant.
    expect(admin.request("PUT", f"/tenants/{tenant.slug}/templates/page/_foot",
                         json={"body": "<footer>acme-foot</footer></main></body></html>"}), 200)
    assert "acme-foot" in login_page(tenant, Browser())
    assert "acme-foot" not in login_page(other, Browser())
    expect(admin.delete(f"/tenants/{tenant.slug}/templates/page/login"), 204)
    assert marker not in login_page(tenant, Browser())


def test_without_smtp_messages_become_eml_files(server, admin):
    """The session server has no SMTP: <data>/outbox/<id>.eml, mode 0600."""
    tenant = admin.create_tenant()
    to = unique_email("eml")
    queued = send_test(admin, tenant.slug, to, "email/code")
    path = Path(server.data_dir) / "outbox" / f"{queued['id']}.eml"
    deadline = time.monotonic() + DELIVERY_TIMEOUT
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert path.exists(), sorted(p.name for p in (Path(server.data_dir) / "outbox").glob("*"))
    assert (path.stat().st_mode & 0o777) == 0o600
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["To"] == to and "123456" in parts(message)[0]


def test_smtp_down_then_up_and_kill_9_lose_nothing(tmp_path):
    port = free_port()
    inbox = Inbox()
    server = None
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("GATEHOUSE_SMTP_URL", f"smtp://127.0.0.1:{port}")
            server = start_server(tmp_path / "gh", tmp_path / "gh.log", config=mail_config())
        tenant = server.admin.create_tenant()

        # 1. SMTP is down: the message waits and is retried; it arrives once SMTP is up.
        first = unique_email("retry")
        send_test(server.admin, tenant.slug, first, "email/reset")
        time.sleep(1.5)
        assert inbox.count_to(first) == 0
        with smtp_server(port, inbox):
            assert inbox.to(first)["Subject"].startswith("Reset your")

        # 2. SMTP down again; Gatehouse is killed (-9) with the message queued; after a restart it is delivered.
        second = unique_email("crash")
        send_test(server.admin, tenant.slug, second, "email/magic_link")
        time.sleep(0.5)
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)
        with smtp_server(port, inbox):
            server = restart(server, tmp_path, port)
            message = inbox.to(second)
            assert message["Subject"].startswith("Your sign-in link")
            time.sleep(1.0)
        assert inbox.count_to(second) == 1
        assert inbox.count_to(first) == 1, "a delivered message is not sent again after the restart"
    finally:
        if server is not None:
            server.stop()


def test_cli_template_set_get_test_round_trip(mail_server, inbox, tmp_path):
    tenant = mail_server.admin.create_tenant()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(gatehouse_binary()), "template", *args, "--tenant", tenant.slug,
             "--url", mail_server.public_url, "--token", mail_server.admin_token],
            capture_output=True, text=True, env=env, timeout=60, stdin=subprocess.DEVNULL,
        )

    source = tmp_path / "code.txt"
    source.write_text(
        "Subject: {{tenant_name}} code {{code}}\n--- text\nCode: {{code}}\n--- html\n<p>Code: <b>{{code}}</b></p>\n"
    )
    proc = cli("set", "email/code", "--file", str(source))
    assert proc.returncode == 0, proc.stderr
    got = cli("get", "email/code")
    assert got.returncode == 0 and got.stdout == source.read_text(), got.stdout
    listed = cli("list")
    assert any(line.split()[:2] == ["email/code", "override"] for line in listed.stdout.splitlines()), listed.stdout
    to = unique_email("cli")
    sent = cli("test", "email/code", "--to", to)
    assert sent.returncode == 0 and "queued msg_" in sent.stdout, sent.stderr
    message = inbox.to(to)
    assert message["Subject"] == f"{tenant.raw['name']} code 123456"
    assert parts(message)[0].strip() == "Code: 123456"

    bad = tmp_path / "bad.txt"
    bad.write_text("Subject: x\n--- text\nok\n{{{code}}}\n")
    proc = cli("set", "email/code", "--file", str(bad))
    assert proc.returncode == 6 and "line 2:" in proc.stderr and "without HTML escaping" in proc.stderr, proc.stderr
    assert cli("reset", "email/code", "--yes").returncode == 0
    assert cli("get", "email/code").stdout.startswith("Subject: Your {{tenant_name}} verification code\n--- text\n")
