"""`python -m bot.cli.action_server`: rasa-sdk's action server, answering only Rasa.

rasa-sdk's own server runs any action for anyone who reaches its port, with whatever tracker
(and so whatever proof of ownership) the request carries. This one refuses every request but
`/health` unless it carries the shared key `ACTION_SERVER_KEY` in the `X-Action-Key` header,
which Rasa sends from `endpoints.yml`. Without a key of at least 32 bytes it does not start.
It binds to 127.0.0.1 unless `SANIC_HOST` says otherwise (a private network, never the
internet).
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
import sys

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.cli.rasa_entry import quiet_third_party_deprecations
from bot.privacy.log_filter import install_log_redaction

logger = logging.getLogger(__name__)

ACTION_KEY_HEADER = "X-Action-Key"
ACTION_KEY_ENV = "ACTION_SERVER_KEY"
MIN_KEY_BYTES = 32
OPEN_PATHS = frozenset({"/health"})  # a load balancer's probe needs no key


def key_accepted(given: str | None, key: str) -> bool:
    """Whether `given` (the request's header) is the shared key, compared in constant time."""
    # Sanic hands undecodable header bytes over as surrogates: encoded back, never an error.
    return given is not None and hmac.compare_digest(
        given.encode("utf-8", "surrogateescape"), key.encode()
    )


def create_action_app(key: str, actions_package: str = "actions") -> Sanic:
    """rasa-sdk's app for `actions_package`, with every request but /health checked for `key`."""
    from rasa_sdk.endpoint import create_app

    app = create_app(actions_package, cors_origins=None)

    async def require_key(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS or key_accepted(request.headers.get(ACTION_KEY_HEADER), key):
            return None
        logger.warning("action server: refused a request without the key to %s", request.path)
        return response.json({"error": "unauthorised"}, status=401)

    app.register_middleware(require_key, "request")
    return app


def main(argv: list[str] | None = None) -> int:
    """Start the action server on --port; exit 1 without a usable ACTION_SERVER_KEY."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--actions", default="actions")
    args = parser.parse_args(argv)
    quiet_third_party_deprecations()
    install_log_redaction()
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)-7s %(name)s - %(message)s",
    )
    key = os.environ.get(ACTION_KEY_ENV, "")
    if len(key.encode()) < MIN_KEY_BYTES:
        logger.error("%s must be set to at least %d bytes", ACTION_KEY_ENV, MIN_KEY_BYTES)
        return 1
    host = os.environ.get("SANIC_HOST", "127.0.0.1")
    app = create_action_app(key, args.actions)
    logger.info("action server listening on %s:%d", host, args.port)
    app.run(host, args.port, workers=1, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
