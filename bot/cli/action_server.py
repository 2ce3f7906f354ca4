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
import time

from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.cli.rasa_entry import quiet_third_party_deprecations
from bot.privacy.log_filter import install_log_redaction

logger = logging.getLogger(__name__)

ACTION_KEY_HEADER = "X-Action-Key"
ACTION_KEY_ENV = "ACTION_SERVER_KEY"
MIN_KEY_BYTES = 32
MAX_CALL_BYTES = 64 * 1024 * 1024  # a call carries the whole conversation
OPEN_PATHS = frozenset({"/health"})  # a load balancer's probe needs no key


def key_accepted(given: str | None, key: str) -> bool:
    """Whether `given` (the request's header) is the shared key, compared in constant time."""
    # Sanic hands undecodable header bytes over as surrogates: encoded back, never an error.
    return given is not None and hmac.compare_digest(
        given.encode("utf-8", "surrogateescape"), key.encode()
    )


def stale(call: object, now: float, timeout_s: float) -> bool:
    """Whether an action call waited longer than Rasa waits for its answer: Rasa has already
    apologised and dropped the turn, so running it now would do what the customer was told
    was not done. Told by the tracker's `latest_event_time` (Rasa's clock; same host or NTP)."""
    if not isinstance(call, dict) or not isinstance(call.get("tracker"), dict):
        return False
    latest = call["tracker"].get("latest_event_time")
    return isinstance(latest, int | float) and now - latest > timeout_s


def create_action_app(key: str, actions_package: str = "actions") -> Sanic:
    """rasa-sdk's app for `actions_package`, with every request but /health checked for `key`,
    calls Rasa has given up on refused, and errors answered without echoing the request."""
    from rasa_sdk.endpoint import create_app

    from bot.cli.action_outage import action_timeout_s

    app = create_app(actions_package, cors_origins=None)
    app.config.REQUEST_MAX_SIZE = MAX_CALL_BYTES
    timeout_s = action_timeout_s()

    async def require_key(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        if not key_accepted(request.headers.get(ACTION_KEY_HEADER), key):
            logger.warning("action server: refused a request without the key to %s", request.path)
            return response.json({"error": "unauthorised"}, status=401)
        if request.path == "/webhook" and stale(_json(request), time.time(), timeout_s):
            logger.warning("action server: dropped a call Rasa had given up on")
            return response.json({"error": "too late: Rasa stopped waiting"}, status=503)
        return None

    async def on_error(request: Request, exception: Exception) -> HTTPResponse:
        # rasa-sdk's own handler answers with the whole request body (a conversation).
        if isinstance(exception, SanicException):
            return response.json({"error": str(exception)}, status=exception.status_code)
        logger.error("action server: %s", type(exception).__name__, exc_info=exception)
        return response.json({"error": "internal error"}, status=500)

    app.register_middleware(require_key, "request")
    app.error_handler.add(Exception, on_error)
    return app


def _json(request: Request) -> object:
    try:
        return request.json
    except Exception:  # a body that is not JSON: rasa-sdk refuses it itself
        return None


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
