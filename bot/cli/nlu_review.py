"""`python -m bot nlu-review`: learn from the conversations the bot had.

Lists the customer messages the bot was least sure of (it fell back, or its top intent scored
below a threshold) from the stored conversations, which are already redacted: phones masked,
tokens removed. Messages are grouped by their normalised text, most frequent first, with the
intent the bot guessed, and written as a YAML file for a person to label. `--import FILE`
then adds the labelled messages to data/nlu/reviewed.yml (new training data, used from the
next `make train`), refusing an intent the domain does not have.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.config import PROJECT_ROOT
from bot.nlp.normalise import comparable, normalise

REVIEWED_DATA = PROJECT_ROOT / "data" / "nlu" / "reviewed.yml"
DEFAULT_THRESHOLD = 0.5  # below this top-intent confidence a message is worth a look
FALLBACK_INTENT = "nlu_fallback"
_HEADER = """\
# Messages the bot was least sure of, from the stored (redacted) conversations.
# For each one you want the bot to learn, set `intent:` to the right intent (faq questions:
# faq/<question>, e.g. faq/refund_time); leave it empty to skip the message. Then run
#   python -m bot nlu-review --import THIS_FILE
# and retrain (make train). Check each text holds nothing personal before importing it.
"""


class ReviewError(Exception):
    """A labelled file that cannot be imported; the message says which entry and why."""


@dataclass
class ReviewItem:
    """One normalised message text and how the bot read it each time it was seen."""

    text: str
    count: int = 0
    guesses: Counter[str] = field(default_factory=Counter)
    lowest_confidence: float = 1.0
    last_seen: float = 0.0

    def as_yaml(self) -> dict[str, Any]:
        """The entry of the review file (intent left empty for the reviewer)."""
        guessed = ", ".join(f"{intent} ×{n}" for intent, n in self.guesses.most_common(3))
        return {
            "text": self.text,
            "seen": self.count,
            "bot_guessed": guessed,
            "lowest_confidence": round(self.lowest_confidence, 2),
            "intent": "",
        }


def uncertain_messages(
    user_events: Iterable[dict[str, Any]], since: dt.datetime | None, threshold: float
) -> list[ReviewItem]:
    """The messages (serialised `user` events) that fell back or scored below `threshold`,
    grouped by normalised text, the most frequent first."""
    found: dict[str, ReviewItem] = {}
    after = since.timestamp() if since else 0.0
    for event in user_events:
        text = normalise(str(event.get("text") or "")).strip()
        parse = event.get("parse_data") or {}
        intent = parse.get("intent") or {}
        name, confidence = intent.get("name"), float(intent.get("confidence") or 0.0)
        stamp = float(event.get("timestamp") or 0.0)
        if not text or text.startswith("/") or stamp < after:  # buttons send /payloads
            continue
        if name != FALLBACK_INTENT and confidence >= threshold:
            continue
        if name == FALLBACK_INTENT:  # what the classifier would have said
            ranking = parse.get("intent_ranking") or []
            name = next((r.get("name") for r in ranking if r.get("name") != FALLBACK_INTENT), name)
        item = found.setdefault(text, ReviewItem(text))
        item.count += 1
        item.guesses[str(name)] += 1
        item.lowest_confidence = min(item.lowest_confidence, confidence)
        item.last_seen = max(item.last_seen, stamp)
    return sorted(found.values(), key=lambda i: (-i.count, -i.last_seen))


async def _stored_user_events(endpoints: Path, domain_path: Path) -> list[dict[str, Any]]:
    """Every stored `user` event of every conversation in the tracker store `endpoints` names."""
    # Rasa is imported here: the rest of this module (and its tests) need none of it.
    from rasa.core.tracker_store import TrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.utils.endpoints import read_endpoint_config

    store = TrackerStore.create(
        read_endpoint_config(str(endpoints), "tracker_store"), Domain.load(str(domain_path))
    )
    events: list[dict[str, Any]] = []
    for conversation in await store.keys():
        tracker = await store.retrieve_full_tracker(conversation)
        if tracker is not None:
            events += [e.as_dict() for e in tracker.events if isinstance(e, UserUttered)]
    return events


def write_review(items: list[ReviewItem], path: Path) -> int:
    """Write the review file; the number of entries written."""
    body = yaml.safe_dump(
        {"messages": [item.as_yaml() for item in items]}, allow_unicode=True, sort_keys=False
    )
    path.write_text(_HEADER + body, encoding="utf-8")
    return len(items)


def known_intents(domain_path: Path, nlu_dir: Path) -> set[str]:
    """The domain's intents, and faq/<question> for each question the training data has."""
    domain = yaml.safe_load(domain_path.read_text(encoding="utf-8")) or {}
    intents = {i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents", [])}
    for data_file in nlu_dir.glob("*.yml"):
        for block in (yaml.safe_load(data_file.read_text(encoding="utf-8")) or {}).get("nlu", []):
            name = str(block.get("intent", ""))
            if "/" in name and name.split("/")[0] in intents:
                intents.add(name)
    return intents - {FALLBACK_INTENT}


def evaluation_texts(split_dir: Path = PROJECT_ROOT / "tests" / "nlu") -> set[str]:
    """The evaluation splits' messages as the model reads them: never to be trained on."""
    from bot.nlp.evaluate import load_examples  # reads Rasa's format: entity markup removed

    return {comparable(e.text) for split in split_dir.glob("*.yml") for e in load_examples(split)}


def import_review(
    review: Path, known: set[str], target: Path = REVIEWED_DATA, withheld: set[str] | None = None
) -> int:
    """Add the labelled entries of `review` to `target`; the number added. Nothing is written
    if any label is not a known intent (ReviewError names the entry). Texts in `withheld` (the
    evaluation splits) are left out: a model must never be trained on its test lines."""
    entries = (yaml.safe_load(review.read_text(encoding="utf-8")) or {}).get("messages") or []
    labelled: dict[str, list[str]] = {}
    for number, entry in enumerate(entries, start=1):
        intent = str((entry or {}).get("intent") or "").strip()
        text = " ".join(normalise(str((entry or {}).get("text") or "")).split())
        if not intent:
            continue
        if intent not in known:
            raise ReviewError(f"entry {number} ({text!r}): unknown intent {intent!r}")
        if not text or any(c in text for c in "[]{}"):  # Rasa would read them as entity markup
            raise ReviewError(f"entry {number}: the text is empty or holds [ ] {{ }}")
        labelled.setdefault(intent, []).append(text)
    existing = _read_reviewed(target)
    added = 0
    for intent, texts in labelled.items():
        have = existing.setdefault(intent, [])
        for text in texts:
            if text not in have and comparable(text) not in (withheld or set()):
                have.append(text)
                added += 1
    _write_reviewed(target, existing)
    return added


def _read_reviewed(path: Path) -> dict[str, list[str]]:
    if not path.exists():
        return {}
    blocks = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []
    return {
        str(b["intent"]): [
            line[2:] for line in str(b.get("examples", "")).splitlines() if line.startswith("- ")
        ]
        for b in blocks
    }


def _write_reviewed(path: Path, data: dict[str, list[str]]) -> None:
    lines = [
        'version: "3.1"',
        "# Messages from real conversations, labelled with `python -m bot nlu-review --import`.",
        "nlu:",
    ]
    for intent in sorted(i for i in data if data[i]):
        lines += [f"  - intent: {intent}", "    examples: |"]
        lines += [f"      - {text}" for text in data[intent]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def review(out: Path, since: dt.datetime | None, threshold: float, domain_path: Path) -> int:
    """Collect the uncertain messages from the tracker store the bot uses (endpoints.yml, the
    SQLite file TRACKER_DB by default, TRACKER_STORE_URL in production) into `out`; how many."""
    from bot.cli.endpoints import tracker_store_section, write_endpoints

    with tempfile.TemporaryDirectory(prefix="nlu-review-") as tmp:
        endpoints = write_endpoints({"tracker_store": tracker_store_section()}, Path(tmp))
        events = asyncio.run(_stored_user_events(endpoints, domain_path))
    return write_review(uncertain_messages(events, since, threshold), out)
