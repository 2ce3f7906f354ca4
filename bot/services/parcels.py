"""A parcel on its way to the customer that stalled, or that shows signed for but never
arrived: the order's tracking is checked, and a logistics ticket records what the customer
wants while the service team checks with the carrier."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.clock import shop_now
from bot.policy import Decision, ParcelProblem, configured_rules, decide_parcel
from bot.services.verification import require_proof
from bot.store import DuplicateRequest, open_repository
from bot.store.repository import OPEN_REQUEST_STATUSES


@dataclass(frozen=True)
class ParcelReceipt:
    """The logistics check as the customer should hear it."""

    public_id: str
    problem: ParcelProblem
    remedy: str
    check_due: dt.datetime
    claim_deadline: dt.date


def assess_parcel(
    order_no: str, conversation_id: str, problem: ParcelProblem, now: dt.datetime | None = None
) -> Decision:
    """Where the order's parcel is, and whether there is something to chase (proof required)."""
    now = now or shop_now()
    with open_repository() as repo:
        order = repo.find_order(order_no)
        require_proof(repo, order, conversation_id)
        return decide_parcel(
            repo.order_facts(order), problem, repo.tracking_of(order), now, configured_rules()
        )


def open_parcel_check(order_no: str, conversation_id: str) -> str | None:
    """The id of the order's logistics check still open, if any (proof required)."""
    with open_repository() as repo:
        order = repo.find_order(order_no)
        require_proof(repo, order, conversation_id)
        ticket = repo.open_parcel_check_of(order)
        return ticket.public_id if ticket else None


def open_parcel_ticket(
    order_no: str, conversation_id: str, problem: ParcelProblem, remedy: str
) -> ParcelReceipt:
    """Open the logistics check the policy allows (re-deciding: slots are not trusted).
    Raises InvalidRequest if there is nothing to check, DuplicateRequest if one is open."""
    now = shop_now()
    with open_repository() as repo:
        order = repo.find_order(order_no)
        require_proof(repo, order, conversation_id)
        decision = decide_parcel(
            repo.order_facts(order), problem, repo.tracking_of(order), now, configured_rules()
        )
        for request in repo.requests_of_order(order):  # a refund already asked for it
            if request.status in OPEN_REQUEST_STATUSES and not request.return_address:
                raise DuplicateRequest(request.public_id)
        ticket = repo.open_parcel_ticket(
            order, problem=problem, remedy=remedy, decision=decision, now=now,
            conversation_id=conversation_id,
        )  # fmt: skip
        return ParcelReceipt(
            public_id=ticket.public_id,
            problem=problem,
            remedy=remedy,
            check_due=ticket.check_due,
            claim_deadline=ticket.claim_deadline,
        )
