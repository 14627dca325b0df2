"""Sign-up (issue 4): off by default, email normalization and duplicates, the headless journey
(sign-up → verification → enrolment → factors) and the Chromium journey (sign-up → verification
mail → TOTP enrolment → TOTP sign-in → recovery code → password reset; screenshots).

Runs on this module's private Gatehouse whose mail goes to aiosmtpd (``gh`` of ``accounts_helpers``).
"""

from __future__ import annotations

import unicodedata

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from accounts_chromium import (
    CallbackServer,
    chromium_driver,
    click_button,
    click_css,
    fill,
    fill_login,
    mfa_row,
    save,
    wait,
    wait_heading,
)
from accounts_flows import PASSWORD, headless_challenge, mfa_verify
from accounts_headless import Tokens, assert_no_tokens, headless_tokens, hpost, hsign_in, token_claims
from accounts_helpers import set_settings, totp_at
from accounts_mail import MFA_CHANGE, RECOVERY_USED, RESET, VERIFY, mail_code, mail_link, mail_text
from accounts_pages import Login, alert, page_text
from gatehouse_client import authorization_request, describe, query_params, unique_email

# isort: split
# Shared fixtures (smtp_port, inbox, gh, acme, client) come from accounts_helpers.
from accounts_helpers import acme, client, gh, inbox, smtp_port  # noqa: F401


@pytest.fixture
def chromium():
    with chromium_driver() as drv:
        yield drv


@pytest.fixture
def callback():
    server = CallbackServer()
    yield server
    server.close()


# --------------------------------------------------------------------------- sign-up and emails


def test_sign_up_is_off_by_default(gh, acme, client):
    login = Login.begin(acme, client).expect("login")
    assert "/signup" not in login.resp.text, "no Create account link"
    page = login.browser.get(f"{acme.issuer}/signup?interaction=x")
    assert page.status_code == 400 and "Sign-up is not available here" in page_text(page), describe(page)
    forged = login.post_as_page("/signup", {"email": unique_email(), "password": PASSWORD})
    assert forged.status_code == 400 and "Sign-up is not available here" in page_text(forged), describe(
        forged
    )
    api = hpost(gh, client, "auth/sign-up", {"email": unique_email(), "password": PASSWORD})
    assert api.status_code == 400 and api.json()["error"] == "access_denied", describe(api)
    assert gh.admin.get(f"/tenants/{acme.slug}/users").json()["users"] == []


def test_emails_normalized_and_duplicates_refused(gh, inbox, acme, client):
    set_settings(acme, self_signup=True)
    local = f"Ada.Lovelace-{acme.slug}"
    mixed = f"  {local}@Example.COM "
    login = Login.begin(acme, client).expect("login").open_signup().expect("signup")
    login.signup(mixed, PASSWORD, "Ada")
    tokens = login.tokens()
    normalized = f"{local.lower()}@example.com"
    assert tokens.id_claims["email"] == normalized
    inbox.wait(normalized, VERIFY)

    again = Login.begin(acme, client).open_signup().signup(normalized.upper(), PASSWORD + "x")
    again.expect("signup", 409)
    assert "already exists" in alert(again.resp), again.trace()
    api = hpost(gh, client, "auth/sign-up", {"email": f"{local.upper()}@example.com", "password": PASSWORD})
    assert api.status_code == 400 and "already exists" in api.json()["error_description"], describe(api)
    # Sign-in in any case.
    ok = hsign_in(gh, client, normalized.upper(), PASSWORD)
    assert ok.status_code == 200 and ok.json()["user"]["email"] == normalized, describe(ok)

    # Unicode: decomposed and composed forms are one address (NFC), also in the local part.
    decomposed = f"jose\u0301-{acme.slug}@Exa\u0301mple.org"
    composed = unicodedata.normalize("NFC", decomposed)
    assert decomposed != composed
    created = hpost(gh, client, "auth/sign-up", {"email": decomposed, "password": PASSWORD, "name": "José"})
    assert created.status_code == 200, describe(created)
    assert created.json()["user"]["email"] == composed.lower()
    dup = hpost(gh, client, "auth/sign-up", {"email": composed.upper(), "password": PASSWORD})
    assert dup.status_code == 400 and "already exists" in dup.json()["error_description"], describe(dup)
    assert hsign_in(gh, client, composed, PASSWORD).status_code == 200


# --------------------------------------------------------------------------- headless journey


def test_headless_sign_up_verification_enrolment_and_factors(gh, inbox, acme, client):
    set_settings(acme, self_signup=True, require_verified_email=True, mfa_policy="required")
    email = unique_email("api")
    mark = inbox.mark()
    created = hpost(gh, client, "auth/sign-up", {"email": email, "password": PASSWORD, "name": "Api User"})
    body = created.json()
    assert (
        created.status_code == 200
        and body["status"] == "email_verification_required"
        and body["email"] == email
    ), body
    assert_no_tokens(created)
    message = inbox.wait(email, VERIFY, mark)
    assert inbox.count(email, VERIFY, mark) == 1
    wrong = hpost(gh, client, "auth/verify-email", {"challenge_id": body["challenge_id"], "code": "12345x"})
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant", describe(wrong)
    # Another client cannot continue this client's challenge.
    stranger = acme.create_client("public", first_party=True)
    stolen = hpost(
        gh, stranger, "auth/verify-email", {"challenge_id": body["challenge_id"], "code": mail_code(message)}
    )
    assert stolen.status_code == 400 and "unknown or expired" in stolen.json()["error_description"], describe(
        stolen
    )

    verified = hpost(
        gh, client, "auth/verify-email", {"challenge_id": body["challenge_id"], "code": mail_code(message)}
    )
    enrol = verified.json()
    assert verified.status_code == 200 and enrol["status"] == "mfa_enrollment_required", enrol
    assert enrol["challenge_id"] != body["challenge_id"]
    assert_no_tokens(verified)
    mark = inbox.mark()
    finished = mfa_verify(gh, client, enrol["challenge_id"], totp_at(enrol["totp"]["secret"], -1))
    tokens = headless_tokens(acme, client, finished)
    assert tokens.amr == ["pwd", "otp", "mfa"]
    assert tokens.id_claims["email_verified"] is True and tokens.id_claims["email"] == email
    codes = finished.json()["recovery_codes"]
    assert len(codes) == 10 and finished.json()["user"]["email_verified"] is True
    assert "An authenticator app was added" in mail_text(inbox.wait(email, MFA_CHANGE, mark))

    # Sign-in: an MFA challenge; each factor completes it with the right amr.
    challenge = headless_challenge(gh, client, type("U", (), {"email": email, "password": PASSWORD})())
    bad = mfa_verify(gh, client, challenge, "123456", "sms")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_request", describe(bad)
    no_email = hpost(gh, client, "auth/mfa/email", {"challenge_id": challenge})
    assert no_email.status_code == 400, "email codes are not set up for this account"
    assert headless_tokens(
        acme, client, mfa_verify(gh, client, challenge, totp_at(enrol["totp"]["secret"], 0))
    ).amr == ["pwd", "otp", "mfa"]
    challenge = headless_challenge(gh, client, type("U", (), {"email": email, "password": PASSWORD})())
    assert headless_tokens(
        acme, client, mfa_verify(gh, client, challenge, codes[0], "recovery_code")
    ).amr == ["pwd", "otp", "mfa"]
    unknown = mfa_verify(gh, client, "not-a-challenge", "123456")
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_grant"


# --------------------------------------------------------------------------- Chromium


@pytest.mark.browser
def test_chromium_journey(gh, inbox, acme, chromium, callback, artifacts_dir):
    """sign-up → verification mail → verified → sign-in → enrol TOTP → sign out → sign-in asks for
    TOTP → recovery-code sign-in → password reset by mail; screenshots of the pages on the way."""
    drv = chromium
    set_settings(acme, self_signup=True, require_verified_email=True, mfa_policy="optional")
    client = acme.create_client("public", first_party=True, redirect_uris=[callback.url])
    issuer = acme.issuer
    email, name = unique_email("journey"), "Journey User"
    password = PASSWORD

    def authorize() -> tuple:
        rp, url, state, nonce, verifier = authorization_request(acme, client)
        drv.get(url)
        return rp, state, nonce, verifier

    def finish(rp, state, nonce, verifier) -> Tokens:
        params = query_params(callback.next_hit())
        assert params.get("state") == state and params.get("code"), params
        tokens = token_claims(
            acme,
            client,
            rp.fetch_token(code=params["code"], code_verifier=verifier, redirect_uri=callback.url),
        )
        assert tokens.id_claims["nonce"] == nonce
        return tokens

    def sign_out() -> None:
        drv.get(f"{issuer}/account")
        wait_heading(drv, "Your account")
        click_button(drv, "Sign out")
        wait_heading(drv, "You have signed out")

    # 1. Sign-up from the login page.
    flow = authorize()
    wait_heading(drv, "Sign in")
    drv.find_element(By.LINK_TEXT, "Create account").click()
    wait_heading(drv, "Create your account")
    save(drv, artifacts_dir, "signup-page.png")
    mark = inbox.mark()
    fill(drv, name=name, email=email, password=password)
    click_button(drv, "Create account")

    # 2. The verification mail; its link verifies the address; the waiting sign-in continues.
    wait_heading(drv, "Verify your email")
    waiting = drv.current_url
    message = inbox.wait(email, VERIFY, mark)
    drv.get(mail_link(message, "/verify-email"))
    click_button(drv, "Verify my email")
    wait_heading(drv, "Email verified")
    drv.get(waiting)
    tokens = finish(*flow)
    assert inbox.count(email, VERIFY, mark) == 1, "one verification mail for the sign-up"
    assert (
        tokens.amr == ["pwd"]
        and tokens.id_claims["email_verified"] is True
        and tokens.id_claims["email"] == email
    )

    # 3. Signed in: the account console; enrol an authenticator app.
    drv.get(f"{issuer}/account")
    wait_heading(drv, "Your account")
    mfa_row(drv, "Authenticator app").find_element(By.TAG_NAME, "button").click()
    wait_heading(drv, "Set up two-step verification")
    assert drv.find_element(By.CSS_SELECTOR, "img[src^='data:image/']").is_displayed()
    drv.find_element(By.TAG_NAME, "summary").click()
    secret = wait(drv).until(EC.visibility_of_element_located((By.ID, "totp-secret"))).text.strip()
    save(drv, artifacts_dir, "mfa-enrol-page.png")
    mark = inbox.mark()
    fill(drv, code=totp_at(secret))
    click_button(drv, "Turn on")
    wait_heading(drv, "Save your recovery codes")
    codes = [li.text.strip() for li in drv.find_elements(By.CSS_SELECTOR, "#recovery-codes li")]
    assert len(codes) == 10, codes
    click_button(drv, "Back to your account")
    wait_heading(drv, "Your account")
    assert "On" in mfa_row(drv, "Authenticator app").text
    drv.set_window_size(1280, 2200)  # the whole console, two-step section included
    save(drv, artifacts_dir, "account-security.png")
    drv.set_window_size(1280, 1100)
    assert "An authenticator app was added" in mail_text(inbox.wait(email, MFA_CHANGE, mark))

    # 4. Sign out; 5. signing in asks for the authenticator code.
    sign_out()
    flow = authorize()
    fill_login(drv, email, password)
    wait_heading(drv, "Two-step verification")
    save(drv, artifacts_dir, "mfa-challenge-page.png")
    fill(drv, code=totp_at(secret, 1))  # the enrolment used the current step; the next one is in the window
    click_button(drv, "Verify")
    assert finish(*flow).amr == ["pwd", "otp", "mfa"]

    # 6. Sign out; sign in with a recovery code instead.
    sign_out()
    flow = authorize()
    fill_login(drv, email, password)
    wait_heading(drv, "Two-step verification")
    mark = inbox.mark()
    click_css(drv, "input[name=method][value=recovery]")
    fill(drv, code=codes[0])
    click_button(drv, "Verify")
    assert finish(*flow).amr == ["pwd", "otp", "mfa"]
    assert "Recovery codes left: 9" in mail_text(inbox.wait(email, RECOVERY_USED, mark))

    # 7. Sign out; forgot the password: reset by mail, then sign in with the new one.
    sign_out()
    flow = authorize()
    wait_heading(drv, "Sign in")
    drv.find_element(By.LINK_TEXT, "Forgot password?").click()
    wait_heading(drv, "Reset your password")
    mark = inbox.mark()
    fill(drv, email=email)
    click_button(drv, "Send reset link")
    wait_heading(drv, "Check your email")
    drv.get(mail_link(inbox.wait(email, RESET, mark), "/reset"))
    wait_heading(drv, "Choose a new password")
    new_password = "a new passphrase for the journey"
    fill(drv, password=new_password)
    click_button(drv, "Save password")
    wait_heading(drv, "Password changed")
    flow = authorize()
    fill_login(drv, email, password)
    wait(drv).until(lambda d: "Incorrect email or password" in d.find_element(By.TAG_NAME, "body").text)
    fill_login(drv, email, new_password)
    wait_heading(drv, "Two-step verification")
    click_css(drv, "input[name=method][value=recovery]")
    fill(drv, code=codes[1])
    click_button(drv, "Verify")
    assert finish(*flow).amr == ["pwd", "otp", "mfa"]
