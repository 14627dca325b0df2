"""Metrics per Prometheus conventions (parsed by prometheus_client) and JSON access logs without secrets."""

from __future__ import annotations

import json
import re

import requests
from prometheus_client.parser import text_string_to_metric_families

from tenancy_helpers import signed_in, start_server

NAME = re.compile(r"^gatehouse_[a-z0-9_]+$")


def families(url: str) -> dict:
    resp = requests.get(f"{url}/metrics", timeout=10)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return {f.name: f for f in text_string_to_metric_families(resp.text)}


def test_metrics_follow_prometheus_conventions(server, tenant):
    client = tenant.create_client(first_party=True)
    user = tenant.create_user()
    signed_in(server.public_url, client, user, use_secret=True)
    assert tenant.token_request({"grant_type": "client_credentials"}, client).status_code == 200
    requests.get(f"{server.public_url}/nope/{tenant.slug}", timeout=10)  # unmatched: no new series
    found = families(server.public_url)

    for name, family in found.items():
        assert NAME.match(name), name
        assert family.documentation, f"{name} has no HELP line"
        assert family.type in {"counter", "gauge", "histogram"}, (name, family.type)
        for sample in family.samples:
            assert "error_type" not in sample.labels, sample
            assert "tenant" not in sample.labels and tenant.slug not in json.dumps(sample.labels), sample
            if family.type == "histogram":
                assert name.endswith("_seconds"), name

    # prometheus_client strips _total from counter family names.
    requests_total = found["gatehouse_http_requests"]
    assert requests_total.type == "counter"
    routes = {s.labels["route"] for s in requests_total.samples}
    assert "/t/{slug}/token" in routes and "unmatched" in routes and f"/t/{tenant.slug}/token" not in routes
    assert {s.labels["status_class"] for s in requests_total.samples} <= {"1xx", "2xx", "3xx", "4xx", "5xx"}
    assert found["gatehouse_http_request_duration_seconds"].type == "histogram"
    issued = {s.labels["grant_type"]: s.value for s in found["gatehouse_tokens_issued"].samples if s.name.endswith("_total")}
    assert issued.get("client_credentials", 0) >= 1
    assert [s.labels["version"] for s in found["gatehouse_build_info"].samples]
    for gauge in ("gatehouse_hashing_pool_jobs", "gatehouse_tenant_databases_open", "gatehouse_tenants", "gatehouse_sqlite_memory_bytes"):
        assert found[gauge].type == "gauge", gauge
    checkpoints = found["gatehouse_sqlite_wal_checkpointed_frames"]
    assert checkpoints.type == "counter"
    assert {s.labels["on"] for s in checkpoints.samples if s.name.endswith("_total")} == {"background", "writer"}


def test_json_access_log_has_one_line_per_request_and_no_secrets(tmp_path, artifacts_dir):
    log_path = artifacts_dir / "gatehouse-json-log.log"
    srv = start_server(tmp_path / "json-log", log_path, config='[log]\nformat = "json"\n',
                       env={"GATEHOUSE_LOG_LEVEL": "info"})
    try:
        tenant = srv.admin.create_tenant()
        client = tenant.create_client(first_party=True)
        user = tenant.create_user()
        tokens = signed_in(srv.public_url, client, user, use_secret=True)
        refreshed = tenant.token_request({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, client).json()
        resp = requests.get(f"{tenant.issuer}/userinfo?access_token={tokens['access_token']}",
                            headers={"Authorization": f"Bearer {refreshed['access_token']}"}, timeout=10)
        request_id = resp.headers.get("X-Request-Id")
        assert request_id
    finally:
        srv.stop()
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    access = [entry for entry in lines if entry.get("message") == "request"]
    assert access, log_path.read_text()[-2000:]
    for entry in access:
        assert {"method", "route", "status", "duration_ms", "request_id", "client", "level", "time"} <= set(entry), entry
        assert "?" not in entry["route"], entry
    userinfo = [e for e in access if e["request_id"] == request_id]
    assert len(userinfo) == 1 and userinfo[0]["route"] == "/t/{slug}/userinfo" and userinfo[0]["tenant"] == tenant.slug
    text = log_path.read_text()
    secrets = [client.client_secret, user.password, srv.admin_token, tokens["access_token"], tokens["refresh_token"],
               refreshed["access_token"], refreshed["refresh_token"]]
    for secret in secrets:
        assert secret not in text, "a secret reached the log"
