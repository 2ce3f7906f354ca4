"""nginx in front of the production profile's Rasa replicas and action servers.

Round robin, so consecutive turns of one conversation land on different replicas: that is
safe because every replica reads the conversation from the shared tracker store under the
Redis lock. When a replica refuses the connection or dies before answering, nginx sends the
request to the next one with the same X-Request-Id, and a message already handled is answered
from the conversation, not handled again (bot/channels/redelivery.py). Rasa's socket.io
channel would need sticky sessions (`hash $remote_addr`); it is off.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

NGINX = "nginx"
BUFFER_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Upstream:
    """One listening address in front of several local servers."""

    name: str
    listen_host: str
    listen_port: int
    backend_ports: tuple[int, ...]
    max_body_bytes: int  # 0: no limit here (the servers behind have their own)
    read_timeout_s: int  # a server silent this long is taken as hung
    # Pass a request on to the next server even once it was sent (the server died or hung
    # mid-turn): only where a message delivered twice is answered from the conversation (the
    # Rasa replicas), never for the actions.
    retry_sent: bool = False


def nginx_binary() -> str | None:
    """nginx on PATH or in /usr/sbin (Debian), or None."""
    return shutil.which(NGINX) or shutil.which(NGINX, path="/usr/sbin:/usr/local/sbin")


def _server_block(up: Upstream) -> str:
    servers = "\n".join(
        f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=3s;" for port in up.backend_ports
    )
    retry = "error timeout non_idempotent" if up.retry_sent else "error"
    # Bodies up to 8 MB are kept in memory; larger ones go to the temporary folder.
    buffer = min(up.max_body_bytes or BUFFER_BYTES, BUFFER_BYTES)
    return (
        f"  upstream {up.name} {{\n{servers}\n  }}\n"
        f"  server {{\n"
        f"    listen {up.listen_host}:{up.listen_port};\n"
        f"    client_max_body_size {up.max_body_bytes};\n"
        f"    client_body_buffer_size {buffer};\n"
        f"    proxy_read_timeout {up.read_timeout_s}s;\n"
        f"    proxy_next_upstream {retry};\n"
        f"    location / {{ proxy_pass http://{up.name}; }}\n"
        f"  }}\n"
    )


def nginx_config(upstreams: list[Upstream], run_dir: Path) -> str:
    """A complete nginx.conf running in the foreground, with its files under `run_dir`."""
    temp = "\n".join(
        f"  {kind}_temp_path {run_dir / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        "worker_processes 1;\n"
        "daemon off;\n"
        f"pid {run_dir / 'nginx.pid'};\n"
        "error_log stderr warn;\n"
        "events { worker_connections 4096; }\n"
        "http {\n"
        "  access_log off;\n"  # the replicas log what they handle; no client addresses here
        f"{temp}\n"
        "  proxy_http_version 1.1;\n"
        "  proxy_set_header Host $host;\n"
        "  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
        "  proxy_set_header X-Request-Id $request_id;\n"  # the same on a retry
        "  proxy_connect_timeout 2s;\n"
        "  proxy_buffering off;\n" + "".join(_server_block(up) for up in upstreams) + "}\n"
    )


def nginx_command(binary: str, config: Path, run_dir: Path) -> list[str]:
    """nginx in the foreground with `config`, its prefix in `run_dir`."""
    return [binary, "-c", str(config), "-p", str(run_dir)]
