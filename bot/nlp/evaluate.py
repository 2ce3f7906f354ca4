"""`make eval-nlu`: train our pipeline and Rasa's stock Chinese recipe on data/nlu, score both
on the evaluation splits in tests/nlu/ (held-out, blind, real register), and write
reports/nlu.md.

    python -m bot.nlp.evaluate                      # train both, compare, write the report
    python -m bot.nlp.evaluate --model models/aftersales.tar.gz   # score one trained model
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import PROJECT_ROOT
from bot.identifiers import normalise_order_no, normalise_phone
from bot.nlp.normalise import is_traditional
from bot.nlp.scoring import EntityScore, accuracy, confusions, entity_scores, macro_f1, percentile

TEST_DATA = PROJECT_ROOT / "tests" / "nlu" / "test_nlu.yml"
BLIND_DATA = PROJECT_ROOT / "tests" / "nlu" / "test_nlu_blind.yml"
# Messages in the marketplace register (亲, 在吗, 无语, typos, kaomoji), intents only.
REAL_REGISTER_DATA = PROJECT_ROOT / "tests" / "nlu" / "test_nlu_real_register.yml"
# Coming back after applying (status, withdrawing, tracking numbers, moving a visit), in the
# same register; written before the follow-up intents' training data, never trained on.
FOLLOWUP_DATA = PROJECT_ROOT / "tests" / "nlu" / "test_nlu_followup_register.yml"
# A parcel stalled or signed for but not received, among its neighbours; written blind
# before the parcel intent's training data, never trained on.
PARCEL_DATA = PROJECT_ROOT / "tests" / "nlu" / "test_nlu_parcel_register.yml"
INTENTS_ONLY = ("real register", "follow-up register", "parcel register")
FALLBACK = "nlu_fallback"
REPORT = PROJECT_ROOT / "reports" / "nlu.md"
# Kept by hand: what each change to the data or the pipeline did to the scores; appended to
# the report so the two are read together.
CHANGES = PROJECT_ROOT / "reports" / "nlu-changes.md"
REPEATS = 3  # parses per message for the latency figures

# Rasa's stock recipe for Chinese, with every component left at its defaults.
STOCK_CONFIG = """\
recipe: default.v1
language: zh
pipeline:
  - name: JiebaTokenizer
  - name: CountVectorsFeaturizer
  - name: DIETClassifier
policies: []
"""


@dataclass(frozen=True)
class Example:
    """One held-out message and what it should parse to."""

    text: str
    intent: str  # top-level intent, e.g. 'faq'
    label: str  # full label, e.g. 'faq/warranty'
    entities: tuple[tuple[str, str], ...]


def _expected_value(entity: dict[str, Any]) -> str:
    value = str(entity.get("value", ""))
    if entity["entity"] == "order_id":
        return normalise_order_no(value) or value
    if entity["entity"] == "phone":
        return normalise_phone(value) or value
    return value


def load_examples(path: Path = TEST_DATA) -> list[Example]:
    """The held-out examples with normalised expected entity values."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples = []
    for message in load_data(str(path)).training_examples:
        intent = message.get("intent")
        entities = tuple((e["entity"], _expected_value(e)) for e in message.get("entities") or [])
        label = message.get("intent_response_key") or intent
        examples.append(Example(message.get("text"), intent, label, entities))
    return examples


def predicted_entities(parse: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """(type, value) pairs of a parse; a time is compared by the expression it matched."""
    pairs = []
    for entity in parse.get("entities", []):
        if entity["entity"] == "time":
            pairs.append(("time", str(entity.get("additional_info", {}).get("text", ""))))
        else:
            pairs.append((entity["entity"], str(entity["value"])))
    return tuple(pairs)


def predicted_label(parse: dict[str, Any]) -> str:
    """The intent, refined to faq/<question> by the response selector."""
    intent = (parse.get("intent") or {}).get("name") or "None"
    if intent == "faq":
        selected = parse.get("response_selector", {}).get("faq", {}).get("response", {})
        return selected.get("intent_response_key") or intent
    return intent


@dataclass(frozen=True)
class ModelReport:
    """Everything measured for one model on the held-out split."""

    name: str
    examples: int
    intent_accuracy: float
    intent_macro_f1: float
    label_accuracy: float
    traditional_accuracy: float
    simplified_accuracy: float
    fallback_rate: float  # share of messages the bot would not act on (nlu_fallback)
    entities: dict[str, EntityScore]
    confusions: list[tuple[str, str, int]]
    p50_ms: float
    p95_ms: float


async def _parse_all(model: Path, texts: list[str]) -> tuple[list[dict[str, Any]], list[float]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    await agent.parse_message(texts[0])  # warm-up: first parse builds lazy state
    parses, timings = [], []
    for text in texts:
        for attempt in range(REPEATS):
            started = time.perf_counter()
            parse = await agent.parse_message(text)
            timings.append((time.perf_counter() - started) * 1000)
            if attempt == 0:
                parses.append(parse)
    return parses, timings


def evaluate(
    model: Path, examples: list[Example], name: str, with_entities: bool = True
) -> ModelReport:
    """Parse every held-out example with `model` and score the results (entities too, unless
    the split does not mark them)."""
    parses, timings = asyncio.run(_parse_all(model, [e.text for e in examples]))
    intents = [(p.get("intent") or {}).get("name") or "None" for p in parses]
    labels = [predicted_label(p) for p in parses]
    expected_intents = [e.intent for e in examples]
    trad = [i for i, e in enumerate(examples) if is_traditional(e.text)]
    simp = [i for i in range(len(examples)) if i not in set(trad)]

    def subset_accuracy(indices: list[int]) -> float:
        return accuracy([expected_intents[i] for i in indices], [intents[i] for i in indices])

    return ModelReport(
        name=name,
        examples=len(examples),
        intent_accuracy=accuracy(expected_intents, intents),
        intent_macro_f1=macro_f1(expected_intents, intents),
        label_accuracy=accuracy([e.label for e in examples], labels),
        traditional_accuracy=subset_accuracy(trad),
        simplified_accuracy=subset_accuracy(simp),
        fallback_rate=sum(i == FALLBACK for i in intents) / len(intents),
        entities=entity_scores(
            [e.entities for e in examples], [predicted_entities(p) for p in parses]
        )
        if with_entities
        else {},
        confusions=confusions(expected_intents, intents),
        p50_ms=percentile(timings, 50),
        p95_ms=percentile(timings, 95),
    )


def train_nlu(config: Path, out: Path, name: str) -> Path:
    """Train an NLU-only model with `config` on data/nlu; returns the model file."""
    subprocess.run(
        [str(Path(sys.executable).with_name("rasa")), "train", "nlu", "--config", str(config),
         "--nlu", "data/nlu", "--domain", "domain.yml", "--out", str(out),
         "--fixed-model-name", name, "--quiet"],
        cwd=PROJECT_ROOT, check=True,
    )  # fmt: skip
    return out / f"{name}.tar.gz"


def render(reports: list[ModelReport], command: str, splits: dict[str, list[Example]]) -> str:
    """The markdown report: one column per model and split."""
    described = ", ".join(
        f"`{name}` ({len(ex)} messages, {sum(is_traditional(e.text) for e in ex)} traditional)"
        for name, ex in splits.items()
    )
    lines = [
        "# NLU evaluation",
        "",
        f"Produced by `{command}` on {time.strftime('%Y-%m-%d')}, 2 cores. Trained on "
        f"`data/nlu/`; scored on {described}, none of them trained on. The held-out split "
        "was used for error analysis while the data was written; the blind split was written "
        "in batches after data changes and is the fairer estimate for new customers; the real-"
        "register split is written the way marketplace buyers write (亲, 在吗, 无语, typos, "
        "kaomoji), by someone who had not seen the training data, before the data change it "
        "tests, and is scored on intents only (its entities are not marked).",
        "",
        "| measure | " + " | ".join(r.name for r in reports) + " |",
        "| --- | " + " | ".join("---" for _ in reports) + " |",
    ]

    def row(title: str, values: list[str]) -> None:
        lines.append(f"| {title} | " + " | ".join(values) + " |")

    row("intent accuracy", [f"{r.intent_accuracy:.3f}" for r in reports])
    row("intent macro-F1", [f"{r.intent_macro_f1:.3f}" for r in reports])
    row("accuracy incl. faq/* question", [f"{r.label_accuracy:.3f}" for r in reports])
    row("accuracy, simplified", [f"{r.simplified_accuracy:.3f}" for r in reports])
    row("accuracy, traditional", [f"{r.traditional_accuracy:.3f}" for r in reports])
    row("falls back (nlu_fallback)", [f"{r.fallback_rate:.3f}" for r in reports])
    entity_names = sorted({name for r in reports for name in r.entities})
    for name in entity_names:
        cells = []
        for r in reports:
            s = r.entities.get(name)
            cells.append(f"P {s.precision:.3f} / R {s.recall:.3f}" if s else "—")
        row(f"entity `{name}` precision / recall", cells)
    row("parse latency p50 (ms)", [f"{r.p50_ms:.1f}" for r in reports])
    row("parse latency p95 (ms)", [f"{r.p95_ms:.1f}" for r in reports])
    ours = [r for r in reports if r.name.startswith("ours")]
    stock = [r for r in reports if r.name.startswith("stock")]
    for mine, theirs in zip(ours, stock, strict=False):
        mine_err, their_err = 1 - mine.intent_accuracy, 1 - theirs.intent_accuracy
        ratio = f"{their_err / mine_err:.1f}×" if mine_err else "all errors removed"
        lines += ["", f"Intent errors, stock ÷ ours, {mine.name.split(', ')[-1]}: {ratio}."]
    if CHANGES.exists():
        lines += ["", CHANGES.read_text(encoding="utf-8").strip()]
    for r in reports:
        lines += ["", f"## Confusions: {r.name}", ""]
        lines += [f"- {e} → {p}: {n}" for e, p, n in r.confusions] or ["- none"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Train and compare (default), or score one given model."""
    parser = argparse.ArgumentParser(prog="python -m bot.nlp.evaluate", description=__doc__)
    parser.add_argument("--model", type=Path, help="score this trained model only")
    parser.add_argument("--out", type=Path, default=REPORT, help="where to write the report")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    os.chdir(PROJECT_ROOT)  # config.yml names models/spacy_zh relative to the project
    splits = {
        "held-out": load_examples(TEST_DATA),
        "blind": load_examples(BLIND_DATA),
        "real register": load_examples(REAL_REGISTER_DATA),
        "follow-up register": load_examples(FOLLOWUP_DATA),
        "parcel register": load_examples(PARCEL_DATA),
    }

    def score(model: Path, name: str) -> list[ModelReport]:
        return [
            evaluate(model, ex, f"{name}, {split}", with_entities=split not in INTENTS_ONLY)
            for split, ex in splits.items()
        ]

    if args.model:
        reports = score(args.model, "ours")
        command = f"python -m bot.nlp.evaluate --model {args.model}"
    else:
        with tempfile.TemporaryDirectory(prefix="eval-nlu-") as tmp:
            stock_config = Path(tmp) / "stock.yml"
            stock_config.write_text(STOCK_CONFIG, encoding="utf-8")
            ours = train_nlu(PROJECT_ROOT / "config.yml", Path(tmp), "ours")
            stock = train_nlu(stock_config, Path(tmp), "stock")
            reports = score(ours, "ours") + score(stock, "stock")
        command = "make eval-nlu"
    report = render(reports, command, splits)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    sys.stdout.write(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
