"""`python -m bench.soak` (make soak): many whole conversations against the production profile,
with the memory of every process before and after.

Each conversation is a customer asking where a refund is, proving the order and rating the
answer (5 turns), sent through nginx to two replicas. Memory is read after a warm-up (the first
conversations load what is loaded once) and again at the end; a process that grew by more than
GROWTH_BOUND_MB fails the run. Writes bench/soak.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from bench.production import ProductionProfile, resident_mb

OUT = Path(__file__).resolve().parent / "soak.json"
GROWTH_BOUND_MB = 50.0  # per process, between the warm-up and the end
SCRIPT = [
    ("我退的耳机钱到哪了", "订单号"), ("202411020007", "手机号"), ("后四位9000", "299.00元"),
    ("5", "解决了吗"), ("跳过", "感谢您的评价"),
]  # fmt: skip


def _conversation(url: str, latencies: list[float], lock: threading.Lock) -> bool:
    session = requests.Session()
    issued = session.post(f"{url}/webhooks/rest/session", timeout=30).json()
    sender = issued["sender"]
    session.headers["Authorization"] = f"Bearer {issued['token']}"
    for message, expected in SCRIPT:
        started = time.perf_counter()
        reply = session.post(
            f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=90
        )
        with lock:
            latencies.append(time.perf_counter() - started)
        if reply.status_code != 200 or expected not in json.dumps(reply.json(), ensure_ascii=False):
            return False
    return True


def _run(url: str, count: int, concurrency: int) -> tuple[int, list[float], float]:
    latencies: list[float] = []
    lock = threading.Lock()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(lambda _: _conversation(url, latencies, lock), range(count)))
    return sum(not ok for ok in results), latencies, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    """Run the soak; exit 1 if a conversation failed or a process grew beyond the bound."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--warm-up", type=int, default=50)
    args = parser.parse_args(argv)
    profile = ProductionProfile(2)
    try:
        profile.start()
        _run(profile.balancer_url, args.warm_up, args.concurrency)
        before = resident_mb(profile.serve_pid)
        failed, latencies, seconds = _run(
            profile.balancer_url, args.conversations, args.concurrency
        )
        after = resident_mb(profile.serve_pid)
    finally:
        profile.close()
    quantiles = statistics.quantiles(latencies, n=100)
    growth = {name: round(after.get(name, 0.0) - mb, 1) for name, mb in before.items()}
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores", "conversations": args.conversations,
        "messages": len(latencies), "concurrency": args.concurrency, "failed": failed,
        "seconds": round(seconds, 1), "messages_per_s": round(len(latencies) / seconds, 1),
        "turn_ms": {"p50": round(quantiles[49] * 1000), "p95": round(quantiles[94] * 1000),
                    "p99": round(quantiles[98] * 1000)},
        "resident_mb_before": before, "resident_mb_after": after, "growth_mb": growth,
        "growth_bound_mb": GROWTH_BOUND_MB,
    }  # fmt: skip
    OUT.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"{args.conversations} conversations, {len(latencies)} messages in {seconds:.0f} s "
          f"({result['messages_per_s']} msg/s, {args.concurrency} at a time), {failed} failed; "
          f"turn p50/p95/p99 {result['turn_ms']} ms")  # fmt: skip
    for name in sorted(before):
        print(f"  {name:28} {before[name]:8.1f} MB -> {after.get(name, 0):8.1f} MB "
              f"({growth[name]:+.1f})")  # fmt: skip
    grew = [name for name, mb in growth.items() if mb > GROWTH_BOUND_MB]
    if grew:
        print(f"grew more than {GROWTH_BOUND_MB} MB: {', '.join(grew)}", file=sys.stderr)
    return 1 if failed or grew else 0


if __name__ == "__main__":
    sys.exit(main())
