"""Repair bookings: free under warranty, or paid (quoted after inspection) when not."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from bot.clock import shop_now
from bot.identifiers import mask_phone
from bot.policy import (
    Decision,
    Verdict,
    check_onsite_slot,
    clip_to_service_hours,
    configured_calendar,
    configured_rules,
    decide_paid_repair,
    decide_repair,
)
from bot.reasons import DamageCause
from bot.services.verification import require_proof
from bot.store import InvalidRequest, open_repository

# Verdicts after which a paid repair can still be offered: the goods arrived and can be fixed.
PAID_REPAIR_VERDICTS = frozenset(
    {Verdict.REPAIR_OUT_OF_WARRANTY, Verdict.REPAIR_NO_WARRANTY, Verdict.REPAIR_HUMAN_DAMAGE}
)


@dataclass(frozen=True)
class RepairAssessment:
    """The warranty verdict, whether a paid repair is possible, and whether a technician
    can come to the customer."""

    decision: Decision
    onsite_possible: bool

    @property
    def paid_possible(self) -> bool:
        """Not covered, but the goods are with the customer and can be repaired for a fee."""
        return self.decision.verdict in PAID_REPAIR_VERDICTS


def assess_repair(
    order_no: str,
    conversation_id: str,
    item_id: int | None = None,
    today: dt.date | None = None,
    *,
    damage_cause: DamageCause | None = None,
) -> RepairAssessment:
    """May the item be repaired free of charge, and how? (Proof required.) Damage the
    customer says was an accident is not covered."""
    today = today or shop_now().date()
    rules = configured_rules()
    with open_repository() as repo:
        order = repo.find_order(order_no)
        require_proof(repo, order, conversation_id)
        item = repo.item_facts(repo.item_of(order, item_id))
        decision = decide_repair(
            repo.order_facts(order), item, today, rules, configured_calendar(),
            human_damage=damage_cause is DamageCause.HUMAN,
        )  # fmt: skip
        return RepairAssessment(decision, item.category in rules.onsite_categories)


def check_visit(start: dt.datetime, end: dt.datetime) -> tuple[Decision, dt.datetime, dt.datetime]:
    """A requested visit clipped to service hours, and the policy's verdict on it."""
    rules = configured_rules()
    start, end = clip_to_service_hours(start, end, rules)
    return check_onsite_slot(start, end, shop_now(), rules), start, end


@dataclass(frozen=True)
class RepairReceipt:
    """The booking as the customer should hear it."""

    public_id: str
    product: str
    category: str  # the product line, for the survey's comparison by product line
    mode: str
    covered: bool
    contact: str  # masked
    respond_due: dt.date
    complete_due: dt.date | None  # None for a paid repair: its time comes with the quote
    slot: tuple[dt.datetime, dt.datetime] | None


def book_repair(
    *,
    order_no: str,
    fault: str,
    mode: str,
    conversation_id: str,
    item_id: int | None = None,
    paid: bool = False,
    address: str | None = None,
    slot: tuple[dt.datetime, dt.datetime] | None = None,
    contact_phone: str | None = None,
    damage_cause: DamageCause | None = None,
) -> RepairReceipt:
    """Book a repair, re-deciding the warranty: free if covered, else only with `paid` (the
    customer agreed to a quote after inspection). A visiting technician calls `contact_phone`,
    or the order's phone when none is given."""
    now = shop_now()
    rules, calendar = configured_rules(), configured_calendar()
    with open_repository() as repo:
        order = repo.find_order(order_no)
        require_proof(repo, order, conversation_id)
        item = repo.item_of(order, item_id)
        if mode == "onsite" and item.category not in rules.onsite_categories:
            raise InvalidRequest(f"no on-site repair for {item.category}")
        decision = decide_repair(
            repo.order_facts(order), repo.item_facts(item), now.date(), rules, calendar,
            human_damage=damage_cause is DamageCause.HUMAN,
            work_starts=slot[0].astimezone(now.tzinfo).date() if slot else None,
        )  # fmt: skip
        if mode != "onsite":  # by post: the clock starts when the item is taken in
            decision = dataclasses.replace(
                decision, values=decision.values.with_(complete_due=None)
            )
        if not decision.allowed:
            if not (paid and decision.verdict in PAID_REPAIR_VERDICTS):
                raise InvalidRequest(f"repair not covered: {decision.code}")
            decision = decide_paid_repair(decision.verdict, now.date(), rules, calendar)
        contact = contact_phone or order.buyer_phone
        booking = repo.book_repair(
            order, item, fault=fault, mode=mode, decision=decision, now=now,
            address=address, contact_phone=contact if mode == "onsite" else None,
            slot=slot, conversation_id=conversation_id,
            damage_cause=damage_cause.value if damage_cause else None,
        )  # fmt: skip
        return RepairReceipt(
            public_id=booking.public_id,
            product=item.product_name,
            category=item.category,
            mode=mode,
            covered=booking.covered,
            contact=mask_phone(contact),
            respond_due=booking.respond_due,
            complete_due=booking.complete_due,
            slot=slot,
        )
