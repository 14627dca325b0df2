"""Passkeys (W3C WebAuthn) in headless Chromium with its virtual authenticator (internal transport,
resident keys, user verification): a passkey registered in the account console, a sign-in to a
relying party with the passkey alone (Authlib redeems the code and verifies the ID token), the
passkey as second factor after a password, a cloned authenticator (its counter going back)
refused; and, with assertions signed here by the same credential's private key, a credential of
tenant A refused at tenant B, a wrong origin, a wrong RP ID and a replayed challenge refused at A
while the right ones pass. Admin API: list and remove a user's passkeys. Screenshots of the
passkey pages go to artifacts/. A tenant requiring ``packed`` attestation from a vendor root made
here (cryptography) accepts a registration attested by a certificate of that root for an accepted
AAGUID, and refuses Chromium's own authenticator, another AAGUID, another root, self attestation
and ``none``. Passkeys are refused for a tenant whose issuer host is an IP address.

Tenants live on their own hosts (``tenant_base_domain = "localhost"``: ``http://<slug>.localhost:PORT``),
so each is its own relying party (RP ID ``<slug>.localhost``); Chromium resolves ``*.localhost`` to
loopback and treats it as a secure context.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import struct
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urljoin, urlsplit

import cbor2
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from selenium.webdriver.common.by import By
from selenium.webdriver.common.virtual_authenticator import Credential, VirtualAuthenticatorOptions

from accounts_chromium import CallbackServer, chromium_driver, click_css, fill_login, save, wait, wait_heading
from accounts_helpers import accounts_config, free_port, start_accounts_server
from accounts_mail import MAGIC, Inbox, mail_link, smtp_server
from console_helpers import Ops, operator_made, sign_in_http, soup
from gatehouse_client import Browser, describe, expect
from tenancy_helpers import loopback_names  # noqa: F401 - the fixture, used through pytestmark
from gatehouse_http import HTTP_TIMEOUT
from gatehouse_rp import authorization_request, verify_pyjwt

PASSKEYS = {"mfa_factors": ["totp", "email", "webauthn"]}

pytestmark = pytest.mark.usefixtures("loopback_names")


@pytest.fixture(scope="module")
def hosted(tmp_path_factory, artifacts_dir):
    port = free_port()
    inbox = Inbox()
    with smtp_server(port, inbox):
        server = start_accounts_server(
            tmp_path_factory.mktemp("passkeys"), artifacts_dir / "gatehouse-passkeys.log", port,
            config='[server]\ntenant_base_domain = "localhost"\n\n' + accounts_config(),
        )
        server.inbox = inbox
        yield server
        server.stop()


@pytest.fixture(scope="module")
def callback():
    server = CallbackServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def browser():
    with chromium_driver() as drv:
        yield drv


@pytest.fixture(scope="module")
def acme(hosted, callback):
    """A tenant with passkeys on, a first-party client redirecting to the callback server, and a
    user who registered a passkey in the account console (the first test does it)."""
    tenant = hosted.admin.create_tenant()
    tenant.patch({"settings": PASSKEYS})
    tenant.client = tenant.create_client("confidential", redirect_uris=[callback.url], first_party=True)
    tenant.user = tenant.create_user()
    return tenant


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def passkeys_of(tenant, user) -> list[dict]:
    return expect(tenant.admin.get(f"/tenants/{tenant.slug}/users/{user.id}/passkeys"), 200).json()["items"]


def sign_out(drv, tenant) -> None:
    """Forgets every session: all cookies of the browser (DevTools Network.clearBrowserCookies)."""
    drv.execute_cdp_cmd("Network.clearBrowserCookies", {})


def authenticator(drv, *credentials: Credential) -> None:
    """A fresh virtual authenticator (internal, resident keys, user verification) holding `credentials`."""
    try:
        drv.remove_virtual_authenticator()
    except Exception:  # noqa: BLE001 - none attached yet
        pass
    drv.add_virtual_authenticator(
        VirtualAuthenticatorOptions(
            protocol="ctap2", transport="internal", has_resident_key=True, has_user_verification=True,
            is_user_consenting=True, is_user_verified=True,
        )
    )
    for credential in credentials:
        drv.add_credential(credential)


def copy(credential: Credential, sign_count: int) -> Credential:
    """The same key with another signature counter (a clone, or the original put back)."""
    return Credential.create_resident_credential(
        credential._id, credential.rp_id, credential._user_handle, credential._private_key, sign_count
    )


def open_authorization(drv, tenant, callback, **extra):
    rp, url, state, nonce, verifier = authorization_request(tenant, tenant.client, redirect_uri=callback.url, **extra)
    drv.get(url)
    return rp, state, nonce, verifier


def finish_authorization(tenant, callback, rp, state, nonce, verifier) -> dict:
    """The code the browser brought to the callback, redeemed by Authlib; the ID token verified
    against the tenant's JWKS with PyJWT."""
    hit = callback.next_hit()
    params = {k: v[0] for k, v in parse_qs(urlsplit(hit).query).items()}
    assert params.get("state") == state and params.get("iss") == tenant.issuer, params
    token = rp.fetch_token(code=params["code"], code_verifier=verifier, redirect_uri=callback.url)
    claims = verify_pyjwt(tenant, token["id_token"], tenant.client.client_id)
    assert claims["sub"] == tenant.user.id and claims["nonce"] == nonce, claims
    return dict(claims)


def stored_count(tenant) -> int:
    return passkeys_of(tenant, tenant.user)[0]["sign_count"]


def test_register_a_passkey_in_the_account_console(acme, browser, artifacts_dir):
    drv = browser
    authenticator(drv)
    drv.get(f"{acme.issuer}/account")
    wait_heading(drv, "Sign in")
    fill_login(drv, acme.user.email, acme.user.password)
    wait_heading(drv, "Your account")
    click_css(drv, "form[action$='/account/passkeys/new'] button")
    wait_heading(drv, "Add a passkey")
    save(drv, artifacts_dir, "passkeys-add.png")
    drv.find_element(By.ID, "passkey-name").send_keys("Laptop")
    click_css(drv, "#passkey-button")
    wait(drv).until(lambda d: "notice=passkey-added" in d.current_url)
    wait_heading(drv, "Your account")
    save(drv, artifacts_dir, "passkeys-account.png")
    assert "Laptop" in drv.find_element(By.TAG_NAME, "body").text
    stored = passkeys_of(acme, acme.user)
    assert [p["name"] for p in stored] == ["Laptop"], stored
    assert stored[0]["backup_eligible"] is False and stored[0]["attested"] is False, stored
    credentials = drv.get_credentials()
    assert len(credentials) == 1 and credentials[0].rp_id == urlsplit(acme.issuer).hostname, credentials
    acme.credential = credentials[0]


def test_rename_add_and_remove_in_the_account_console(acme, browser):
    """Still signed in to the console (and recently): rename the passkey, add a second one from
    another authenticator, remove that one; the first stays."""
    drv = browser
    (first,) = passkeys_of(acme, acme.user)
    drv.get(f"{acme.issuer}/account")
    wait_heading(drv, "Your account")
    field = drv.find_element(By.ID, f"rename-{first['id']}")
    field.clear()
    field.send_keys("Work laptop")
    click_css(drv, f"form[action$='/account/passkeys/{first['id']}/rename'] button")
    wait(drv).until(lambda d: "notice=passkey-renamed" in d.current_url)
    assert [p["name"] for p in passkeys_of(acme, acme.user)] == ["Work laptop"]
    authenticator(drv)  # another device
    click_css(drv, "form[action$='/account/passkeys/new'] button")
    wait_heading(drv, "Add a passkey")
    drv.find_element(By.ID, "passkey-name").send_keys("Phone")
    click_css(drv, "#passkey-button")
    wait(drv).until(lambda d: "notice=passkey-added" in d.current_url)
    second = next(p for p in passkeys_of(acme, acme.user) if p["name"] == "Phone")
    wait_heading(drv, "Your account")
    click_css(drv, f"form[action$='/account/passkeys/{second['id']}/remove'] button")
    wait(drv).until(lambda d: "notice=passkey-removed" in d.current_url)
    assert [p["id"] for p in passkeys_of(acme, acme.user)] == [first["id"]]
    authenticator(drv, copy(acme.credential, stored_count(acme)))  # back to the first device


def test_sign_in_with_the_passkey_alone_from_the_email_fields_autofill(acme, browser, callback):
    """Conditional mediation: Chromium's virtual authenticator answers the login page's pending
    autofill request at once, as a user picking the passkey from the email field would."""
    drv = browser
    sign_out(drv, acme)
    rp, state, nonce, verifier = open_authorization(drv, acme, callback)
    claims = finish_authorization(acme, callback, rp, state, nonce, verifier)
    # RFC 8176: a key whose protection nobody attested (swk: the tenant takes attestation none),
    # user presence and, with user verification, mfa.
    assert set(claims["amr"]) == {"swk", "user", "mfa"}, claims


def test_passkey_as_second_factor_after_a_password(acme, browser, callback, artifacts_dir):
    drv = browser
    acme.patch({"settings": {"mfa_policy": "optional"}})
    try:
        sign_out(drv, acme)
        authenticator(drv)  # no passkey while the password is typed (the autofill would use it)
        rp, state, nonce, verifier = open_authorization(drv, acme, callback)
        wait_heading(drv, "Sign in")
        fill_login(drv, acme.user.email, acme.user.password)
        wait_heading(drv, "Two-step verification")
        save(drv, artifacts_dir, "passkeys-mfa.png")
        authenticator(drv, copy(acme.credential, stored_count(acme)))
        click_css(drv, "#passkey-button")
        claims = finish_authorization(acme, callback, rp, state, nonce, verifier)
        assert set(claims["amr"]) == {"pwd", "swk", "mfa"}, claims
    finally:
        acme.patch({"settings": {"mfa_policy": "none"}})


def test_the_headless_api_never_skips_or_replaces_a_passkey(acme):
    """The headless API runs no passkey ceremony: where the user's only second factor is a
    passkey, the password alone is refused there (400 access_denied) under policy optional and
    required, neither signed in nor offered an authenticator-app enrolment."""
    client = acme.create_client("public", first_party=True)
    body = {"email": acme.user.email, "password": acme.user.password}
    headers = {"Accept": "application/json", "X-Client-Id": client.client_id}
    try:
        for policy in ("optional", "required"):
            acme.patch({"settings": {"mfa_policy": policy}})
            resp = requests.post(f"{acme.issuer}/v1/auth/sign-in", json=body, headers=headers, timeout=HTTP_TIMEOUT)
            assert resp.status_code == 400 and resp.json()["error"] == "access_denied", (policy, resp.text)
            assert "passkey" in resp.json()["error_description"], resp.text
    finally:
        acme.patch({"settings": {"mfa_policy": "none"}})
    resp = requests.post(f"{acme.issuer}/v1/auth/sign-in", json=body, headers=headers, timeout=HTTP_TIMEOUT)
    assert resp.status_code == 200 and resp.json()["status"] == "signed_in", resp.text


def test_a_cloned_authenticator_is_refused(acme, browser, callback, artifacts_dir):
    drv = browser
    # The clone holds the key with a counter that is not ahead of the server's.
    authenticator(drv, copy(acme.credential, stored_count(acme) - 1))
    sign_out(drv, acme)
    open_authorization(drv, acme, callback)
    wait(drv).until(lambda d: "could not be used" in d.find_element(By.TAG_NAME, "body").text)
    wait_heading(drv, "Sign in")
    save(drv, artifacts_dir, "passkeys-login.png")
    assert callback.seen == len(callback.hits), "the clone signed in"
    # The original, its counter as the server knows it, signs in with the passkey button.
    authenticator(drv, copy(acme.credential, stored_count(acme)))
    click_css(drv, "#passkey-button")
    hit = callback.next_hit()
    assert "code=" in hit, hit


# --------------------------------------------------------------------------- assertions signed here


class Login:
    """A tenant's login page opened by ``requests`` (the interaction cookie kept), with the
    passkey ceremony's data read from the page's script."""

    def __init__(self, tenant, callback):
        self.tenant = tenant
        self.browser = Browser()
        _, url, _, _, _ = authorization_request(tenant, tenant.client, redirect_uri=callback.url)
        resp = self.browser.get(url)
        for _ in range(5):
            if resp.status_code in (302, 303):
                resp = self.browser.get(requests.compat.urljoin(resp.url, resp.headers["Location"]))
        assert resp.status_code == 200, resp.status_code
        match = re.search(r"\}\)\((\{.*?\})\);</script>", resp.text, re.S)
        assert match, "the login page carries no passkey script"
        self.data = json.loads(match.group(1))
        assert "script-src 'sha256-" in resp.headers["Content-Security-Policy"], resp.headers

    def submit(self, credential_id: bytes, private_key, user_handle: bytes, *, origin=None, rp_id=None, counter: int, flags=0x05):
        rp_id = rp_id or self.data["rpId"]
        origin = origin or self.tenant.issuer
        client_data = json.dumps(
            {"type": "webauthn.get", "challenge": self.data["challenge"], "origin": origin, "crossOrigin": False}
        ).encode()
        authenticator_data = hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", counter)
        signed = authenticator_data + hashlib.sha256(client_data).digest()
        if isinstance(private_key, ec.EllipticCurvePrivateKey):
            signature = private_key.sign(signed, ec.ECDSA(hashes.SHA256()))
        else:  # Ed25519, which Chromium's authenticator picks first from the offered algorithms
            signature = private_key.sign(signed)
        fields = {
            **self.data["fields"], "challenge": self.data["challenge"], "credential_id": b64u(credential_id),
            "client_data_json": b64u(client_data), "authenticator_data": b64u(authenticator_data),
            "signature": b64u(signature), "user_handle": b64u(user_handle),
        }
        return self.browser.http.post(requests.compat.urljoin(self.tenant.issuer, self.data["action"]), data=fields, allow_redirects=False, timeout=HTTP_TIMEOUT)


def test_assertions_across_tenants_origins_and_rp_ids(hosted, acme, browser, callback):
    credential = acme.credential
    key = serialization.load_der_private_key(credential._private_key, password=None)
    stored = stored_count(acme)
    other = hosted.admin.create_tenant()
    other.patch({"settings": PASSKEYS})
    other.client = other.create_client("confidential", redirect_uris=[callback.url], first_party=True)
    args = (credential._id, key, credential._user_handle)
    # Tenant B does not know A's credential, whichever RP ID the assertion names.
    for rp_id in (None, urlsplit(acme.issuer).hostname):
        resp = Login(other, callback).submit(*args, rp_id=rp_id, counter=stored + 10)
        assert resp.status_code == 401 and "could not be used" in resp.text, resp.status_code
    # At A: another origin, another RP ID, no user verification (a passkey alone needs it): refused.
    cases = {
        "origin": {"origin": f"http://evil.localhost:{urlsplit(acme.issuer).port}"},
        "rp_id": {"rp_id": "localhost"},
        "no uv": {"flags": 0x01},
    }
    for name, change in cases.items():
        resp = Login(acme, callback).submit(*args, counter=stored + 20, **change)
        assert resp.status_code == 401, (name, resp.status_code)
    # The right assertion passes; the same challenge answered again is refused.
    login = Login(acme, callback)
    ok = login.submit(*args, counter=stored + 30)
    assert ok.status_code in (302, 303), ok.status_code
    again = login.submit(*args, counter=stored + 31)
    assert again.status_code in (400, 401), again.status_code
    # The refusals did not move the counter; the accepted one did.
    assert passkeys_of(acme, acme.user)[0]["sign_count"] == stored + 30


def test_admin_api_lists_and_removes_passkeys(acme):
    stored = passkeys_of(acme, acme.user)
    assert len(stored) == 1 and set(stored[0]) >= {"id", "name", "created_at", "last_used_at", "sign_count", "backup_eligible"}
    assert "public_key" not in stored[0]
    missing = acme.admin.delete(f"/tenants/{acme.slug}/users/{acme.user.id}/passkeys/psk_unknown")
    assert missing.status_code == 404
    # The user's only second factor where the policy requires one is kept (409, nothing removed).
    acme.patch({"settings": {"mfa_policy": "required"}})
    kept = acme.admin.delete(f"/tenants/{acme.slug}/users/{acme.user.id}/passkeys/{stored[0]['id']}")
    acme.patch({"settings": {"mfa_policy": "none"}})
    assert kept.status_code == 409 and len(passkeys_of(acme, acme.user)) == 1, kept.text
    gone = acme.admin.delete(f"/tenants/{acme.slug}/users/{acme.user.id}/passkeys/{stored[0]['id']}")
    assert gone.status_code == 204, gone.text
    assert passkeys_of(acme, acme.user) == []


def test_a_passwordless_users_last_passkey_is_their_way_in(hosted, browser, artifacts_dir):
    """A user without a password signs in by magic link and registers a passkey: the account
    console and the admin API refuse to remove it (their only way to sign in), until they have a
    password."""
    tenant = hosted.admin.create_tenant()
    tenant.patch({"settings": {**PASSKEYS, "magic_link": True}})
    email = f"nopassword-{uuid.uuid4().hex[:8]}@example.com"
    user_id = expect(tenant.admin.post(f"/tenants/{tenant.slug}/users", json={"email": email, "email_verified": True}), 201).json()["id"]
    drv = browser
    sign_out(drv, tenant)
    authenticator(drv)
    drv.get(f"{tenant.issuer}/account")
    wait_heading(drv, "Sign in")
    mark = hosted.inbox.mark()
    drv.find_element(By.ID, "magic-email").send_keys(email)
    click_css(drv, "form[action$='/magic-link'] button")
    wait_heading(drv, "Check your email")
    drv.get(mail_link(hosted.inbox.wait(email, MAGIC, mark), "/magic"))
    click_css(drv, "form[action$='/magic'] button")  # the link's page asks to continue (no sign-in by a mail scanner's GET)
    wait_heading(drv, "Your account")
    click_css(drv, "form[action$='/account/passkeys/new'] button")
    wait_heading(drv, "Add a passkey")
    drv.find_element(By.ID, "passkey-name").send_keys("Only key")
    click_css(drv, "#passkey-button")
    wait(drv).until(lambda d: "notice=passkey-added" in d.current_url)
    (only,) = expect(tenant.admin.get(f"/tenants/{tenant.slug}/users/{user_id}/passkeys"), 200).json()["items"]

    wait_heading(drv, "Your account")
    click_css(drv, f"form[action$='/account/passkeys/{only['id']}/remove'] button")
    wait(drv).until(lambda d: "notice=kept-last-way-in" in d.current_url)
    assert "only way to sign in" in drv.find_element(By.CSS_SELECTOR, "[role=alert]").text
    save(drv, artifacts_dir, "passkeys-last-way-in.png")
    kept = tenant.admin.delete(f"/tenants/{tenant.slug}/users/{user_id}/passkeys/{only['id']}")
    assert kept.status_code == 409 and "only way to sign in" in kept.json()["detail"], kept.text
    assert len(expect(tenant.admin.get(f"/tenants/{tenant.slug}/users/{user_id}/passkeys"), 200).json()["items"]) == 1

    # With a password, the passkey is no longer the only way in.
    expect(tenant.admin.patch(f"/tenants/{tenant.slug}/users/{user_id}", json={"password": "correct horse battery staple"}), 200)
    gone = tenant.admin.delete(f"/tenants/{tenant.slug}/users/{user_id}/passkeys/{only['id']}")
    assert gone.status_code == 204, gone.text
    assert expect(tenant.admin.get(f"/tenants/{tenant.slug}/users/{user_id}/passkeys"), 200).json()["items"] == []


def test_passkeys_are_off_unless_the_tenant_allows_them(hosted, callback):
    tenant = hosted.admin.create_tenant()
    tenant.client = tenant.create_client("confidential", redirect_uris=[callback.url], first_party=True)
    browser = Browser()
    _, url, _, _, _ = authorization_request(tenant, tenant.client, redirect_uri=callback.url)
    resp = browser.get(url)
    while resp.status_code in (302, 303):
        resp = browser.get(requests.compat.urljoin(resp.url, resp.headers["Location"]))
    assert "passkey-button" not in resp.text and "script-src 'none'" in resp.headers["Content-Security-Policy"]


def test_passkeys_need_a_domain_name(tenant):
    """The shared server's tenants live under http://127.0.0.1:PORT/t/{slug}: an IP address is no
    RP ID (WebAuthn §5.1.2), so turning passkeys on there would do nothing and is refused."""
    resp = tenant.admin.patch(f"/tenants/{tenant.slug}", json={"settings": PASSKEYS})
    assert resp.status_code == 422, resp.text
    assert any(e["field"] == "settings.mfa_factors" and "IP address" in e["message"] for e in resp.json()["errors"]), resp.text
    assert "webauthn" not in tenant.admin.get(f"/tenants/{tenant.slug}").json()["settings"]["mfa_factors"]


# --------------------------------------------------------------------------- packed attestation

ACCEPTED_MODEL = uuid.UUID("5ee1c0de-0000-4000-8000-00000000a77e")
OTHER_MODEL = uuid.UUID("0ddba11e-0000-4000-8000-00000000a77e")
AAGUID_EXTENSION = x509.ObjectIdentifier("1.3.6.1.4.1.45724.1.1.4")


class AttestationCA:
    """An authenticator vendor's attestation root and the attestation certificates it issues
    (W3C WebAuthn §8.2.1: C, O, OU "Authenticator Attestation", CN; not a CA; the AAGUID extension)."""

    def __init__(self, name: str):
        self.key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        self.cert = self._builder(subject, subject, self.key.public_key()).add_extension(
            x509.BasicConstraints(ca=True, path_length=None), critical=True
        ).sign(self.key, hashes.SHA256())
        self.pem = self.cert.public_bytes(serialization.Encoding.PEM).decode()

    @staticmethod
    def _builder(subject, issuer, public_key) -> x509.CertificateBuilder:
        now = datetime.now(timezone.utc)
        return (
            x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
        )

    def issue(self, model: uuid.UUID):
        """An attestation key and its certificate (DER) for authenticators of `model`."""
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "ZZ"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Gatehouse tests"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Authenticator Attestation"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Test security key"),
        ])
        cert = (
            self._builder(subject, self.cert.subject, key.public_key())
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.UnrecognizedExtension(AAGUID_EXTENSION, b"\x04\x10" + model.bytes), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        return key, cert.public_bytes(serialization.Encoding.DER)


def registration_fields(page: dict, origin: str, model: uuid.UUID, *, fmt="packed", signer=None, x5c=None) -> dict:
    """The form the ceremony script would post, for a new P-256 credential of `model`, attested in
    `fmt` by `signer` with `x5c` (no `x5c`: self attestation by the credential key)."""
    credential = ec.generate_private_key(ec.SECP256R1())
    numbers = credential.public_key().public_numbers()
    cose = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})
    credential_id = os.urandom(32)
    auth_data = (
        hashlib.sha256(page["rpId"].encode()).digest() + bytes([0x45]) + struct.pack(">I", 0)  # UP, UV, AT
        + model.bytes + struct.pack(">H", len(credential_id)) + credential_id + cose
    )
    client_data = json.dumps({"type": "webauthn.create", "challenge": page["challenge"], "origin": origin, "crossOrigin": False}).encode()
    statement = {}
    if fmt == "packed":
        signature = (signer or credential).sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        statement = {"alg": -7, "sig": signature, **({"x5c": x5c} if x5c else {})}
    attestation = cbor2.dumps({"fmt": fmt, "attStmt": statement, "authData": auth_data})
    return {
        **page["fields"], "challenge": page["challenge"], "client_data_json": b64u(client_data),
        "attestation_object": b64u(attestation), "name": "Security key",
    }


def ceremony_data(drv) -> dict:
    match = re.search(r"\}\)\((\{.*?\})\);</script>", drv.page_source, re.S)
    assert match, "the page carries no passkey script"
    return json.loads(match.group(1))


def post_form(drv, action: str, fields: dict) -> None:
    """Posts `fields` from the page as the ceremony script would (DevTools evaluation, outside the page's CSP)."""
    drv.execute_script(
        "var f=document.createElement('form');f.method='post';f.action=arguments[0];"
        "for(var k in arguments[1]){var i=document.createElement('input');i.type='hidden';i.name=k;i.value=arguments[1][k];f.appendChild(i);}"
        "document.body.appendChild(f);f.submit();",
        action, fields,
    )


def test_packed_attestation_from_accepted_models_only(hosted, browser, artifacts_dir):
    vendor, stranger = AttestationCA("Gatehouse Tests Attestation Root"), AttestationCA("Unknown Vendor Root")
    strict = hosted.admin.create_tenant()
    strict.patch({"settings": {
        **PASSKEYS, "passkey_attestation": "packed", "passkey_aaguids": [str(ACCEPTED_MODEL)], "passkey_attestation_roots": [vendor.pem],
    }})
    user = strict.create_user()
    drv = browser
    sign_out(drv, strict)
    authenticator(drv)
    drv.get(f"{strict.issuer}/account")
    wait_heading(drv, "Sign in")
    fill_login(drv, user.email, user.password)
    wait_heading(drv, "Your account")
    click_css(drv, "form[action$='/account/passkeys/new'] button")
    wait_heading(drv, "Add a passkey")
    assert ceremony_data(drv)["attestation"] == "direct"
    # Chromium's virtual authenticator: its attestation does not chain to the tenant's root.
    click_css(drv, "#passkey-button")
    wait(drv).until(lambda d: "not accepted here" in d.find_element(By.TAG_NAME, "body").text)
    save(drv, artifacts_dir, "passkeys-attestation-refused.png")
    assert drv.get_credentials(), "the authenticator made no credential"
    good_key, good_cert = vendor.issue(ACCEPTED_MODEL)
    other_key, other_cert = vendor.issue(OTHER_MODEL)
    foreign_key, foreign_cert = stranger.issue(ACCEPTED_MODEL)
    refusals = {
        "an AAGUID not accepted": dict(model=OTHER_MODEL, signer=other_key, x5c=[other_cert]),
        "a certificate of another root": dict(model=ACCEPTED_MODEL, signer=foreign_key, x5c=[foreign_cert]),
        "the accepted root's certificate for another model": dict(model=ACCEPTED_MODEL, signer=other_key, x5c=[other_cert]),
        "self attestation": dict(model=ACCEPTED_MODEL),
        "attestation none": dict(model=ACCEPTED_MODEL, fmt="none"),
        "a signature by another key": dict(model=ACCEPTED_MODEL, signer=foreign_key, x5c=[good_cert]),
    }
    for name, case in refusals.items():
        page = ceremony_data(drv)
        model = case.pop("model")
        post_form(drv, urljoin(strict.issuer, page["action"]), registration_fields(page, strict.issuer, model, **case))
        wait(drv).until(lambda d: "not accepted here" in d.find_element(By.TAG_NAME, "body").text)
        wait_heading(drv, "Add a passkey")
        assert passkeys_of(strict, user) == [], name
    page = ceremony_data(drv)
    post_form(drv, urljoin(strict.issuer, page["action"]), registration_fields(page, strict.issuer, ACCEPTED_MODEL, signer=good_key, x5c=[good_cert]))
    wait(drv).until(lambda d: "notice=passkey-added" in d.current_url)
    (attested,) = passkeys_of(strict, user)
    assert attested["name"] == "Security key" and attested["attested"] is True, attested
    remove_in_the_admin_console(hosted, strict, user)


def remove_in_the_admin_console(hosted, tenant, user) -> None:
    """An operator sees the user's passkey on the console's user page and removes it; while it is
    their only second factor under policy `required`, the removal is refused (409) and nothing changes."""
    ops = Ops(hosted.admin.public_url, sign_in_http(hosted.admin.public_url, operator_made(hosted.admin)["email"])[0].http)
    (passkey,) = passkeys_of(tenant, user)
    page = ops.get(f"/tenants/{tenant.slug}/users/{user.id}")
    listed = soup(page).select_one(f"[data-passkey-id='{passkey['id']}']")
    assert listed is not None and "Security key" in listed.text, describe(page)
    remove = f"/tenants/{tenant.slug}/users/{user.id}/passkeys/{passkey['id']}/remove"
    tenant.patch({"settings": {"mfa_policy": "required"}})
    try:
        kept = ops.post(remove)
        assert kept.status_code == 409 and "Two-step verification is required" in soup(kept).select_one("#passkeys-error").text, describe(kept)
    finally:
        tenant.patch({"settings": {"mfa_policy": "none"}})
    assert len(passkeys_of(tenant, user)) == 1
    assert ops.post(remove, csrf="wrong").status_code == 400
    assert ops.post(f"/tenants/{tenant.slug}/users/{user.id}/passkeys/psk_unknown/remove").status_code == 404
    gone = ops.post(remove)
    assert gone.status_code == 303 and "notice=passkey-removed" in gone.headers["Location"], describe(gone)
    assert passkeys_of(tenant, user) == []
    events = expect(tenant.admin.get(f"/tenants/{tenant.slug}/audit", params={"type": "passkey.deleted"}), 200).json()["events"]
    assert [e["target_id"] for e in events] == [passkey["id"]], events


def test_attestation_settings_are_validated(hosted):
    tenant = hosted.admin.create_tenant()
    root = AttestationCA("Validation Root").pem
    model = str(ACCEPTED_MODEL)
    cases = {
        "passkey_attestation": {**PASSKEYS, "passkey_attestation": "tpm"},
        "passkey_aaguids": {**PASSKEYS, "passkey_attestation": "packed", "passkey_attestation_roots": [root]},
        "passkey_attestation_roots": {**PASSKEYS, "passkey_attestation": "packed", "passkey_aaguids": [model]},
        "passkey_aaguids[0]": {**PASSKEYS, "passkey_attestation": "packed", "passkey_aaguids": [model.upper()], "passkey_attestation_roots": [root]},
        "passkey_attestation_roots[0]": {**PASSKEYS, "passkey_attestation": "packed", "passkey_aaguids": [model], "passkey_attestation_roots": [root + root]},
    }
    cases["passkey_attestation "] = {"passkey_attestation": "packed", "passkey_aaguids": [model], "passkey_attestation_roots": [root]}
    cases["passkey_aaguids "] = {**PASSKEYS, "passkey_aaguids": [model]}  # read only under packed: refused, not ignored
    for field, settings in cases.items():
        resp = tenant.admin.patch(f"/tenants/{tenant.slug}", json={"settings": settings})
        assert resp.status_code == 422, (field, resp.text)
        fields = {e["field"] for e in resp.json()["errors"]}
        assert f"settings.{field.strip()}" in fields, (field, fields)
    saved = tenant.patch({"settings": {**PASSKEYS, "passkey_attestation": "packed", "passkey_aaguids": [model], "passkey_attestation_roots": [root]}})
    assert saved["settings"]["passkey_attestation"] == "packed" and saved["settings"]["passkey_aaguids"] == [model]
