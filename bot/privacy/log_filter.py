"""Personal data out of the logs: phone numbers masked and sign-in tokens removed in every record.

Rasa logs more of a conversation than its log level suggests. When a custom action fails, the
action server answers 500 with the request body (the whole tracker, every message of the
conversation) and Rasa logs that answer inside the exception trace; an NLU component that
raises leaves the message in a trace; a message starting with "/" that names no intent is
repeated in a warning. `install_log_redaction()` makes each record redacted when it is
created, so no handler, formatter or log level can see the original, and redacts warnings too.

`python -m bot.cli.rasa_entry` installs it in the Rasa server and the action server.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import warnings
from typing import Any, TextIO

from bot.privacy.redact import JWT, REDACTED, SECRET_METADATA_KEYS, mask_phones_in

WITHHELD = "[log record withheld: it could not be redacted]"
_REDACTED_FLAG = "_bot_redacted"  # set on a record once its message and trace are redacted
_INSTALLED_FLAG = "_bot_redacting"  # set on the record factory and showwarning we install

# The value after one of the credential keys, as JSON, a Python repr, a query string or a
# header writes it: "customer_token": "x", 'token': 'x', access_token=x, Authorization: Bearer x.
_KEYS = "|".join(sorted(SECRET_METADATA_KEYS, key=len, reverse=True))
_SECRET_VALUE = re.compile(
    rf"(?i)(\b(?:{_KEYS})\b\\*['\"]?\s*[:=]\s*\\*['\"]?\s*)(?:bearer\s+)?[^\s'\"\\,;&(){{}}\[\]]+"
)
# Escapes a JSON dump (ensure_ascii) or a bytes repr writes non-ASCII text in. A full-width phone
# hides in them (\uff11\uff13... or \xef\xbc\x91...), and an escape's last hex digit can stand
# right before a phone's first digit: "\u768413800138000" is 的 and a phone, not 15 digits.
_U_ESCAPE = re.compile(r"\\+u([0-9a-fA-F]{4})")
_BYTE_ESCAPES = re.compile(r"(?:\\+x[0-9a-fA-F]{2})+")
_ANY_ESCAPE = re.compile(r"(\\+u[0-9a-fA-F]{4}|\\+x[0-9a-fA-F]{2})")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Attributes every LogRecord has; any other one came from `extra=` and is redacted too.
_STANDARD_ATTRIBUTES = frozenset({*vars(logging.makeLogRecord({})), "message", "asctime"})


def _decode_escape(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    # Control characters, quotes and backslashes stay escaped: decoded, they would change what
    # the line means. Lone surrogates are decoded here and escaped again at the end.
    if char in "\"'\\" or unicodedata.category(char) == "Cc":
        return match.group()
    return char


def _decode_byte_escapes(match: re.Match[str]) -> str:
    raw = bytes(int(h, 16) for h in re.findall(r"x([0-9a-fA-F]{2})", match.group()))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return match.group()
    if any(unicodedata.category(c) == "Cc" or c in "\"'\\" for c in text):
        return match.group()
    return text


def redact_log_text(text: str) -> str:
    """`text` with every phone number masked (also one written in JSON or bytes escapes, which
    come back decoded), JWTs and the values of credential keys replaced, and lone surrogates
    escaped so that any stream can write it."""
    text = _U_ESCAPE.sub(_decode_escape, text)
    text = _BYTE_ESCAPES.sub(_decode_byte_escapes, text)
    # What is still escaped is a boundary no phone crosses: mask the text between escapes.
    parts = _ANY_ESCAPE.split(text)
    text = "".join(part if i % 2 else mask_phones_in(part) for i, part in enumerate(parts))
    text = _SECRET_VALUE.sub(lambda m: m.group(1) + REDACTED, text)
    text = JWT.sub(REDACTED, text)
    if _SURROGATE.search(text):  # a stream encoding to UTF-8 would raise on it
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _safe_str(value: object, render: Any = str) -> str:
    try:
        return render(value)
    except Exception:  # a str()/repr() that raises must not lose the rest of the record
        return f"<{type(value).__name__}>"


def _redact_core(record: logging.LogRecord) -> None:
    """Message (with its arguments merged in), exception trace and stack, redacted once."""
    try:
        message = record.getMessage()
    except Exception:  # a format string that does not fit its arguments
        message = f"{_safe_str(record.msg)} {_safe_str(record.args, repr)}"
    record.msg = redact_log_text(message)
    record.args = ()
    if record.exc_info and record.exc_info[0] is not None:
        trace = logging.Formatter().formatException(record.exc_info)
        record.exc_text = redact_log_text(trace)
    elif record.exc_text:
        record.exc_text = redact_log_text(record.exc_text)
    # Formatters append exc_text; without exc_info none of them can format the raw trace again.
    record.exc_info = None
    if record.stack_info:
        record.stack_info = redact_log_text(record.stack_info)


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact `record` in place and return it; never raises.

    The message is formatted with its arguments and kept as redacted text (args become
    empty); the exception is kept only as redacted text in `exc_text`; string values
    passed with `extra=` are redacted as well.
    """
    try:
        if not getattr(record, _REDACTED_FLAG, False):
            _redact_core(record)
            setattr(record, _REDACTED_FLAG, True)
        for name, value in list(vars(record).items()):
            if name not in _STANDARD_ATTRIBUTES and isinstance(value, str):
                setattr(record, name, redact_log_text(value))
    except Exception:  # whatever went wrong, the original must not reach a handler
        record.msg, record.args = WITHHELD, ()
        record.exc_info = record.exc_text = record.stack_info = None
        setattr(record, _REDACTED_FLAG, True)
    return record


class RedactingFilter(logging.Filter):
    """A handler filter that redacts each record (see `redact_record`) and lets it through."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always True: the record is kept, redacted."""
        redact_record(record)
        return True


def _redacting_factory(previous: Any) -> Any:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(previous(*args, **kwargs))

    setattr(factory, _INSTALLED_FLAG, True)
    return factory


def _redacting_showwarning(previous: Any) -> Any:
    def showwarning(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        try:
            text = redact_log_text(str(message))
        except Exception:  # the warning is still shown, without its text
            text = WITHHELD
        previous(text, category, filename, lineno, file, line)

    setattr(showwarning, _INSTALLED_FLAG, True)
    return showwarning


def install_log_redaction() -> None:
    """Redact every log record this process creates from now on, whichever handler (present
    or added later) emits it, and every warning it shows. Safe to call more than once."""
    factory = logging.getLogRecordFactory()
    if not getattr(factory, _INSTALLED_FLAG, False):
        logging.setLogRecordFactory(_redacting_factory(factory))
    if not getattr(warnings.showwarning, _INSTALLED_FLAG, False):
        warnings.showwarning = _redacting_showwarning(warnings.showwarning)
    # Records made elsewhere (logging.makeLogRecord) and `extra=` values, which are set on a
    # record after the factory made it, are caught by the filter on the handlers there are now.
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
