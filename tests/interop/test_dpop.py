"""DPoP (RFC 9449) with Authlib as the client and joserfc-built proofs: sender-constrained access
tokens at the token endpoint (`token_type: DPoP`, `cnf.jkt` in the JWT checked with PyJWT, §5,
§6.1), refresh tokens of public clients bound to the key (§5), the `DPoP` scheme at userinfo with
`ath` (§7), introspection's `cnf` (§6.2), server nonces (`use_dpop_nonce` and `DPoP-Nonce`, §8,
§9), the code bound by `dpop_jkt` at the authorization endpoint and by a proof at PAR (§10,
§10.1), the client setting `dpop_bound_access_tokens` (§5.2), and the refusals of §4.3 with their
error codes: a replayed `jti`, wrong `htu` or `htm`, an old `iat`, a wrong `typ`, a MAC or `none`
algorithm, a private key in the header, two proofs, a bound token presented as Bearer or with
another key, and a bound token of one tenant at another.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from urllib.parse import urlencode

import jwt as pyjwt
import requests
from joserfc import jwt as jose_jwt
from joserfc.jwk import ECKey, OctKey, OKPKey, RSAKey

from gatehouse_client import Browser, describe, expect, verify_pyjwt
from gatehouse_http import HTTP_TIMEOUT, b64url
from gatehouse_rp import authorization_request, make_rp


class DPoPKey:
    """A DPoP key pair (joserfc) that signs proofs (RFC 9449 §4.2)."""

    def __init__(self, alg: str = "ES256"):
        self.alg = alg
        if alg == "ES256":
            self.key = ECKey.generate_key("P-256")
        elif alg == "EdDSA":
            self.key = OKPKey.generate_key("Ed25519")
        else:
            self.key = RSAKey.generate_key(2048)

    @property
    def jkt(self) -> str:
        """The RFC 7638 SHA-256 thumbprint, as `cnf.jkt` names it (§6.1)."""
        return self.key.thumbprint()

    def proof(self, method: str, url: str, *, access_token: str | None = None, nonce: str | None = None, **override) -> str:
        header = {"typ": "dpop+jwt", "alg": self.alg, "jwk": self.key.as_dict(private=False)}
        header.update(override.pop("header", {}))
        claims = {"jti": secrets.token_urlsafe(16), "htm": method, "htu": url, "iat": int(time.time())}
        if access_token is not None:
            claims["ath"] = b64url(hashlib.sha256(access_token.encode()).digest())
        if nonce is not None:
            claims["nonce"] = nonce
        claims.update(override)
        return jose_jwt.encode(header, claims, self.key, algorithms=[self.alg])


def token_url(tenant) -> str:
    return tenant.endpoint("token_endpoint")


def bound_code_flow(tenant, client, key: DPoPKey, user=None, **extra):
    """An authorization code flow whose code Authlib redeems with a DPoP proof of `key`."""
    user = user or tenant.create_user()
    rp, url, state, _, verifier = authorization_request(tenant, client, **extra)
    auth = Browser().authorize(url, client.redirect_uri, user=user, consent="allow")
    assert auth.code, auth.trace()
    token = rp.fetch_token(
        code=auth.code, code_verifier=verifier, redirect_uri=client.redirect_uri,
        headers={"DPoP": key.proof("POST", token_url(tenant))},
    )
    return rp, dict(token), user


def userinfo(tenant, token: str, key: DPoPKey | None, scheme: str = "DPoP", **proof) -> requests.Response:
    url = tenant.endpoint("userinfo_endpoint")
    headers = {"Authorization": f"{scheme} {token}"}
    if key is not None:
        headers["DPoP"] = key.proof("GET", url, access_token=token, **proof)
    return requests.get(url, headers=headers, timeout=HTTP_TIMEOUT)


def client_credentials(tenant, client, *proofs: str) -> requests.Response:
    """A client_credentials request with the given DPoP headers (each a separate field)."""
    session = requests.Session()
    request = requests.Request("POST", token_url(tenant), data={"grant_type": "client_credentials"}, auth=(client.client_id, client.client_secret))
    prepared = session.prepare_request(request)
    if proofs:
        # Several fields of one name: requests would join them; urllib3's HTTPHeaderDict keeps them apart.
        from urllib3._collections import HTTPHeaderDict

        headers = HTTPHeaderDict(prepared.headers)
        for proof in proofs:
            headers.add("DPoP", proof)
        prepared.headers = headers
    return session.send(prepared, timeout=HTTP_TIMEOUT)


def refused(resp: requests.Response, error: str, status: int = 400) -> dict:
    assert resp.status_code == status and resp.json()["error"] == error, describe(resp)
    return resp.json()


def test_discovery_advertises_proof_algorithms(tenant):
    assert tenant.discovery["dpop_signing_alg_values_supported"] == ["EdDSA", "ES256", "RS256"], tenant.discovery


def test_public_client_code_flow_userinfo_refresh_and_introspection(tenant):
    client = tenant.create_client("public")
    key = DPoPKey("ES256")
    rp, token, user = bound_code_flow(tenant, client, key)
    assert token["token_type"] == "DPoP", token
    claims = verify_pyjwt(tenant, token["access_token"], client.client_id)
    assert claims["cnf"] == {"jkt": key.jkt} and claims["sub"] == user.id, claims
    # §7: the DPoP scheme with a proof carrying ath.
    info = expect(userinfo(tenant, token["access_token"], key), 200).json()
    assert info["sub"] == user.id, info
    # A bound token presented as Bearer, with another key's proof, without ath, or without proof.
    for resp in (
        userinfo(tenant, token["access_token"], None, scheme="Bearer"),
        userinfo(tenant, token["access_token"], DPoPKey("EdDSA")),
    ):
        assert resp.status_code == 401 and resp.json()["error"] == "invalid_token", describe(resp)
    no_ath = requests.get(
        tenant.endpoint("userinfo_endpoint"),
        headers={"Authorization": f"DPoP {token['access_token']}", "DPoP": key.proof("GET", tenant.endpoint("userinfo_endpoint"))},
        timeout=HTTP_TIMEOUT,
    )
    assert no_ath.status_code == 401 and no_ath.json()["error"] == "invalid_dpop_proof", describe(no_ath)
    assert no_ath.headers["WWW-Authenticate"].startswith("DPoP "), no_ath.headers
    bare = userinfo(tenant, token["access_token"], None)
    assert bare.status_code == 401 and bare.json()["error"] == "invalid_dpop_proof", describe(bare)
    # §5: the public client's refresh token is bound to the key: no proof, or another key, is refused
    # and changes nothing; the right key rotates it and binds the new access token.
    for headers in ({}, {"DPoP": DPoPKey().proof("POST", token_url(tenant))}):
        resp = tenant.token_request(
            {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}, client, auth="none", headers=headers
        )
        refused(resp, "invalid_grant")
    fresh = rp.refresh_token(token_url(tenant), refresh_token=token["refresh_token"], headers={"DPoP": key.proof("POST", token_url(tenant))})
    assert fresh["token_type"] == "DPoP" and fresh["refresh_token"] != token["refresh_token"], fresh
    assert pyjwt.decode(fresh["access_token"], options={"verify_signature": False})["cnf"]["jkt"] == key.jkt


def test_a_stolen_unbound_refresh_token_refreshed_first_binds_nothing(tenant):
    """A grant issued without DPoP keeps unbound refresh tokens (§5 binds at issuance): a thief who
    refreshes first with a proof of their own key gets a bound access token but binds nothing, and
    the rightful client's next use of the rotated token is reuse that revokes the grant
    (RFC 9700 §4.14.2), the thief's newer tokens with it."""
    client = tenant.create_client("public")
    rp, url, _, _, verifier = authorization_request(tenant, client)
    auth = Browser().authorize(url, client.redirect_uri, user=tenant.create_user(), consent="allow")
    token = rp.fetch_token(code=auth.code, code_verifier=verifier, redirect_uri=client.redirect_uri)
    assert token["token_type"] == "Bearer" and "cnf" not in pyjwt.decode(token["access_token"], options={"verify_signature": False})

    def refresh(refresh_token: str, key: DPoPKey | None) -> requests.Response:
        headers = {"DPoP": key.proof("POST", token_url(tenant))} if key else {}
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return tenant.token_request(form, client, auth="none", headers=headers)

    thief, other = DPoPKey("ES256"), DPoPKey("EdDSA")
    stolen = expect(refresh(token["refresh_token"], thief), 200).json()
    assert stolen["token_type"] == "DPoP", stolen
    assert pyjwt.decode(stolen["access_token"], options={"verify_signature": False})["cnf"] == {"jkt": thief.jkt}
    # The thief's proof bound nothing: the rotated token takes another key's proof, or none.
    again = expect(refresh(stolen["refresh_token"], other), 200).json()
    # The rightful client comes back with the token the thief rotated away, after the server's reuse
    # grace for concurrent retries (oauth.refresh_reuse_grace_seconds, 2 s): reuse, the grant is revoked.
    time.sleep(2.5)
    refused(refresh(token["refresh_token"], None), "invalid_grant")
    for key in (None, thief, other):
        refused(refresh(again["refresh_token"], key), "invalid_grant")


def test_the_headless_api_never_refreshes_a_bound_token_into_bearer(tenant):
    """RFC 9449 §5: the headless API takes no DPoP proof, so a public client's bound refresh token
    is refused there (and changes nothing), and a client whose tokens are always bound
    (`dpop_bound_access_tokens`, §5.2) cannot use the headless API at all."""
    client = tenant.create_client("public", first_party=True)
    key = DPoPKey()
    _, token, _ = bound_code_flow(tenant, client, key)
    headless = f"{tenant.admin.public_url}/v1/auth/refresh"
    resp = requests.post(headless, json={"refresh_token": token["refresh_token"]}, headers={"X-Client-Id": client.client_id}, timeout=HTTP_TIMEOUT)
    refused(resp, "invalid_grant")
    fresh = tenant.token_request(
        {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}, client, auth="none",
        headers={"DPoP": key.proof("POST", token_url(tenant))},
    )
    assert expect(fresh, 200).json()["token_type"] == "DPoP"  # the refusal consumed nothing
    strict = tenant.create_client("public", first_party=True, dpop_bound_access_tokens=True)
    resp = requests.post(headless, json={"refresh_token": "x"}, headers={"X-Client-Id": strict.client_id}, timeout=HTTP_TIMEOUT)
    refused(resp, "unauthorized_client", status=resp.status_code)


def test_confidential_client_credentials_and_each_algorithm(tenant):
    client = tenant.create_client("confidential")
    for alg in ("EdDSA", "ES256", "RS256"):
        key = DPoPKey(alg)
        resp = expect(client_credentials(tenant, client, key.proof("POST", token_url(tenant))), 200)
        assert resp.json()["token_type"] == "DPoP", resp.text
        claims = verify_pyjwt(tenant, resp.json()["access_token"], client.client_id)
        assert claims["cnf"] == {"jkt": key.jkt}, claims
        # §6.2: introspection shows the binding.
        shown = expect(tenant.introspect(client, resp.json()["access_token"]), 200).json()
        assert shown["active"] is True and shown["cnf"] == {"jkt": key.jkt} and shown["token_type"] == "DPoP", shown
    # Without a proof the token stays a Bearer token.
    plain = expect(client_credentials(tenant, client), 200).json()
    assert plain["token_type"] == "Bearer" and "cnf" not in pyjwt.decode(plain["access_token"], options={"verify_signature": False})
    shown = expect(tenant.introspect(client, plain["access_token"]), 200).json()
    assert "cnf" not in shown and shown["token_type"] == "access_token", shown


def test_proof_refusals(tenant):
    client = tenant.create_client("confidential")
    key = DPoPKey()
    url = token_url(tenant)
    proof = key.proof("POST", url)
    expect(client_credentials(tenant, client, proof), 200)
    cases = {
        "replayed jti": proof,
        "wrong htu": key.proof("POST", tenant.endpoint("userinfo_endpoint")),
        "wrong htm": key.proof("GET", url),
        "old iat": key.proof("POST", url, iat=int(time.time()) - 300),
        "future iat": key.proof("POST", url, iat=int(time.time()) + 300),
        "no jti": key.proof("POST", url, jti=""),
        "wrong typ": key.proof("POST", url, header={"typ": "JWT"}),
        "private key in jwk": key.proof("POST", url, header={"jwk": key.key.as_dict(private=True)}),
        "not a JWT": "not-a-jwt",
    }
    for name, bad in cases.items():
        resp = client_credentials(tenant, client, bad)
        assert resp.status_code == 400 and resp.json()["error"] == "invalid_dpop_proof", (name, describe(resp))
    # A MAC (§4.3 item 5: asymmetric algorithms only) and alg none.
    secret = OctKey.generate_key(256)
    mac = jose_jwt.encode(
        {"typ": "dpop+jwt", "alg": "HS256", "jwk": key.key.as_dict(private=False)},
        {"jti": secrets.token_urlsafe(8), "htm": "POST", "htu": url, "iat": int(time.time())}, secret,
    )
    header = b64url(json.dumps({"typ": "dpop+jwt", "alg": "none", "jwk": key.key.as_dict(private=False)}).encode())
    body = b64url(json.dumps({"jti": "n", "htm": "POST", "htu": url, "iat": int(time.time())}).encode())
    for bad in (mac, f"{header}.{body}."):
        refused(client_credentials(tenant, client, bad), "invalid_dpop_proof")
    # §4.3 item 1: exactly one DPoP header.
    refused(client_credentials(tenant, client, key.proof("POST", url), key.proof("POST", url)), "invalid_dpop_proof")
    # htu is compared after normalisation (§4.3 item 9): query and fragment do not count, nor the case of the host.
    upper = url.replace("http://", "HTTP://", 1) + "?x=1#f"
    expect(client_credentials(tenant, client, key.proof("POST", upper)), 200)


def test_server_nonces(tenant, other_tenant):
    tenant.patch({"settings": {"dpop_nonce_required": True}})
    client = tenant.create_client("confidential")
    key = DPoPKey()
    first = client_credentials(tenant, client, key.proof("POST", token_url(tenant)))
    refused(first, "use_dpop_nonce")
    nonce = first.headers["DPoP-Nonce"]
    ok = expect(client_credentials(tenant, client, key.proof("POST", token_url(tenant), nonce=nonce)), 200)
    assert ok.headers.get("DPoP-Nonce") and ok.json()["token_type"] == "DPoP", ok.headers
    # Another tenant's nonce is worthless here, and this tenant's there.
    other_tenant.patch({"settings": {"dpop_nonce_required": True}})
    foreign = other_tenant.create_client("confidential")
    refused(client_credentials(other_tenant, foreign, key.proof("POST", token_url(other_tenant), nonce=nonce)), "use_dpop_nonce")
    refused(client_credentials(tenant, client, key.proof("POST", token_url(tenant), nonce="made-up")), "use_dpop_nonce")
    # A tenant that does not require nonces still answers a bad nonce with a fresh one.
    plain = other_tenant.create_client("confidential")
    other_tenant.patch({"settings": {"dpop_nonce_required": False}})
    stale = client_credentials(other_tenant, plain, key.proof("POST", token_url(other_tenant), nonce="stale"))
    refused(stale, "use_dpop_nonce")
    assert stale.headers.get("DPoP-Nonce"), stale.headers


def test_userinfo_nonce_challenge(tenant):
    tenant.patch({"settings": {"dpop_nonce_required": True}})
    client = tenant.create_client("public")
    key = DPoPKey("EdDSA")
    user = tenant.create_user()
    rp, url, _, _, verifier = authorization_request(tenant, client)
    auth = Browser().authorize(url, client.redirect_uri, user=user, consent="allow")
    first = tenant.token_request(
        {"grant_type": "authorization_code", "code": auth.code, "code_verifier": verifier, "redirect_uri": client.redirect_uri},
        client, auth="none", headers={"DPoP": key.proof("POST", token_url(tenant))},
    )
    refused(first, "use_dpop_nonce")
    # The refusal used neither the code nor the proof's jti window: the retry with the nonce works.
    token = rp.fetch_token(
        code=auth.code, code_verifier=verifier, redirect_uri=client.redirect_uri,
        headers={"DPoP": key.proof("POST", token_url(tenant), nonce=first.headers["DPoP-Nonce"])},
    )
    resp = userinfo(tenant, token["access_token"], key)
    assert resp.status_code == 401 and resp.json()["error"] == "use_dpop_nonce", describe(resp)
    assert 'error="use_dpop_nonce"' in resp.headers["WWW-Authenticate"] and resp.headers.get("DPoP-Nonce"), resp.headers
    ok = expect(userinfo(tenant, token["access_token"], key, nonce=resp.headers["DPoP-Nonce"]), 200)
    assert ok.json()["sub"] == user.id


def test_authorization_code_bound_by_dpop_jkt(tenant):
    client = tenant.create_client("confidential")
    key = DPoPKey()
    user = tenant.create_user()
    rp, url, _, _, verifier = authorization_request(tenant, client, dpop_jkt=key.jkt)
    auth = Browser().authorize(url, client.redirect_uri, user=user, consent="allow")
    data = {"grant_type": "authorization_code", "code": auth.code, "code_verifier": verifier, "redirect_uri": client.redirect_uri}
    # §10: without a proof, or with another key's, the code is refused and not used up.
    refused(tenant.token_request(dict(data), client), "invalid_grant")
    refused(tenant.token_request(dict(data), client, headers={"DPoP": DPoPKey().proof("POST", token_url(tenant))}), "invalid_grant")
    token = rp.fetch_token(code=auth.code, code_verifier=verifier, redirect_uri=client.redirect_uri, headers={"DPoP": key.proof("POST", token_url(tenant))})
    assert token["token_type"] == "DPoP"
    # A malformed dpop_jkt is an invalid request shown to the user (no redirect to the client).
    _, bad, _, _, _ = authorization_request(tenant, client, dpop_jkt="not-a-thumbprint")
    resp = Browser().get(bad)
    assert resp.status_code in (302, 303) and "error=invalid_request" in resp.headers["Location"], describe(resp)


def test_pushed_request_with_a_proof_binds_the_code(tenant):
    client = tenant.create_client("confidential")
    key = DPoPKey("RS256")
    rp = make_rp(tenant, client)
    par = tenant.endpoint("pushed_authorization_request_endpoint")
    verifier = secrets.token_urlsafe(48)
    challenge = b64url(hashlib.sha256(verifier.encode()).digest())
    body = {"response_type": "code", "redirect_uri": client.redirect_uri, "scope": "openid", "code_challenge": challenge, "code_challenge_method": "S256"}
    # §10.1: a proof and a dpop_jkt naming another key are refused.
    mismatch = requests.post(
        par, data={**body, "dpop_jkt": DPoPKey().jkt}, auth=(client.client_id, client.client_secret),
        headers={"DPoP": key.proof("POST", par)}, timeout=HTTP_TIMEOUT,
    )
    refused(mismatch, "invalid_dpop_proof")
    pushed = expect(
        requests.post(par, data=body, auth=(client.client_id, client.client_secret), headers={"DPoP": key.proof("POST", par)}, timeout=HTTP_TIMEOUT),
        201,
    ).json()
    url = tenant.endpoint("authorization_endpoint") + "?" + urlencode({"client_id": client.client_id, "request_uri": pushed["request_uri"]})
    auth = Browser().authorize(url, client.redirect_uri, user=tenant.create_user(), consent="allow")
    data = {"grant_type": "authorization_code", "code": auth.code, "code_verifier": verifier, "redirect_uri": client.redirect_uri}
    refused(tenant.token_request(dict(data), client, headers={"DPoP": DPoPKey().proof("POST", token_url(tenant))}), "invalid_grant")
    token = rp.fetch_token(code=auth.code, code_verifier=verifier, redirect_uri=client.redirect_uri, headers={"DPoP": key.proof("POST", token_url(tenant))})
    assert verify_pyjwt(tenant, token["access_token"], client.client_id)["cnf"]["jkt"] == key.jkt


def test_client_requiring_dpop(tenant):
    client = tenant.create_client("confidential", dpop_bound_access_tokens=True)
    assert client.raw["dpop_bound_access_tokens"] is True, client.raw
    refused(client_credentials(tenant, client), "invalid_dpop_proof")
    expect(client_credentials(tenant, client, DPoPKey().proof("POST", token_url(tenant))), 200)
    other = tenant.create_client("confidential")
    assert other.raw["dpop_bound_access_tokens"] is False, other.raw
    # The setting is validated like every other field.
    bad = tenant.admin.post(f"/tenants/{tenant.slug}/clients", json={"name": "x", "type": "confidential", "dpop_bound_access_tokens": "yes"})
    assert bad.status_code == 422, describe(bad)


def test_bound_token_of_one_tenant_is_refused_at_another(tenant, other_tenant):
    client = tenant.create_client("confidential")
    key = DPoPKey()
    token = expect(client_credentials(tenant, client, key.proof("POST", token_url(tenant))), 200).json()["access_token"]
    other_client = other_tenant.create_client("public")
    other_user = other_tenant.create_user()
    _, other_token, _ = bound_code_flow(other_tenant, other_client, key, user=other_user)
    # The same key at both tenants: each token is accepted only at its own issuer.
    resp = userinfo(other_tenant, token, key)
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_token", describe(resp)
    resp = userinfo(tenant, other_token["access_token"], key)
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_token", describe(resp)
    expect(userinfo(other_tenant, other_token["access_token"], key), 200)


def test_cors_allows_the_dpop_headers(tenant):
    origin = "https://spa.example"
    tenant.patch({"settings": {"allowed_origins": [origin]}})
    resp = requests.options(
        token_url(tenant),
        headers={"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "dpop, content-type"},
        timeout=HTTP_TIMEOUT,
    )
    assert resp.status_code in (200, 204), describe(resp)
    assert "dpop" in resp.headers.get("Access-Control-Allow-Headers", "").lower(), resp.headers
    client = tenant.create_client("confidential")
    answer = requests.post(
        token_url(tenant), data={"grant_type": "client_credentials"}, auth=(client.client_id, client.client_secret),
        headers={"Origin": origin, "DPoP": DPoPKey().proof("POST", token_url(tenant))}, timeout=HTTP_TIMEOUT,
    )
    assert answer.status_code == 200 and "dpop-nonce" in answer.headers.get("Access-Control-Expose-Headers", "").lower(), answer.headers


def test_bearer_only_admin_api_refuses_bound_tokens(tenant):
    """§7.2: the admin API takes bearer tokens only, so a DPoP-bound admin token is refused there."""
    client = tenant.create_client("confidential", grant_types=["client_credentials"], allowed_scopes="users:read")
    url = f"{tenant.admin.public_url}/admin/v1/tenants/{tenant.slug}/users"

    def token(*proofs):
        resp = requests.post(
            token_url(tenant), data={"grant_type": "client_credentials", "scope": "users:read"},
            auth=(client.client_id, client.client_secret), headers={"DPoP": proofs[0]} if proofs else {}, timeout=HTTP_TIMEOUT,
        )
        return expect(resp, 200).json()["access_token"]

    plain = token()
    assert requests.get(url, headers={"Authorization": f"Bearer {plain}"}, timeout=HTTP_TIMEOUT).status_code == 200
    bound = token(DPoPKey().proof("POST", token_url(tenant)))
    assert requests.get(url, headers={"Authorization": f"Bearer {bound}"}, timeout=HTTP_TIMEOUT).status_code == 401


def test_token_exchange_keeps_the_binding(tenant):
    """A DPoP-bound subject token is exchanged only with a proof of its key (it is no bearer token)."""
    exchange = "urn:ietf:params:oauth:grant-type:token-exchange"
    client = tenant.create_client("confidential", grant_types=["client_credentials", exchange])
    key = DPoPKey()
    bound = expect(client_credentials(tenant, client, key.proof("POST", token_url(tenant))), 200).json()["access_token"]
    data = {"grant_type": exchange, "subject_token": bound, "subject_token_type": "urn:ietf:params:oauth:token-type:access_token"}
    refused(tenant.token_request(dict(data), client), "invalid_grant")
    refused(tenant.token_request(dict(data), client, headers={"DPoP": DPoPKey().proof("POST", token_url(tenant))}), "invalid_grant")
    ok = expect(tenant.token_request(dict(data), client, headers={"DPoP": key.proof("POST", token_url(tenant))}), 200).json()
    assert ok["token_type"] == "DPoP", ok
