"""Complaint tickets with their SLA deadlines, and when a complaint needs a person."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from bot.clock import shop_now
from bot.nlp.extract import extract_amounts
from bot.nlp.normalise import normalise
from bot.policy import (
    Severity,
    complaint_deadlines,
    configured_calendar,
    configured_rules,
    needs_human,
)
from bot.services.verification import has_proof
from bot.store import open_repository

_COMPENSATION_WORDS = r"赔偿|赔钱|赔我|赔付|假一赔|补偿|给个说法|给我一个说法|红包|差价"
_CATEGORY_WORDS = [
    ("compensation", _COMPENSATION_WORDS),
    ("delivery", r"快递|物流|配送|送货|驿站|签收|派送"),
    ("refund", r"退款|退钱|到账"),
    ("quality", r"质量|假货|坏|破|瑕疵|次品|虚假宣传|不一样"),
    ("service", r"客服|态度|师傅|服务|回复|不理|骂|推卸|踢皮球|敷衍"),
]
_ANGER = (
    r"生气|气死|垃圾|骗子|奸商|黑心|太过分|欺诈|曝光|12315|消协|消费者协会|律师|起诉|!{2,}|！{2,}"
)


def complaint_category(text: str) -> str:
    """compensation / delivery / refund / quality / service / other, from the description."""
    for category, pattern in _CATEGORY_WORDS:
        if re.search(pattern, text):
            return category
    return "other"


def amount_asked(text: str) -> Decimal | None:
    """The amount a request for compensation names: the one nearest the words asking for it
    (买的299元耳机坏了 赔我50块 → 50), else the last one."""
    text = normalise(text)
    amounts = extract_amounts(text)
    if not amounts:
        return None
    asks = [m.start() for m in re.finditer(_COMPENSATION_WORDS + r"|赔|补", text)]
    if not asks:
        return Decimal(amounts[-1].value)
    nearest = min(amounts, key=lambda a: min(abs(a.start - at) for at in asks))
    return Decimal(nearest.value)


def sounds_angry(text: str) -> bool:
    """Strong words, threats to go to 12315 or court, or shouting."""
    return re.search(_ANGER, text) is not None


@dataclass(frozen=True)
class ComplaintReceipt:
    """The ticket opened, its promises, and the person it went to if it did."""

    public_id: str
    reply_due: dt.datetime
    solution_due: dt.datetime
    handoff_id: str | None
    compensation: bool = False  # a request for compensation: a person settles it
    amount_asked: Decimal | None = None


def open_complaint(
    *,
    description: str,
    severity: Severity,
    order_no: str | None,
    conversation_id: str,
    compensation: bool = False,
) -> ComplaintReceipt:
    """Open a complaint ticket with its SLA deadlines; angry, serious or repeated complaints
    also go to a person, as does every request for compensation (`compensation`, or words
    asking for it), with the amount the customer named."""
    now = shop_now()
    rules = configured_rules()
    with open_repository() as repo:
        order = repo.find_order(order_no) if order_no else None
        # Earlier complaints change the reply (a person is brought in), so they are counted
        # only for an order this conversation proved it owns: the reply must not tell a
        # stranger anything about someone else's order.
        proved = order is not None and has_proof(repo, order, conversation_id)
        earlier = repo.count_complaints(order) if order is not None and proved else 0
        angry = sounds_angry(description)
        category = "compensation" if compensation else complaint_category(description)
        wants_compensation = category == "compensation"
        amount = amount_asked(description) if wants_compensation else None
        escalate = needs_human(
            rules,
            severity=severity,
            angry=angry,
            earlier_complaints=earlier,
            asked=wants_compensation,
        )
        complaint = repo.open_complaint(
            category=category,
            amount_asked=amount,
            severity=severity,
            description=description,
            deadlines=complaint_deadlines(now, rules, configured_calendar()),
            now=now,
            order=order,
            escalated=escalate,
            conversation_id=conversation_id,
        )
        handoff = None
        if escalate:
            reason = (
                "compensation" if wants_compensation
                else "angry" if angry else ("repeat" if earlier else "severe")
            )  # fmt: skip
            handoff = repo.request_handoff(
                conversation_id=conversation_id, reason=reason, now=now, topic="complaint",
                order=order, complaint=complaint,
            )  # fmt: skip
        return ComplaintReceipt(
            public_id=complaint.public_id,
            reply_due=complaint.reply_due,
            solution_due=complaint.solution_due,
            handoff_id=handoff.public_id if handoff else None,
            compensation=wants_compensation,
            amount_asked=amount,
        )
