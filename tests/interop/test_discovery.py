"""Discovery (OIDC Discovery 1.0, RFC 8414), JWKS and health endpoints."""

import requests

from gatehouse_client import HTTP_TIMEOUT, expect

ENDPOINTS = (
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "revocation_endpoint",
    "introspection_endpoint",
    "end_session_endpoint",
)
PRIVATE_JWK_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


def get_json(url):
    resp = expect(requests.get(url, timeout=HTTP_TIMEOUT), 200)
    assert resp.headers.get("Content-Type", "").startswith("application/json"), resp.headers
    return resp.json()


def test_health_endpoints_answer_200(public_url):
    for path in ("/healthz", "/readyz"):
        expect(requests.get(public_url + path, timeout=HTTP_TIMEOUT), 200)


def test_discovery_declares_the_contract_metadata(tenant, public_url):
    doc = get_json(f"{tenant.issuer}/.well-known/openid-configuration")
    assert tenant.issuer == f"{public_url}/t/{tenant.slug}"
    assert doc["issuer"] == tenant.issuer
    for name in ENDPOINTS:
        assert doc.get(name), f"missing {name}"
        assert doc[name].startswith(tenant.issuer + "/"), (name, doc[name])
    assert doc["response_types_supported"] == ["code"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert "EdDSA" in doc["id_token_signing_alg_values_supported"]
    assert doc["authorization_response_iss_parameter_supported"] is True
    assert {"authorization_code", "refresh_token", "client_credentials"} <= set(doc["grant_types_supported"])
    assert {"client_secret_basic", "client_secret_post", "none"} <= set(
        doc["token_endpoint_auth_methods_supported"]
    )
    assert {"openid", "profile", "email", "offline_access"} <= set(doc["scopes_supported"])
    assert {"query", "form_post"} <= set(doc["response_modes_supported"])
    assert doc["subject_types_supported"] and isinstance(doc["subject_types_supported"], list)
    assert {"sub", "iss", "email", "name"} <= set(doc["claims_supported"])


def test_rfc8414_metadata_is_the_same_document(tenant, public_url):
    oidc = get_json(f"{tenant.issuer}/.well-known/openid-configuration")
    rfc8414 = get_json(f"{public_url}/.well-known/oauth-authorization-server/t/{tenant.slug}")
    assert rfc8414 == oidc


def test_default_tenant_exists_at_first_start(public_url):
    doc = get_json(f"{public_url}/t/default/.well-known/openid-configuration")
    assert doc["issuer"] == f"{public_url}/t/default"


def test_unknown_tenant_has_no_discovery(public_url):
    resp = requests.get(
        f"{public_url}/t/no-such-tenant-0000/.well-known/openid-configuration",
        timeout=HTTP_TIMEOUT,
    )
    assert resp.status_code == 404, resp.status_code


def test_jwks_publishes_only_public_ed25519_keys(tenant):
    jwks = get_json(tenant.discovery["jwks_uri"])
    keys = jwks["keys"]
    assert keys, jwks
    kids = [k.get("kid") for k in keys]
    assert all(kids) and len(set(kids)) == len(kids), kids
    okp = [k for k in keys if k.get("kty") == "OKP"]
    assert okp, f"no OKP key: {jwks}"
    for key in okp:
        assert key["crv"] == "Ed25519", key
        assert key["alg"] == "EdDSA", key
        assert key.get("x"), key
    for key in keys:
        leaked = PRIVATE_JWK_MEMBERS & set(key)
        assert not leaked, f"private members {leaked} in {key}"


def test_each_tenant_has_its_own_signing_keys(tenant, other_tenant):
    def material(t):
        return {k.get("x") or k.get("n") for k in t.jwks["keys"]} - {None}

    a, b = material(tenant), material(other_tenant)
    assert a and b
    assert not a & b, "tenants share a public key"
