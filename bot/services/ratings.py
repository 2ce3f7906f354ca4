"""The satisfaction survey that ends a conversation (policy section 6)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.clock import shop_now
from bot.policy import Dimension
from bot.privacy.redact import mask_phones_in
from bot.store import open_repository


@dataclass(frozen=True)
class RatedService:
    """What the survey rates: the conversation, where it came from, and the job it did."""

    conversation_id: str
    channel: str
    topic: str
    subject: str | None = None  # the request, booking or ticket id, or the policy answer
    product_category: str | None = None


def save_rating(
    service: RatedService,
    scores: Mapping[Dimension, int | None],
    *,
    solved: bool | None,
    comment: str | None,
) -> None:
    """Store the conversation's rating (a second one in the same conversation updates it).
    Phone numbers in the comment are masked: the report reads comments, not customers."""
    with open_repository() as repo:
        repo.save_rating(
            conversation_id=service.conversation_id,
            channel=service.channel,
            topic=service.topic,
            subject=service.subject,
            scores=scores,
            solved=solved,
            comment=mask_phones_in(comment) if comment else None,
            product_category=service.product_category,
            now=shop_now(),
        )


def decline_survey(service: RatedService) -> None:
    """Record a survey offered and not answered (the response rate counts it)."""
    with open_repository() as repo:
        repo.record_declined_survey(
            conversation_id=service.conversation_id,
            channel=service.channel,
            topic=service.topic,
            subject=service.subject,
            product_category=service.product_category,
            now=shop_now(),
        )
