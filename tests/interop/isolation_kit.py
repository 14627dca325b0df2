"""The isolation matrix's tenants (test_isolation.py): one ``Kit`` per tenant with every
artefact it hands out, built through the real admin API, login pages and grants."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from gatehouse_client import (
    AdminAPI,
    Client,
    Flow,
    Tenant,
    User,
    authorization_request,
    code_flow,
    expect,
)
from tenancy_helpers import (
    BROWSER_COOKIE,
    SESSION_COOKIE,
    admin_token,
    client_credentials,
    cookie_value,
    create_admin_client,
    jwks_kids,
    scoped_admin,
    session_ids,
    signed_in,
    unverified,
)

ENVIRONMENTS = {"A": "live", "B": "test", "C": "dev"}

# --------------------------------------------------------------------------- the tenants


@dataclass
class Kit:
    """One tenant and every artefact it hands out."""

    name: str
    tenant: Tenant
    public: Client
    confidential: Client
    headless: Client
    admin_client: Client
    user: User
    headless_user: User
    flow: Flow
    code: str
    code_verifier: str
    hl: dict
    cc_token: str
    admin_token: str
    session_cookie: str
    browser_cookie: str
    browser_sid: str
    kids: set[str]
    needles: dict[str, str] = field(default_factory=dict)
    # The organization (issue 10): ``user`` owns it, ``headless_user`` holds the custom ``role``;
    # ``org_hl`` is the member's headless sign-in acting within it (scope ``organization``).
    org: dict = field(default_factory=dict)
    role: str = ""
    org_hl: dict = field(default_factory=dict)
    # A pending invitation of the organization and a verified domain it holds.
    invitation: dict = field(default_factory=dict)
    domain: str = ""
    # A webhook endpoint (with its secret, answered once) and a queued test delivery of it.
    webhook: dict = field(default_factory=dict)
    webhook_delivery: dict = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return self.tenant.slug

    @property
    def url(self) -> str:
        return self.tenant.public_url

    @property
    def access_tokens(self) -> dict[str, tuple[str, Client]]:
        """label → (token, the client it was issued to)."""
        return {
            "code-flow access token": (self.flow.access_token, self.confidential),
            "headless access token": (self.hl["access_token"], self.headless),
            "client_credentials access token": (self.cc_token, self.confidential),
            "admin-scoped access token": (self.admin_token, self.admin_client),
        }

    @property
    def refresh_tokens(self) -> dict[str, tuple[str, Client]]:
        return {
            "code-flow refresh token": (self.flow.refresh_token, self.confidential),
            "headless refresh token": (self.hl["refresh_token"], self.headless),
        }

    @property
    def id_tokens(self) -> dict[str, str]:
        return {"code-flow ID token": self.flow.id_token, "headless ID token": self.hl["id_token"]}

    @property
    def cookies(self) -> dict[str, str]:
        """The browser's cookies (session and browser binding), to replay elsewhere."""
        return {SESSION_COOKIE: self.session_cookie, BROWSER_COOKIE: self.browser_cookie}

    def cookie_header(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}


def build_kit(admin: AdminAPI, name: str, environment: str) -> Kit:
    tenant = admin.create_tenant(name=f"Isolation {name}", environment=environment)
    # Codes must survive the whole matrix so that they can be redeemed at home at the end.
    tenant.patch({"settings": {"authorization_code_ttl": 600}})
    base = f"https://rp-{tenant.slug}.example"
    uris = {"redirect_uris": [f"{base}/cb"], "post_logout_redirect_uris": [f"{base}/signed-out"]}
    public = tenant.create_client("public", name=f"{name} public", **uris)
    confidential = tenant.create_client(
        "confidential",
        name=f"{name} backend",
        grant_types=["authorization_code", "refresh_token", "client_credentials"],
        **uris,
    )
    hl_client = tenant.create_client(
        "public",
        name=f"{name} app",
        first_party=True,
        grant_types=["authorization_code", "refresh_token"],
        **uris,
    )
    admin_client = create_admin_client(tenant)
    user = tenant.create_user(
        email=f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.test", name=f"User {tenant.slug}"
    )
    hl_user = tenant.create_user(
        email=f"{name.lower()}-hl-{uuid.uuid4().hex[:8]}@example.test", name=f"App {tenant.slug}"
    )

    # A browser session through the real login (and consent) pages, and the code flow's tokens.
    flow = code_flow(tenant, confidential, user)
    # An unused code: same browser, session and consent exist, so the server answers at once.
    _, url, _, _, verifier = authorization_request(tenant, confidential)
    auth = flow.browser.authorize(url, confidential.redirect_uri, user=None, consent=None)
    assert auth.code, auth.trace()

    hl = signed_in(tenant.public_url, hl_client, hl_user)
    cc = client_credentials(tenant, confidential)
    assert cc.status_code == 200, cc.text
    admin_tok = admin_token(tenant, admin_client)

    session_cookie = cookie_value(flow.browser, SESSION_COOKIE)
    browser_cookie = cookie_value(flow.browser, BROWSER_COOKIE)
    assert session_cookie and browser_cookie, list(flow.browser.http.cookies)
    browser_sid = unverified(flow.id_token)[1]["sid"]
    assert browser_sid in session_ids(admin, tenant.slug)

    kit = Kit(
        name=name,
        tenant=tenant,
        public=public,
        confidential=confidential,
        headless=hl_client,
        admin_client=admin_client,
        user=user,
        headless_user=hl_user,
        flow=flow,
        code=auth.code,
        code_verifier=verifier,
        hl=hl,
        cc_token=cc.json()["access_token"],
        admin_token=admin_tok,
        session_cookie=session_cookie,
        browser_cookie=browser_cookie,
        browser_sid=browser_sid,
        kids=jwks_kids(tenant),
    )
    needles = {
        "tenant id": tenant.id,
        "slug": tenant.slug,
        "public client_id": public.client_id,
        "confidential client_id": confidential.client_id,
        "confidential secret": confidential.client_secret,
        "headless client_id": hl_client.client_id,
        "admin client_id": admin_client.client_id,
        "admin client secret": admin_client.client_secret,
        "user id": user.id,
        "user email": user.email,
        "headless user id": hl_user.id,
        "headless user email": hl_user.email,
        "browser session id": browser_sid,
        "headless session id": hl["session"]["id"],
        "unused code": kit.code,
        "session cookie": session_cookie,
        "browser cookie": browser_cookie,
    }
    for kid in kit.kids:
        needles[f"kid {kid[:8]}"] = kid
    for label, (token, _) in {**kit.access_tokens, **kit.refresh_tokens}.items():
        needles[label] = token
    for label, token in kit.id_tokens.items():
        needles[label] = token
    for label, (token, _) in kit.access_tokens.items():
        jti = unverified(token)[1].get("jti", "")
        needles[f"{label} jti"] = jti
        grant = jti.split(".")[0]
        if grant.startswith("grt_"):
            needles[f"{label} grant id"] = grant
    kit.needles = {f"{name}.{label}": value for label, value in needles.items() if value}
    add_organization(kit)
    add_webhook(kit)
    return kit


def add_webhook(kit: Kit) -> None:
    """Give ``kit`` a webhook endpoint and a test delivery; their ids, URL and secret become needles."""
    api = scoped_admin(kit.tenant, kit.admin_token)
    base = f"/tenants/{kit.slug}/webhooks"
    url = f"https://hooks-{kit.name.lower()}.isolation.example/{uuid.uuid4().hex[:8]}"
    kit.webhook = expect(api.post(base, json={"url": url, "events": ["user.created"]}), 201).json()
    kit.webhook_delivery = expect(api.post(f"{base}/{kit.webhook['id']}/test"), 202).json()
    needles = {
        "webhook id": kit.webhook["id"],
        "webhook url": url,
        "webhook secret": kit.webhook["secret"],
        "webhook delivery id": kit.webhook_delivery["id"],
        "webhook event id": kit.webhook_delivery["event_id"],
    }
    kit.needles.update({f"{kit.name}.{label}": value for label, value in needles.items() if value})


ORG_SCOPE = "openid organization"


def add_organization(kit: Kit) -> None:
    """Give ``kit`` an organization owned by its user, a custom role held by its headless user,
    and that member's headless sign-in within the organization; their identifiers and tokens
    become needles."""
    api = scoped_admin(kit.tenant, kit.admin_token)
    base = f"/tenants/{kit.slug}"
    kit.role = f"auditor-{kit.name.lower()}-{uuid.uuid4().hex[:8]}"
    role = {"name": kit.role, "permissions": ["audit:read"]}
    expect(api.post(f"{base}/roles", json=role), 201)
    slug = f"org-{kit.name.lower()}-{uuid.uuid4().hex[:8]}"
    body = {"name": f"Organization {kit.name}", "slug": slug, "owner_user_id": kit.user.id}
    kit.org = expect(api.post(f"{base}/organizations", json=body), 201).json()
    member = {"user_id": kit.headless_user.id, "role": kit.role}
    expect(api.post(f"{base}/organizations/{kit.org['id']}/members", json=member), 201)
    kit.org_hl = signed_in(
        kit.url, kit.headless, kit.headless_user, scope=ORG_SCOPE, organization=kit.org["id"]
    )
    claims = unverified(kit.org_hl["access_token"])[1]
    assert (claims.get("org_id"), claims.get("org_role")) == (kit.org["id"], kit.role), claims
    org_path = f"{base}/organizations/{kit.org['id']}"
    invitee = {"email": f"invitee-{kit.name.lower()}-{uuid.uuid4().hex[:8]}@isolation.example", "role": kit.role}
    kit.invitation = expect(api.post(f"{org_path}/invitations", json=invitee), 201).json()
    kit.domain = f"{kit.name.lower()}-{uuid.uuid4().hex[:8]}.isolation.example"
    expect(api.post(f"{org_path}/domains", json={"domain": kit.domain}), 201)
    expect(api.post(f"{org_path}/domains/{kit.domain}/verify"), 200)
    needles = {
        "organization id": kit.org["id"],
        "organization slug": slug,
        "custom role": kit.role,
        "organization access token": kit.org_hl["access_token"],
        "organization refresh token": kit.org_hl["refresh_token"],
        "organization ID token": kit.org_hl["id_token"],
        "organization session id": kit.org_hl["session"]["id"],
        "organization grant id": claims.get("jti", "").split(".")[0],
        "invitation id": kit.invitation["id"],
        "invited address": kit.invitation["email"],
        "organization domain": kit.domain,
    }
    kit.needles.update({f"{kit.name}.{label}": value for label, value in needles.items() if value})
