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


@dataclass(frozen=True)
class Upstream:
    """One listening address in front of several local servers."""

    name: str
    listen_host: str
    listen_port: int
    backend_ports: tuple[int, ...]
    # Pass a POST on to the next server even if it was sent: only where a message delivered
    # twice is answered from the conversation (the Rasa replicas), never for the actions.
    retry_sent: bool = False


def nginx_binary() -> str | None:
    """nginx on PATH or in /usr/sbin (Debian), or None."""
    return shutil.which(NGINX) or shutil.which(NGINX, path="/usr/sbin:/usr/local/sbin")


def nginx_config(upstreams: list[Upstream], run_dir: Path, max_body_bytes: int) -> str:
    """A complete nginx.conf running in the foreground, with its files under `run_dir`."""
    blocks = []
    for up in upstreams:
        servers = "\n".join(
            f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=3s;" for port in up.backend_ports
        )
        blocks.append(
            f"  upstream {up.name} {{\n{servers}\n  }}\n"
            f"  server {{\n"
            f"    listen {up.listen_host}:{up.listen_port};\n"
            f"    proxy_next_upstream error{' non_idempotent' if up.retry_sent else ''};\n"
            f"    location / {{ proxy_pass http://{up.name}; }}\n"
            f"  }}\n"
        )
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
        f"  client_max_body_size {max_body_bytes};\n"
        f"  client_body_buffer_size {max_body_bytes};\n"
        "  proxy_http_version 1.1;\n"
        "  proxy_set_header Host $host;\n"
        "  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
        "  proxy_connect_timeout 2s;\n"
        "  proxy_read_timeout 120s;\n"
        "  proxy_set_header X-Request-Id $request_id;\n"  # the same on a retry
        "  proxy_buffering off;\n" + "".join(blocks) + "}\n"
    )


def nginx_command(binary: str, config: Path, run_dir: Path) -> list[str]:
    """nginx in the foreground with `config`, its prefix in `run_dir`."""
    return [binary, "-c", str(config), "-p", str(run_dir)]
