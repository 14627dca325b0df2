#!/usr/bin/env python3
"""Provision the peer (Glewlwyd, started by lib/glewlwyd.sh) through its admin REST API.

Signs in as the `admin` user of the package's init script (POST /api/auth/, session cookie), then
creates, in this order:
  * scope `bench` (no password required);
  * user `bench` with scopes openid and bench, and a password (database user backend);
  * a confidential client (client_secret_basic; grants code, client_credentials, refresh_token and
    password; scope bench for client_credentials; the secret stored as `client_secret`, compared
    as is, not hashed: see bench/README.md);
  * the OpenID Connect plugin instance `oidc` (POST /api/mod/plugin/): EdDSA with the Ed25519 key
    in --dir, token lifetimes equal to Gatehouse's defaults (access 900 s, refresh 30 days),
    client_credentials and password grants enabled (Glewlwyd allows them only with
    allow-non-oidc), introspection for the token's client, refresh-token-one-use "never" (the
    plugin's default: refresh tokens do not rotate) unless --one-use.

Then checks discovery, the JWKS (one OKP Ed25519 key) and client_credentials (an EdDSA JWT), and
mints --refresh-tokens refresh tokens with the password grant (scope "openid bench"), one grant
each; refreshes the first once and introspects the last access token (must be active).

Output: a state JSON file (--out, the keys bench/run reads for Gatehouse too) and the refresh
tokens, one per line (--tokens). Standard library only.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import sys
import time
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ghhttp  # noqa: E402

ADMIN_USER, ADMIN_PASSWORD = "admin", "password"  # the init script's admin (database/README.md)
PLUGIN = "oidc"
SCOPE = "bench"
ACCESS_TTL = 900            # Gatehouse's default access_token_ttl
REFRESH_TTL = 30 * 86400    # Gatehouse's default refresh_token_ttl


def jwt_part(token: str, index: int) -> dict:
    part = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True, help="http://127.0.0.1:PORT")
    ap.add_argument("--dir", required=True, help="the folder with ed25519.key and ed25519.pub")
    ap.add_argument("--refresh-tokens", type=int, default=40)
    ap.add_argument("--one-use", action="store_true", help="refresh-token-one-use: always (rotation)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--tokens", required=True)
    args = ap.parse_args()

    u = urlsplit(args.url)
    conn = ghhttp.Conn(u.hostname, u.port)

    def fail(what: str, r: ghhttp.Response) -> None:
        raise SystemExit(f"glewlwyd provision: {what} -> {r.status}: {r.text()[:500]}")

    r = conn.json_post("/api/auth/", {"username": ADMIN_USER, "password": ADMIN_PASSWORD})
    if r.status != 200 or not r.header("Set-Cookie"):
        fail("admin sign-in (POST /api/auth/)", r)
    cookie = {"Cookie": r.header("Set-Cookie").split(";", 1)[0]}

    def admin(method: str, path: str, obj, what: str) -> None:
        r = conn.request(method, path, json.dumps(obj), {"Content-Type": "application/json", **cookie})
        if r.status != 200:
            fail(what, r)

    admin("POST", "/api/scope/", {"name": SCOPE, "display_name": "Bench", "description": "benchmark scope",
                                  "password_required": False, "scheme": {}}, "creating the scope")
    password = "bench " + secrets.token_urlsafe(12)
    admin("POST", "/api/user/", {"username": "bench", "password": password, "name": "Bench User",
                                 "email": "bench@example.test", "enabled": True, "scope": ["openid", SCOPE]},
          "creating the user")
    client_id, client_secret = "bench-confidential", secrets.token_urlsafe(32)
    admin("POST", "/api/client/", {
        "client_id": client_id, "client_secret": client_secret, "name": "bench confidential",
        "confidential": True, "enabled": True, "scope": [SCOPE], "redirect_uri": [ghhttp.REDIRECT_URI],
        "authorization_type": ["code", "client_credentials", "refresh_token", "password"],
        "token_endpoint_auth_method": ["client_secret_basic"],
    }, "creating the client")
    with open(os.path.join(args.dir, "ed25519.key")) as f:
        key = f.read()
    with open(os.path.join(args.dir, "ed25519.pub")) as f:
        cert = f.read()
    issuer_path = f"/api/{PLUGIN}"
    issuer = f"{args.url}{issuer_path}"
    # Glewlwyd's admin web app's defaults for a new OIDC instance, except where noted.
    params = {
        "iss": issuer, "jwt-type": "eddsa", "jwt-key-size": "256", "key": key, "cert": cert,
        "access-token-duration": ACCESS_TTL, "refresh-token-duration": REFRESH_TTL, "code-duration": 600,
        "refresh-token-rolling": True,
        "refresh-token-one-use": "always" if args.one_use else "never",
        "client-refresh-token-one-use-parameter": "refresh-token-one-use",
        "allow-non-oidc": True,  # not the default: client_credentials and password need it
        "auth-type-code-enabled": True, "auth-type-code-revoke-replayed": False, "auth-type-token-enabled": True,
        "auth-type-id-token-enabled": True, "auth-type-none-enabled": True,
        "auth-type-password-enabled": True,  # not the default: mints the refresh tokens
        "auth-type-client-enabled": True, "auth-type-device-enabled": False, "auth-type-refresh-enabled": True,
        "scope": [], "additional-parameters": [], "claims": [], "jwks-show": True, "jwks-x5c": [],
        "subject-type": "public", "allowed-scope": ["openid", SCOPE],
        "request-parameter-allow": True, "request-uri-allow-https-non-secure": False,
        "request-parameter-allow-encrypted": True, "request-parameter-ietf-strict": False,
        "name-claim": "on-demand", "email-claim": "no", "scope-claim": "no",
        "address-claim": {"type": "no", "mandatory": False},
        "pkce-allowed": True, "pkce-method-plain-allowed": False, "pkce-required": False,
        "introspection-revocation-allowed": True,  # not the default: the introspection row needs it
        "introspection-revocation-auth-scope": [], "introspection-revocation-allow-target-client": True,
        "register-client-allowed": False, "session-management-allowed": False,
        "encrypt-out-token-allow": False, "oauth-dpop-allowed": False, "resource-allowed": False,
        "oauth-rar-allowed": False, "oauth-par-allowed": False, "oauth-ciba-allowed": False,
    }
    admin("POST", "/api/mod/plugin/", {"module": "oidc", "name": PLUGIN, "display_name": "OpenID Connect",
                                       "order_rank": 0, "parameters": params}, "creating the OIDC plugin instance")

    r = conn.request("GET", f"{issuer_path}/.well-known/openid-configuration")
    if r.status != 200 or r.json().get("issuer") != issuer:
        fail("discovery", r)
    r = conn.request("GET", f"{issuer_path}/jwks")
    keys = r.json().get("keys", []) if r.status == 200 else []
    if len(keys) != 1 or keys[0].get("kty") != "OKP" or keys[0].get("crv") != "Ed25519":
        fail("JWKS (want one OKP Ed25519 key)", r)

    basic = ghhttp.basic_auth(client_id, client_secret)
    auth = {"Authorization": basic}
    r = conn.form(f"{issuer_path}/token", {"grant_type": "client_credentials", "scope": SCOPE}, auth)
    if r.status != 200 or "access_token" not in r.json():
        fail("client_credentials", r)
    cc = r.json()
    cc_header, cc_claims = jwt_part(cc["access_token"], 0), jwt_part(cc["access_token"], 1)
    if cc_header.get("alg") != "EdDSA":
        raise SystemExit(f"glewlwyd provision: client_credentials token header {cc_header}, want alg EdDSA")

    t0 = time.monotonic()
    refresh_tokens: list[str] = []
    user_access = None
    for _ in range(args.refresh_tokens):
        r = conn.form(f"{issuer_path}/token", {"grant_type": "password", "username": "bench", "password": password,
                                               "scope": f"openid {SCOPE}"}, auth)
        if r.status != 200 or "refresh_token" not in r.json():
            fail("password grant", r)
        refresh_tokens.append(r.json()["refresh_token"])
        user_access = r.json()["access_token"]
    mint_s = time.monotonic() - t0

    r = conn.form(f"{issuer_path}/token", {"grant_type": "refresh_token", "refresh_token": refresh_tokens[0]}, auth)
    if r.status != 200 or "access_token" not in r.json():
        fail("refresh_token", r)
    refreshed = r.json()
    rotates = "refresh_token" in refreshed
    if args.one_use and not rotates:
        raise SystemExit("glewlwyd provision: refresh-token-one-use is 'always' but the refresh returned no successor")
    if rotates:
        refresh_tokens[0] = refreshed["refresh_token"]

    r = conn.form(f"{issuer_path}/introspect", {"token": user_access, "token_type_hint": "access_token"}, auth)
    if r.status != 200 or r.json().get("active") is not True:
        fail("introspection of a fresh user access token", r)

    with open(args.tokens, "w") as f:
        f.write("\n".join(refresh_tokens) + "\n")
    state = {
        "url": args.url, "issuer_path": issuer_path, "issuer": issuer, "basic_auth": basic,
        "client_id": client_id, "cc_scope": SCOPE, "user_access_token": user_access,
        "refresh_rotates": rotates, "refresh_tokens": len(refresh_tokens), "mint_seconds": round(mint_s, 3),
    }
    with open(args.out, "w") as f:
        json.dump(state, f, indent=2)
    # One response body of each kind, shown once: the tokens are real.
    print(f"client_credentials response: token_type={cc.get('token_type')} expires_in={cc.get('expires_in')} "
          f"scope={cc.get('scope')!r}; access token header {json.dumps(cc_header)}, "
          f"claims {sorted(cc_claims)}, {len(cc['access_token'])} chars")
    print(f"refresh_token response keys: {sorted(refreshed)}; rotates: {'yes' if rotates else 'no'}")
    print(f"provisioned: client {client_id}, user bench; {len(refresh_tokens)} password-grant refresh tokens "
          f"in {mint_s:.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
