"""Many customers at once across two Rasa replicas, and one replica killed mid-run: every
conversation reaches its goal, its stored events are complete and in order, and it is rated
exactly once."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.processes import pid_of
from tests.scale.conftest import Production

pytestmark = pytest.mark.scale

CUSTOMERS = 50
OPENERS = ("我退的耳机钱到哪了", "查一下退款进度", "我退的耳机钱到哪了 咋还没到")
ORDER, PHONE_TAIL = "202411020007", "后四位9000"  # the demo earphones' refund, in progress


def _script(k: int) -> list[tuple[str, str]]:
    """(message, what the reply must contain) of customer k: refund status, then the survey."""
    return [
        (OPENERS[k % len(OPENERS)], "订单号"),
        (ORDER, "手机号"),
        (PHONE_TAIL, "299.00元"),
        ("5", "解决了吗"),
        ("跳过", "感谢您的评价"),
    ]


def _text(replies: list[dict]) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)


def _stored_user_texts(production: Production, sender: str) -> list[str]:
    rows = production.rows(
        "select data from events where sender_id = :s and type_name = 'user' order by id", s=sender
    )
    return [json.loads(row[0])["text"] for row in rows]


def _assert_complete(production: Production, senders: list[str]) -> None:
    for k, sender in enumerate(senders):
        sent = [message for message, _ in _script(k)]
        assert _stored_user_texts(production, sender) == sent, sender
        times = production.rows(
            "select timestamp from events where sender_id = :s order by id", s=sender
        )
        assert [t for (t,) in times] == sorted(t for (t,) in times), f"{sender}: out of order"
        ratings = production.rows(
            "select overall from ratings where conversation_id = :s and declined = false",
            s=sender,
        )
        assert [r for (r,) in ratings] == [5], f"{sender}: ratings {ratings}"


def test_fifty_customers_whose_turns_alternate_between_replicas(production: Production) -> None:
    senders = [production.new_customer() for _ in range(CUSTOMERS)]

    def customer(k: int) -> None:
        for turn, (message, expected) in enumerate(_script(k)):
            replica = production.replica_urls[(k + turn) % len(production.replica_urls)]
            reply = _text(production.say(replica, senders[k], message))
            assert expected in reply, f"customer {k}, turn {turn}: {reply!r}"

    with ThreadPoolExecutor(max_workers=CUSTOMERS) as pool:
        for future in [pool.submit(customer, k) for k in range(CUSTOMERS)]:
            future.result()
    _assert_complete(production, senders)
    # The event broker's consumer wrote every customer message into the analytics table.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        [(count,)] = production.rows(
            "select count(*) from conversation_events where type_name = 'user' "
            "and conversation_id = any(:senders)",
            senders=senders,
        )
        if count >= CUSTOMERS * 5:
            break
        time.sleep(1)
    assert count == CUSTOMERS * 5


def _replica_pid(port: int) -> int:
    return pid_of("bot.cli.rasa_entry", port)


def _wait_closed(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return
        time.sleep(0.05)
    pytest.fail(f"port {port} still open 10 s after the kill")


def test_a_replica_killed_mid_conversation(production: Production) -> None:
    """Killed between two turns of every conversation: the one left takes them all while the
    other is started again. (A turn in flight at the kill is retried by nginx with its request
    id: tests/e2e/test_redelivery.py and tests/unit/test_redelivery.py.)"""
    customers = 12
    senders = [production.new_customer() for _ in range(customers)]
    halfway = threading.Barrier(customers + 1, timeout=300)

    def customer(k: int) -> None:
        for turn, (message, expected) in enumerate(_script(k)):
            if turn == 2:
                halfway.wait()  # every conversation is mid-way when the replica dies
                halfway.wait()
            reply = _text(production.say(production.balancer_url, senders[k], message))
            assert expected in reply, f"customer {k}, turn {turn}: {reply!r}"

    victim = production.replica_urls[0]
    with ThreadPoolExecutor(max_workers=customers) as pool:
        futures = [pool.submit(customer, k) for k in range(customers)]
        halfway.wait()
        port = int(victim.rsplit(":", 1)[1])
        os.kill(_replica_pid(port), signal.SIGKILL)
        _wait_closed(port)
        halfway.wait()
        for future in futures:
            future.result()
    _assert_complete(production, senders)
    # The supervisor starts the killed replica again.
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{victim}/", timeout=2).ok:
                return
        except requests.RequestException:
            time.sleep(1)
    pytest.fail("the killed replica was not started again within 180 s")


def test_everything_restarted_mid_conversation(production: Production) -> None:
    """Ctrl-C on every process and a fresh start: open conversations go on from PostgreSQL."""
    customers = 10
    senders = [production.new_customer() for _ in range(customers)]

    def turns(k: int, which: slice) -> None:
        for message, expected in _script(k)[which]:
            reply = _text(production.say(production.balancer_url, senders[k], message))
            assert expected in reply, f"customer {k}: {reply!r}"

    with ThreadPoolExecutor(max_workers=customers) as pool:
        list(pool.map(lambda k: turns(k, slice(0, 2)), range(customers)))
    assert production.profile.stop() == 0, "serve did not stop cleanly on Ctrl-C"
    production.profile.start()
    with ThreadPoolExecutor(max_workers=customers) as pool:
        list(pool.map(lambda k: turns(k, slice(2, None)), range(customers)))
    _assert_complete(production, senders)


def test_a_rest_conversation_needs_its_own_session_token(production: Production) -> None:
    """In production the sender id is no credential: only the server's token for it is."""
    mine, theirs = production.new_customer(), production.new_customer()
    production.say(production.balancer_url, theirs, "查一下退款进度")

    def post(sender: str, headers: dict[str, str]) -> int:
        return requests.post(
            f"{production.balancer_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": "202411020007"}, headers=headers, timeout=30,
        ).status_code  # fmt: skip

    bearer = {"Authorization": f"Bearer {production.tokens[mine]}"}
    assert post(theirs, {}) == 401  # no token
    assert post(theirs, bearer) == 401  # a token for another conversation
    assert post(theirs, {"Authorization": "Bearer x.y.z"}) == 401
    assert post("chat-7f3a9c2e", bearer) == 401  # a client-chosen id
    assert post(mine, bearer) == 200
