"""OAuth 2.0 Token Exchange (RFC 8693) with Authlib as the client and PyJWT verifying the issued
tokens against the JWKS: impersonation (a client narrows its user's token or addresses it to
another client of the tenant), delegation (the client's own token as actor: `act`, nested when
the subject was already delegated), and the refusals with the RFC's error codes: unsupported
token types (`invalid_request`), a foreign, expired, revoked or someone else's subject token
(`invalid_grant`), a wider scope (`invalid_scope`), an unknown audience or any `resource`
(`invalid_target`), a client without the grant type (`unauthorized_client`).
"""

from __future__ import annotations

import time

import jwt as pyjwt
import requests

from gatehouse_client import code_flow, describe, verify_pyjwt
from gatehouse_rp import make_rp
from gatehouse_http import HTTP_TIMEOUT

EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS = "urn:ietf:params:oauth:token-type:access_token"


def exchanger(tenant, **extra):
    return tenant.create_client(
        "confidential", grant_types=["authorization_code", "refresh_token", "client_credentials", EXCHANGE], **extra
    )


def exchange(tenant, client, **params) -> requests.Response:
    data = {"grant_type": EXCHANGE, **params}
    return tenant.token_request(data, client)


def user_token(tenant, client, scope: str = "openid profile email") -> tuple[dict, object]:
    user = tenant.create_user()
    flow = code_flow(tenant, client, user, scope=scope)
    return flow.token, user


def own_token(tenant, client) -> str:
    resp = tenant.token_request({"grant_type": "client_credentials"}, client)
    assert resp.status_code == 200, describe(resp)
    return resp.json()["access_token"]


def refused(resp: requests.Response, error: str, status: int = 400) -> None:
    assert resp.status_code == status and resp.json()["error"] == error, describe(resp)


def test_discovery_lists_the_grant(tenant):
    assert EXCHANGE in tenant.discovery["grant_types_supported"]


def test_impersonation_narrows_and_readdresses(tenant):
    client = exchanger(tenant)
    api = tenant.create_client("confidential", grant_types=["client_credentials"], name="downstream API")
    token, user = user_token(tenant, client)
    # Authlib sends the exchange as any other grant (extra parameters go in the body).
    session = make_rp(tenant, client)
    issued = session.fetch_token(
        tenant.endpoint("token_endpoint"), grant_type=EXCHANGE, subject_token=token["access_token"], subject_token_type=ACCESS,
        scope="openid email", audience=api.client_id,
    )
    assert issued["issued_token_type"] == ACCESS and issued["token_type"] == "Bearer", issued
    assert "refresh_token" not in issued and "id_token" not in issued and issued["scope"] == "email openid", issued
    claims = verify_pyjwt(tenant, issued["access_token"], api.client_id)
    assert claims["sub"] == user.id and claims["client_id"] == client.client_id and "act" not in claims, claims
    # The downstream API is the new token's audience; it would need the grant type to exchange it.
    again = exchange(tenant, api, subject_token=issued["access_token"], subject_token_type=ACCESS)
    refused(again, "unauthorized_client")  # it lacks the grant type


def test_delegation_carries_act_and_nests_it(tenant):
    agent = exchanger(tenant, name="agent")
    second = exchanger(tenant, name="second agent")
    token, user = user_token(tenant, agent)
    delegated = exchange(
        tenant, agent, subject_token=token["access_token"], subject_token_type=ACCESS, actor_token=own_token(tenant, agent),
        actor_token_type=ACCESS, audience=second.client_id,
    )
    assert delegated.status_code == 200, describe(delegated)
    claims = verify_pyjwt(tenant, delegated.json()["access_token"], second.client_id)
    assert claims["sub"] == user.id and claims["act"] == {"sub": agent.client_id}, claims
    # The second agent, the audience of that token, delegates again: the chain nests (§4.1).
    chained = exchange(
        tenant, second, subject_token=delegated.json()["access_token"], subject_token_type=ACCESS,
        actor_token=own_token(tenant, second), actor_token_type=ACCESS,
    )
    assert chained.status_code == 200, describe(chained)
    nested = verify_pyjwt(tenant, chained.json()["access_token"], second.client_id)
    assert nested["act"] == {"sub": second.client_id, "act": {"sub": agent.client_id}}, nested
    # Introspection reports the exchanged token as active with its audience.
    shown = tenant.introspect(second, chained.json()["access_token"]).json()
    assert shown["active"] is True and shown["sub"] == user.id, shown


def test_refusals(tenant, other_tenant):
    client = exchanger(tenant)
    token, _ = user_token(tenant, client)
    subject = token["access_token"]
    refused(exchange(tenant, client, subject_token=subject), "invalid_request")
    refused(exchange(tenant, client, subject_token=subject, subject_token_type="urn:ietf:params:oauth:token-type:id_token"), "invalid_request")
    refused(
        exchange(tenant, client, subject_token=subject, subject_token_type=ACCESS, requested_token_type="urn:ietf:params:oauth:token-type:refresh_token"),
        "invalid_request",
    )
    refused(exchange(tenant, client, subject_token=subject, subject_token_type=ACCESS, actor_token=subject), "invalid_request")
    refused(exchange(tenant, client, subject_token="not-a-token", subject_token_type=ACCESS), "invalid_grant")
    refused(exchange(tenant, client, subject_token=subject, subject_token_type=ACCESS, scope="openid phone"), "invalid_scope")
    refused(exchange(tenant, client, subject_token=subject, subject_token_type=ACCESS, audience="pk_test_nobody"), "invalid_target")
    refused(
        exchange(tenant, client, subject_token=subject, subject_token_type=ACCESS, resource="https://api.example.com/"), "invalid_target"
    )
    # Another client's token, even of this tenant, cannot be exchanged by this client.
    other = exchanger(tenant, name="other")
    refused(exchange(tenant, other, subject_token=subject, subject_token_type=ACCESS), "invalid_grant")
    # An actor token of another client is refused.
    refused(
        exchange(tenant, client, subject_token=subject, subject_token_type=ACCESS, actor_token=own_token(tenant, other), actor_token_type=ACCESS),
        "invalid_grant",
    )
    # A token of another tenant is not a token of this issuer.
    foreign_client = exchanger(other_tenant)
    foreign, _ = user_token(other_tenant, foreign_client)
    refused(exchange(tenant, client, subject_token=foreign["access_token"], subject_token_type=ACCESS), "invalid_grant")
    # A revoked subject token is refused.
    assert tenant.revoke(client, subject).status_code == 200
    refused(exchange(tenant, client, subject_token=subject, subject_token_type=ACCESS), "invalid_grant")
    # A client without the grant type is unauthorized_client; a public client cannot have it.
    plain = tenant.create_client("confidential", grant_types=["client_credentials"])
    refused(exchange(tenant, plain, subject_token=own_token(tenant, plain), subject_token_type=ACCESS), "unauthorized_client")
    made = tenant.admin.post(f"/tenants/{tenant.slug}/clients", json={"name": "spa", "type": "public", "redirect_uris": ["https://spa.example/cb"], "grant_types": ["authorization_code", EXCHANGE]})
    assert made.status_code == 422, describe(made)


def test_expired_subject_token(tenant):
    tenant.patch({"settings": {"access_token_ttl": 1}})
    client = exchanger(tenant)
    subject = own_token(tenant, client)
    time.sleep(2.2)
    refused(exchange(tenant, client, subject_token=subject, subject_token_type=ACCESS), "invalid_grant")
    assert pyjwt.decode(subject, options={"verify_signature": False})["client_id"] == client.client_id
