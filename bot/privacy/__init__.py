"""Keeping customers' personal data out of stored conversations and logs."""

from bot.privacy.redact import mask_phones_in, redact_event

__all__ = ["mask_phones_in", "redact_event"]
