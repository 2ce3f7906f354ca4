"""The satisfaction rating that ends a conversation."""

from __future__ import annotations

from bot.clock import shop_now
from bot.policy import Dimension
from bot.privacy.redact import mask_phones_in
from bot.store import open_repository


def save_rating(
    *,
    conversation_id: str,
    channel: str,
    topic: str,
    overall: int,
    solved: bool | None,
    comment: str | None,
    product_category: str | None = None,
) -> None:
    """Store the conversation's rating (a second one in the same conversation updates it).
    Phone numbers in the comment are masked: the report reads comments, not customers."""
    with open_repository() as repo:
        repo.save_rating(
            conversation_id=conversation_id,
            channel=channel,
            topic=topic,
            scores={Dimension.OVERALL: overall},
            solved=solved,
            comment=mask_phones_in(comment) if comment else None,
            product_category=product_category,
            now=shop_now(),
        )
