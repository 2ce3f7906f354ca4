"""Typed errors the store raises; each says what was wrong without leaking personal data."""

from __future__ import annotations


class StoreError(Exception):
    """Base class of every store error."""


class MalformedOrderNumber(StoreError):
    """The text is not shaped like an order number (10–20 digits, or letters and digits)."""


class InvalidPhone(StoreError):
    """Not a mainland mobile number, nor its last four digits."""


class OrderNotFound(StoreError):
    """No order has that number."""


class OwnershipNotVerified(StoreError):
    """The phone given does not match the phone on the order."""


class InvalidRequest(StoreError):
    """A write was asked with values that break the store's rules (bad score, unknown item…)."""


class DuplicateRequest(InvalidRequest):
    """The item already has an application or booking in progress; `public_id` names it."""

    def __init__(self, public_id: str) -> None:
        super().__init__(f"already in progress: {public_id}")
        self.public_id = public_id


class RequestClosed(InvalidRequest):
    """The application has ended (completed, rejected, cancelled): nothing more is added."""


class TooManyPhotos(InvalidRequest):
    """The application already has as many photos as the store keeps for one."""


class StoreUnavailable(StoreError):
    """The database could not be reached or failed; the customer should hear an apology."""
