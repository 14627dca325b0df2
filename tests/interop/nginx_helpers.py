"""Debian's nginx for the interop tests: its path and the configuration frame every test uses
(one worker, everything under the test's own folder)."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import requests

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

_FRAME = """
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections {connections}; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/client_body;
    # Bodies up to nginx's own limit stay in memory: as root, the worker runs as nobody and cannot
    # write to the test's private folder.
    client_body_buffer_size 1m;
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


def start_nginx(directory: Path, conf: str, ready_url: str, timeout: float = 15.0) -> subprocess.Popen:
    """Writes ``conf`` to ``directory/nginx.conf``, starts nginx in the foreground and waits until
    ``ready_url`` answers 200 through it.
    - Raises: RuntimeError with nginx's stderr and error log when it does not come up."""
    path = directory / "nginx.conf"
    path.write_text(conf)
    proc = subprocess.Popen(
        [NGINX, "-c", str(path), "-p", str(directory), "-g", "daemon off;"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=open(directory / "stderr.log", "wb"),
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(ready_url, timeout=2).status_code == 200:
                return proc
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            errors = (directory / "error.log").read_text() if (directory / "error.log").exists() else ""
            raise RuntimeError(f"nginx did not start: {(directory / 'stderr.log').read_text()} {errors}")
        time.sleep(0.2)
