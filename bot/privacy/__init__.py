"""Keeping customers' personal data out of stored conversations and logs."""

from bot.privacy.log_filter import install_log_redaction, redact_log_text
from bot.privacy.redact import mask_phones_in, redact_event

__all__ = ["install_log_redaction", "mask_phones_in", "redact_event", "redact_log_text"]
