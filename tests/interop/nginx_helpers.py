"""Debian's nginx for the interop tests: its path and the configuration frame every test uses
(one worker, everything under the test's own folder)."""

from __future__ import annotations

import shutil
from pathlib import Path

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

_FRAME = """
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections {connections}; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
{http}
}}
"""


def nginx_conf(directory: Path, http: str, connections: int = 64) -> str:
    """A whole nginx.conf whose files live in ``directory``, with ``http`` (server and upstream
    blocks) inside its ``http`` block."""
    return _FRAME.format(dir=directory, connections=connections, http=http)
