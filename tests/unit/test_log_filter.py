"""No phone number and no sign-in token reaches a log line, whatever Rasa puts in the record."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
import textwrap
import unicodedata
import warnings
from collections.abc import Iterator

import pytest
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import ClientResponseError

from bot.config import PROJECT_ROOT
from bot.privacy.log_filter import (
    RedactingFilter,
    install_log_redaction,
    redact_log_text,
    redact_record,
)

PHONE = "13900139000"
MASKED = "139****9000"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.3q2-7w_Zx"


def record(msg: object, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc else None
    return logging.LogRecord("rasa.core.processor", logging.ERROR, __file__, 1, msg, args, exc_info)


def formatted(rec: logging.LogRecord) -> str:
    return logging.Formatter("%(levelname)s %(message)s").format(rec)


def raised(exc: BaseException) -> BaseException:
    try:
        raise exc
    except BaseException as caught:
        return caught


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"user said 手机{PHONE}", f"user said 手机{MASKED}"),
        ("call 139 0013 9000 or (139)0013-9000", f"call {MASKED} or {MASKED}"),
        ("order 202411150003 is fine", "order 202411150003 is fine"),
        # ensure_ascii JSON: 我的 then a full-width phone, escaped
        ('"\\u6211\\u7684\\uff11\\uff13\\uff19\\uff10\\uff10\\uff11\\uff13\\uff19\\uff10\\uff10\\uff10"',
         f'"我的{MASKED}"'),
        ('"\\u7684' + PHONE + '"', f'"的{MASKED}"'),  # an escape's hex digit is not the phone's
        ('"\\u0001' + PHONE + '"', f'"\\u0001{MASKED}"'),
        ("b'\\xe6\\x89\\x8b\\xe6\\x9c\\xba" + PHONE + "'", f"b'手机{MASKED}'"),
        (f"Authorization: Bearer {JWT}", "Authorization: [redacted]"),
        (f"token {JWT} expired", "token [redacted] expired"),
        ('{"customer_token": "abc", "channel": "web"}', '{"customer_token": "[redacted]", "channel": "web"}'),
        ("{'token': 'abc'} ?access_token=xyz&x=1", "{'token': '[redacted]'} ?access_token=[redacted]&x=1"),
        ("customer token refused: ExpiredSignatureError", "customer token refused: ExpiredSignatureError"),
        (f"lone \ud800 {PHONE}", f"lone \\ud800 {MASKED}"),
    ],
)  # fmt: skip
def test_redact_log_text(text: str, expected: str) -> None:
    assert redact_log_text(text) == expected


def test_a_phone_in_the_message() -> None:
    rec = redact_record(record(f"received 'hi {PHONE}'"))
    assert formatted(rec) == f"ERROR received 'hi {MASKED}'"


def test_a_phone_and_a_token_in_the_arguments() -> None:
    rec = redact_record(
        record("slots %s, metadata %r", f"上门前打{PHONE}", {"customer_token": JWT})
    )
    text = formatted(rec)
    assert PHONE not in text and JWT not in text
    assert text == f"ERROR slots 上门前打{MASKED}, metadata {{'customer_token': '[redacted]'}}"


def test_a_phone_in_an_exception_message_and_its_cause() -> None:
    body = json.dumps(
        {
            "error": "boom",
            "request_body": {"tracker": {"text": f"手机１３９００１３９０００ {PHONE}"}},
        }
    )
    cause = ClientResponseError(500, "Internal Server Error", body.encode())
    try:
        raise RasaException("Failed to execute custom action 'action_x'") from cause
    except RasaException as exc:
        rec = redact_record(record("Encountered an exception while running action", exc=exc))
    text = formatted(rec)
    assert "Traceback" in text and "ClientResponseError" in text
    assert PHONE not in text and "\\uff11\\uff13\\uff19" not in text
    assert text.count(MASKED) == 2
    assert rec.exc_info is None, "no formatter can render the raw trace again"


def test_an_exception_object_as_the_message() -> None:
    rec = redact_record(record(ValueError(f"bad phone {PHONE}")))
    assert formatted(rec) == f"ERROR bad phone {MASKED}"


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError(PHONE)

    __repr__ = __str__


@pytest.mark.parametrize(
    ("msg", "args"),
    [
        ("two %s %s", (PHONE,)),  # too few arguments
        ("no placeholder", (PHONE,)),
        ("%d", (PHONE,)),
        ("odd %s", (Unprintable(),)),
        (Unprintable(), ()),
        (None, ()),
        ("bytes %s", (f"{PHONE}".encode(),)),
        ("%(phone)s", ({"phone": PHONE},)),
    ],
)
def test_odd_records_never_raise_and_never_leak(msg: object, args: tuple[object, ...]) -> None:
    rec = redact_record(record(msg, *args))
    text = formatted(rec)  # formatting the redacted record works too
    assert PHONE not in text


def test_redacting_twice_changes_nothing_and_the_filter_keeps_the_record() -> None:
    rec = record("phone %s", PHONE)
    assert RedactingFilter().filter(rec) is True
    once = formatted(rec)
    redact_record(rec)
    assert formatted(rec) == once == f"ERROR phone {MASKED}"


def test_a_lone_surrogate_can_be_written_to_a_utf8_stream() -> None:
    stream = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
    handler = logging.StreamHandler(stream)
    rec = redact_record(record("text %s", f"\ud800{PHONE}"))
    handler.emit(rec)  # would print "--- Logging error ---" with the raw message if it raised
    stream.flush()
    assert stream.buffer.getvalue().decode() == f"text \\ud800{MASKED}\n"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the record factory, warnings and the root handlers' filters back afterwards."""
    factory, showwarning = logging.getLogRecordFactory(), warnings.showwarning
    filters = {handler: list(handler.filters) for handler in logging.getLogger().handlers}
    yield
    logging.setLogRecordFactory(factory)
    warnings.showwarning = showwarning
    for handler, kept in filters.items():
        handler.filters[:] = kept


def test_installed_every_record_is_redacted_also_on_a_handler_added_later(
    restore_logging: None,
) -> None:
    install_log_redaction()
    install_log_redaction()  # a second install changes nothing
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("test_log_filter.later")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("message.parsing.failed user_text=%s", f"/手机{PHONE}")
        try:
            raise ValueError(f"could not handle '{PHONE}' with token={JWT}")
        except ValueError:
            logger.exception("rest.message.received.failure")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert PHONE not in text and JWT not in text
    assert text.count(MASKED) == 2 and "token=[redacted]" in text
    assert "Traceback" in text


def test_installed_the_handlers_there_are_redact_extras(restore_logging: None) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s %(request)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        install_log_redaction()
        logging.getLogger("sanic.access").warning("", extra={"request": f"GET /?token={JWT}"})
    finally:
        root.removeHandler(handler)
    assert stream.getvalue() == " GET /?token=[redacted]\n"


def test_installed_warnings_are_redacted(
    restore_logging: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(warnings, "showwarning", lambda message, *_: shown.append(str(message)))
    install_log_redaction()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn(
            "Failed to parse arguments in line '/手机 139 0013 9000'", UserWarning, stacklevel=1
        )
    assert shown == [f"Failed to parse arguments in line '/手机 {MASKED}'"]


def test_rasas_own_log_paths_come_out_redacted() -> None:
    """Rasa's logging set up as `rasa run` does it, then what it logs for a "/" message naming
    no intent (a warning), one that does not parse (structlog) and an NLU crash (a trace)."""
    script = textwrap.dedent(
        """
        from bot.privacy.log_filter import install_log_redaction
        install_log_redaction()

        import rasa.utils.io
        import structlog
        from rasa.shared.core.domain import Domain
        from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
        from rasa.shared.nlu.training_data.message import Message
        from rasa.utils.common import configure_logging_and_warnings
        from rasa.utils.log_utils import configure_structlog

        configure_logging_and_warnings(None, None, warn_only_once=True, filter_repeated_logs=True)
        rasa.utils.io.configure_colored_logging(None)
        configure_structlog(None)
        domain = Domain.from_yaml('version: "3.1"\\nintents: [greet]')
        for text in ["/手机(139)0013-9000", "/{手机 +86 139-0013-9000}"]:
            YAMLStoryReader.unpack_regex_message(Message({"text": text}), domain)
        try:
            "我的手机１３９００１３９０００\\ud800".encode()
        except UnicodeEncodeError:
            structlog.get_logger().exception(
                "rest.message.received.failure", text="我的手机１３９００１３９０００\\ud800"
            )
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false", "LOG_LEVEL": "INFO"},
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    log = (result.stdout + result.stderr).decode("utf-8")  # strict: nothing unencodable got out
    assert "Failed to parse arguments in line '/手机139****9000'" in log
    assert '"user_text": "/{手机 139****9000}"' in log
    assert "rest.message.received.failure" in log and "UnicodeEncodeError" in log
    assert log.count(MASKED) >= 4
    assert PHONE not in re.sub(r"[\s\-.()·]", "", unicodedata.normalize("NFKC", log))
    assert "\\uff11" not in log
