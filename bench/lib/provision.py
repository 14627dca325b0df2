#!/usr/bin/env python3
"""Provision the benchmark's fixtures on a fresh Gatehouse and write them out.

Creates (in tenant `default`, via the admin API): a confidential first-party client, a public
first-party client and a user. Then:
  * checks client_credentials works and keeps one client_credentials access token;
  * signs the user in once (authorization code + PKCE, confidential client) and, re-using that
    browser session, runs N more code flows, each a separate grant with its own refresh token
    (N = refresh chains for the rotation benchmark);
  * keeps a user access token for the introspection benchmark and checks it is active.

Output: a JSON state file (--out) and the refresh tokens, one per line (--tokens).
Environment: GATEHOUSE_ADMIN_TOKEN.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ghhttp  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True, help="http://127.0.0.1:PORT")
    ap.add_argument("--tenant", default="default")
    ap.add_argument("--refresh-tokens", type=int, default=40)
    ap.add_argument("--out", required=True)
    ap.add_argument("--tokens", required=True)
    args = ap.parse_args()

    u = urlsplit(args.url)
    conn = ghhttp.Conn(u.hostname, u.port)
    admin = {"Authorization": f"Bearer {os.environ['GATEHOUSE_ADMIN_TOKEN']}"}
    base = f"/admin/v1/tenants/{args.tenant}"
    issuer_path = f"/t/{args.tenant}"

    def created(resp: ghhttp.Response, what: str) -> dict:
        if resp.status != 201:
            raise SystemExit(f"provision: creating {what} -> {resp.status}: {resp.text()[:500]}")
        return resp.json()

    conf = created(conn.json_post(f"{base}/clients", {
        "name": "bench confidential", "type": "confidential", "redirect_uris": [ghhttp.REDIRECT_URI],
        "grant_types": ["authorization_code", "refresh_token", "client_credentials"], "first_party": True,
    }, admin), "the confidential client")
    pub = created(conn.json_post(f"{base}/clients", {
        "name": "bench public", "type": "public", "redirect_uris": [ghhttp.REDIRECT_URI],
        "grant_types": ["authorization_code", "refresh_token"], "first_party": True,
    }, admin), "the public client")
    email = f"bench-{secrets.token_hex(4)}@example.test"
    password = "bench " + secrets.token_urlsafe(12)
    created(conn.json_post(f"{base}/users", {"email": email, "password": password, "name": "Bench User",
                                             "email_verified": True}, admin), "the user")

    basic = ghhttp.basic_auth(conf["client_id"], conf["client_secret"])
    r = conn.form(f"{issuer_path}/token", {"grant_type": "client_credentials"}, {"Authorization": basic})
    if r.status != 200:
        raise SystemExit(f"provision: client_credentials -> {r.status}: {r.text()[:500]}")
    cc_token = r.json()["access_token"]

    # One real password login, then N code flows on the same browser session (no Argon2 each).
    t0 = time.monotonic()
    browser = ghhttp.Browser(conn)
    refresh_tokens: list[str] = []
    user_access = None
    for _ in range(args.refresh_tokens):
        code, verifier = ghhttp.login(browser, issuer_path, conf["client_id"], email, password)
        tok = ghhttp.redeem(conn, issuer_path, code, verifier, conf["client_id"], conf["client_secret"])
        if "refresh_token" not in tok:
            raise SystemExit(f"provision: no refresh_token in the token response: {sorted(tok)}")
        refresh_tokens.append(tok["refresh_token"])
        user_access = tok["access_token"]
    mint_s = time.monotonic() - t0

    # A rotation must work once before the benchmark (and that first token is then spent: keep its successor).
    r = conn.form(f"{issuer_path}/token", {"grant_type": "refresh_token", "refresh_token": refresh_tokens[0]},
                  {"Authorization": basic})
    if r.status != 200:
        raise SystemExit(f"provision: refresh_token rotation -> {r.status}: {r.text()[:500]}")
    refresh_tokens[0] = r.json()["refresh_token"]

    r = conn.form(f"{issuer_path}/introspect", {"token": user_access}, {"Authorization": basic})
    if r.status != 200 or r.json().get("active") is not True:
        raise SystemExit(f"provision: introspection of a fresh user access token -> {r.status}: {r.text()[:500]}")

    with open(args.tokens, "w") as f:
        f.write("\n".join(refresh_tokens) + "\n")
    state = {
        "url": args.url, "issuer_path": issuer_path, "issuer": f"{args.url}{issuer_path}",
        "confidential_client_id": conf["client_id"], "confidential_client_secret": conf["client_secret"],
        "basic_auth": basic, "public_client_id": pub["client_id"],
        "user_email": email, "user_password": password,
        "cc_access_token": cc_token, "user_access_token": user_access,
        "refresh_tokens": len(refresh_tokens), "mint_seconds": round(mint_s, 3),
    }
    with open(args.out, "w") as f:
        json.dump(state, f, indent=2)
    print(f"provisioned: confidential {conf['client_id']}, public {pub['client_id']}, user {email}; "
          f"{len(refresh_tokens)} refresh-token grants minted in {mint_s:.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
