"""PostgreSQL for the interop tests: fresh databases on the test cluster and Gatehouse nodes on them.

``scripts/test`` starts a throwaway cluster (``scripts/postgres-cluster``) and exports its URL as
``GATEHOUSE_TEST_DATABASE_URL``. Each server or cluster of nodes gets a database of its own
(``fresh_database``), so tests never see each other's tenants.

* ``postgres_env``: the environment that puts one ``gatehouse serve`` on a database (backend,
  URL, a shared master key file).
* ``Nodes``: several nodes on one database behind Debian's nginx (round robin, no stickiness),
  with a ``requests`` adapter that sends each request to a chosen node as if through the proxy.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from gatehouse_client import HTTP_TIMEOUT, AdminAPI
from nginx_helpers import NGINX, nginx_conf, start_nginx
from tenancy_helpers import ExtraServer, _free_port, start_server

DATABASE_URL = os.environ.get("GATEHOUSE_TEST_DATABASE_URL") or None


def fresh_database(prefix: str = "gh") -> str:
    """Creates an empty database on the test cluster; returns its URL."""
    assert DATABASE_URL, "GATEHOUSE_TEST_DATABASE_URL is not set"
    name = f"{prefix}_{secrets.token_hex(6)}"
    subprocess.run(
        ["psql", DATABASE_URL, "-qAt", "-v", "ON_ERROR_STOP=1", "-c", f'CREATE DATABASE "{name}"'],
        check=True,
        capture_output=True,
    )
    parts = urlsplit(DATABASE_URL)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def psql(url: str, sql: str) -> str:
    """Runs ``sql`` on ``url`` with psql; returns its unaligned output."""
    return subprocess.run(
        ["psql", url, "-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True, capture_output=True, text=True
    ).stdout.strip()


def postgres_env(workdir: Path, database_url: str) -> dict[str, str]:
    """Environment for ``gatehouse serve`` on ``database_url`` with a master key of ``workdir``
    (created once, so that every node given the same ``workdir`` shares it)."""
    key = workdir / "master.key"
    if not key.exists():
        workdir.mkdir(parents=True, exist_ok=True)
        key.write_bytes(secrets.token_bytes(32))
        key.chmod(0o600)
    return {
        "GATEHOUSE_STORAGE_BACKEND": "postgres",
        "GATEHOUSE_DATABASE_URL": database_url,
        "GATEHOUSE_MASTER_KEY_FILE": str(key),
    }


NGINX_BALANCER = """
    upstream gatehouse {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://gatehouse;
            proxy_next_upstream error timeout;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
"""


class NodeRouter(HTTPAdapter):
    """Sends each request to node ``choose()`` (an index), as nginx would: the URL keeps the
    public (proxy) address, the connection goes to the node, ``Host`` stays the public one.
    ``served`` records the node index of every request."""

    def __init__(self, public_url: str, nodes: list[str], choose):
        super().__init__()
        self.public_url = public_url
        self.nodes = nodes
        self.choose = choose
        self.served: list[int] = []

    def send(self, request, **kwargs):
        index = self.choose()
        original = request.url
        assert original.startswith(self.public_url), original
        request.url = self.nodes[index] + original[len(self.public_url) :]
        request.headers["Host"] = urlsplit(self.public_url).netloc
        self.served.append(index)
        response = super().send(request, **kwargs)
        response.url = original
        request.url = original
        return response


@dataclass
class Nodes:
    """Several Gatehouse nodes on one database, behind nginx at ``public_url``."""

    public_url: str
    admin_token: str
    database_url: str
    servers: list[ExtraServer]
    nginx: subprocess.Popen | None
    admin: AdminAPI = field(init=False)

    def __post_init__(self):
        self.admin = AdminAPI(self.public_url, self.admin_token)

    def node_url(self, index: int) -> str:
        return self.servers[index].public_url

    def pinned(self, session: requests.Session, choose) -> NodeRouter:
        """Routes ``session``'s requests to the public URL through ``choose()``'s node."""
        router = NodeRouter(self.public_url, [s.public_url for s in self.servers], choose)
        session.mount(self.public_url, router)
        return router

    def at(self, index: int) -> requests.Session:
        """A session whose requests to the public URL go to node ``index``."""
        session = requests.Session()
        self.pinned(session, lambda: index)
        return session

    def stop(self) -> None:
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.terminate()
            self.nginx.wait(timeout=10)
        for server in self.servers:
            server.stop()


def start_nodes(workdir: Path, artifacts: Path, count: int = 3, name: str = "node") -> Nodes:
    """``count`` nodes on a fresh database, sharing master key and admin token, behind nginx."""
    database_url = fresh_database()
    token = "gh_admin_" + secrets.token_urlsafe(32)
    port = _free_port()
    public_url = f"http://127.0.0.1:{port}"
    env = postgres_env(workdir, database_url) | {
        "GATEHOUSE_ADMIN_TOKEN": token,
        "GATEHOUSE_PUBLIC_URL": public_url,
        "GATEHOUSE_TRUSTED_PROXIES": "127.0.0.1/32",
    }
    servers: list[ExtraServer] = []
    try:
        for index in range(count):
            servers.append(start_server(workdir / f"{name}{index + 1}", artifacts / f"gatehouse-{name}{index + 1}.log", env=env))
    except Exception:
        for server in servers:
            server.stop()
        raise
    nginx = None
    if NGINX is not None:
        ndir = workdir / "nginx"
        ndir.mkdir(exist_ok=True)
        upstreams = "\n".join(f"        server {urlsplit(s.public_url).netloc};" for s in servers)
        try:
            nginx = start_nginx(
                ndir, nginx_conf(ndir, NGINX_BALANCER.format(port=port, servers=upstreams), connections=256), f"{public_url}/readyz"
            )
        except RuntimeError:
            for server in servers:
                server.stop()
            raise
    return Nodes(public_url, token, database_url, servers, nginx)


def on(nodes: Nodes, index: int, url: str, method: str = "GET", **kwargs) -> requests.Response:
    """``url`` (under the public URL) sent straight to node ``index``."""
    assert url.startswith(nodes.public_url), url
    headers = {"Host": nodes.public_url.split("://", 1)[1], **kwargs.pop("headers", {})}
    kwargs.setdefault("timeout", HTTP_TIMEOUT)
    kwargs.setdefault("allow_redirects", False)
    return requests.request(method, nodes.node_url(index) + url[len(nodes.public_url) :], headers=headers, **kwargs)
