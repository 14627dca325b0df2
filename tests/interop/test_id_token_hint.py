"""`id_token_hint` at the authorization endpoint (OIDC Core §3.1.2.1): another user's session never
yields a code."""

from __future__ import annotations

from urllib.parse import urljoin

from gatehouse_client import Browser, authorization_request, code_flow, forms_of, is_login_form, query_params


def test_id_token_hint_of_another_user(tenant):
    client = tenant.create_client(first_party=True)
    alice, bob = tenant.create_user(), tenant.create_user()
    bob_id_token = code_flow(tenant, client, bob).token["id_token"]
    alice_flow = code_flow(tenant, client, alice)  # Alice's browser has a session
    browser: Browser = alice_flow.browser

    # prompt=none with Bob's hint in Alice's browser: login_required, not a code for Alice.
    _, url, state, _, _ = authorization_request(tenant, client, prompt="none", id_token_hint=bob_id_token)
    result = browser.authorize(url, client.redirect_uri, user=None)
    assert result.kind == "redirect", result.trace()
    assert result.params.get("error") == "login_required" and "code" not in result.params, result.params
    assert result.params.get("state") == state

    # Alice's own hint: the session is hers, a code.
    _, url, _, _, _ = authorization_request(tenant, client, prompt="none", id_token_hint=alice_flow.token["id_token"])
    result = browser.authorize(url, client.redirect_uri, user=None)
    assert result.kind == "redirect" and result.params.get("code"), result.trace()

    # Interactive with Bob's hint: the login page, not a code; Bob signs in and gets his code.
    _, url, _, _, _ = authorization_request(tenant, client, id_token_hint=bob_id_token)
    first = browser.get(url)
    assert first.status_code == 303 and not first.headers["Location"].startswith(client.redirect_uri), first.headers
    page = browser.get(urljoin(url, first.headers["Location"]))
    assert any(is_login_form(f) for f in forms_of(page.text)), page.text[:500]
    result = browser.authorize(url, client.redirect_uri, user=bob)
    assert result.params.get("code"), result.trace()

    # Signing in as someone else than the hinted user ends with login_required.
    _, url, _, _, _ = authorization_request(tenant, client, id_token_hint=bob_id_token)
    result = Browser().authorize(url, client.redirect_uri, user=alice)
    assert result.params.get("error") == "login_required", result.trace()


def test_id_token_hint_must_be_an_id_token_of_this_issuer(tenant, other_tenant):
    client = tenant.create_client(first_party=True)
    other_client = other_tenant.create_client(first_party=True)
    foreign = code_flow(other_tenant, other_client, other_tenant.create_user()).token["id_token"]
    _, url, state, _, _ = authorization_request(tenant, client, prompt="none", id_token_hint=foreign)
    result = Browser().authorize(url, client.redirect_uri, user=None)
    assert result.params.get("error") == "invalid_request" and result.params.get("state") == state, result.trace()
    assert query_params(result.location).get("iss") == tenant.issuer
