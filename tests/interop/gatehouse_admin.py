"""The instance admin API for the interop suite (re-exported by ``gatehouse_client``): ``AdminAPI``,
``Tenant`` (clients, users, raw protocol calls) and the ``Client`` / ``User`` records."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

import requests

from gatehouse_http import (
    DEFAULT_PASSWORD,
    DEFAULT_POST_LOGOUT_REDIRECT_URI,
    DEFAULT_REDIRECT_URI,
    HTTP_TIMEOUT,
    basic_auth_header,
    expect,
    unique_email,
    unique_slug,
)


# --------------------------------------------------------------------------- admin


@dataclass
class Client:
    client_id: str
    client_secret: str | None
    type: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    grant_types: list[str]
    raw: dict

    @property
    def redirect_uri(self) -> str:
        return self.redirect_uris[0]

    @property
    def post_logout_redirect_uri(self) -> str:
        return self.post_logout_redirect_uris[0]

    def basic_auth(self) -> dict[str, str]:
        assert self.client_secret, "public clients have no secret"
        return {"Authorization": basic_auth_header(self.client_id, self.client_secret)}


@dataclass
class User:
    id: str
    email: str
    password: str
    name: str
    raw: dict


class AdminAPI:
    def __init__(self, public_url: str, token: str):
        self.public_url = public_url.rstrip("/")
        self.token = token
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.http.headers["Accept"] = "application/json"

    def url(self, path: str) -> str:
        return f"{self.public_url}/admin/v1{path}"

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        return self.http.request(method, self.url(path), **kwargs)

    def get(self, path: str, **kw) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw) -> requests.Response:
        return self.request("POST", path, **kw)

    def patch(self, path: str, **kw) -> requests.Response:
        return self.request("PATCH", path, **kw)

    def put(self, path: str, **kw) -> requests.Response:
        return self.request("PUT", path, **kw)

    def delete(self, path: str, **kw) -> requests.Response:
        return self.request("DELETE", path, **kw)

    def create_tenant(
        self, slug: str | None = None, name: str | None = None, environment: str = "test"
    ) -> Tenant:
        slug = slug or unique_slug()
        resp = self.post(
            "/tenants",
            json={"slug": slug, "name": name or f"Interop {slug}", "environment": environment},
        )
        expect(resp, 201)
        return Tenant(self, resp.json())

    def all_tenants(self) -> list[dict]:
        """Every tenant, following the list's cursors (`next_cursor`)."""
        tenants, cursor = [], None
        while True:
            body = expect(self.get("/tenants", params={"limit": 1000, **({"after": cursor} if cursor else {})}), 200).json()
            tenants += body["tenants"]
            cursor = body.get("next_cursor")
            if not cursor:
                return tenants

    def tenant(self, slug: str) -> Tenant:
        resp = expect(self.get(f"/tenants/{slug}"), 200)
        return Tenant(self, resp.json())


class Tenant:
    def __init__(self, admin: AdminAPI, data: dict):
        self.admin = admin
        self.raw = data
        self.id: str = data["id"]
        self.slug: str = data["slug"]
        self.issuer: str = data["issuer"]
        self.public_url = admin.public_url

    def __repr__(self) -> str:
        return f"<Tenant {self.slug} {self.issuer}>"

    @cached_property
    def discovery(self) -> dict:
        resp = requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=HTTP_TIMEOUT)
        expect(resp, 200)
        return resp.json()

    def endpoint(self, name: str) -> str:
        url = self.discovery.get(name)
        assert url, f"discovery of {self.slug} lacks {name}"
        return url

    @property
    def jwks(self) -> dict:
        return expect(requests.get(self.endpoint("jwks_uri"), timeout=HTTP_TIMEOUT), 200).json()

    def create_client(
        self,
        type: str = "confidential",
        *,
        redirect_uris: Iterable[str] | None = None,
        post_logout_redirect_uris: Iterable[str] | None = None,
        grant_types: Iterable[str] | None = None,
        first_party: bool = False,
        name: str | None = None,
        **extra: Any,
    ) -> Client:
        if grant_types is None:
            grant_types = ["authorization_code", "refresh_token"]
            if type == "confidential":
                grant_types.append("client_credentials")
        body = {
            "name": name or f"{type} client",
            "type": type,
            "redirect_uris": list(redirect_uris or [DEFAULT_REDIRECT_URI]),
            "post_logout_redirect_uris": list(
                post_logout_redirect_uris or [DEFAULT_POST_LOGOUT_REDIRECT_URI]
            ),
            "grant_types": list(grant_types),
            "first_party": first_party,
            **extra,
        }
        resp = expect(self.admin.post(f"/tenants/{self.slug}/clients", json=body), 201)
        data = resp.json()
        assert data.get("client_id"), data
        if type == "confidential":
            assert data.get("client_secret"), f"confidential client without secret: {data}"
        return Client(
            client_id=data["client_id"],
            client_secret=data.get("client_secret"),
            type=type,
            redirect_uris=body["redirect_uris"],
            post_logout_redirect_uris=body["post_logout_redirect_uris"],
            grant_types=body["grant_types"],
            raw=data,
        )

    def create_user(
        self,
        email: str | None = None,
        password: str = DEFAULT_PASSWORD,
        name: str = "Ada Lovelace",
        email_verified: bool = True,
    ) -> User:
        email = email or unique_email()
        body = {"email": email, "password": password, "name": name, "email_verified": email_verified}
        resp = expect(self.admin.post(f"/tenants/{self.slug}/users", json=body), 201)
        data = resp.json()
        return User(id=data["id"], email=email, password=password, name=name, raw=data)

    def patch(self, body: dict) -> dict:
        return expect(self.admin.patch(f"/tenants/{self.slug}", json=body), 200).json()

    # -------- raw protocol calls (plain requests, no RP library)

    def token_request(
        self,
        data: dict | list | str,
        client: Client | None = None,
        auth: str = "basic",
        headers: dict | None = None,
    ) -> requests.Response:
        """POST to the token endpoint. auth: basic | post | none (adds client_id) | raw."""
        hdrs = {"Accept": "application/json"}
        if isinstance(data, dict):
            data = dict(data)
        if client is not None and auth == "basic":
            hdrs.update(client.basic_auth())
        elif client is not None and auth == "post":
            assert isinstance(data, dict)
            data.update(client_id=client.client_id, client_secret=client.client_secret)
        elif client is not None and auth == "none":
            assert isinstance(data, dict)
            data.update(client_id=client.client_id)
        if isinstance(data, str):
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        hdrs.update(headers or {})
        return requests.post(
            self.endpoint("token_endpoint"),
            data=data,
            headers=hdrs,
            timeout=HTTP_TIMEOUT,
            allow_redirects=False,
        )

    def introspect(self, client: Client | None, token: str, hint: str | None = None) -> requests.Response:
        data = {"token": token}
        if hint:
            data["token_type_hint"] = hint
        headers = {"Accept": "application/json"}
        if client is not None:
            headers.update(client.basic_auth())
        return requests.post(
            self.endpoint("introspection_endpoint"),
            data=data,
            headers=headers,
            timeout=HTTP_TIMEOUT,
            allow_redirects=False,
        )

    def is_active(self, client: Client, token: str) -> bool:
        resp = expect(self.introspect(client, token), 200)
        return resp.json().get("active") is True

    def revoke(self, client: Client, token: str, hint: str | None = None) -> requests.Response:
        data = {"token": token}
        if hint:
            data["token_type_hint"] = hint
        if client.client_secret:
            headers = client.basic_auth()
        else:
            headers = {}
            data["client_id"] = client.client_id
        return requests.post(
            self.endpoint("revocation_endpoint"),
            data=data,
            headers=headers,
            timeout=HTTP_TIMEOUT,
            allow_redirects=False,
        )

    def userinfo(self, access_token: str | None, method: str = "GET") -> requests.Response:
        headers = {"Accept": "application/json"}
        if access_token is not None:
            headers["Authorization"] = f"Bearer {access_token}"
        return requests.request(
            method,
            self.endpoint("userinfo_endpoint"),
            headers=headers,
            timeout=HTTP_TIMEOUT,
            allow_redirects=False,
        )

    def refresh(self, client: Client, refresh_token: str) -> requests.Response:
        auth = "basic" if client.client_secret else "none"
        return self.token_request(
            {"grant_type": "refresh_token", "refresh_token": refresh_token}, client, auth=auth
        )

    def authorize_url(self, params: dict) -> str:
        return f"{self.endpoint('authorization_endpoint')}?{urlencode(params)}"
