"""The trained model on the held-out splits: the bar the NLU must clear, kept in CI.

Latency is measured by `make eval-nlu` (reports/nlu.md), not asserted here.
"""

from __future__ import annotations

import pytest

from bot.cli.serve import MODEL_PATH
from bot.config import PROJECT_ROOT
from bot.nlp.evaluate import ModelReport, evaluate, load_examples
from bot.nlp.normalise import comparable

pytestmark = pytest.mark.e2e  # needs the trained model

SPLITS = PROJECT_ROOT / "tests" / "nlu"


@pytest.fixture(scope="module")
def held_out() -> ModelReport:
    if not MODEL_PATH.exists():
        pytest.fail("no trained model: run 'make train'")
    return evaluate(MODEL_PATH, load_examples(SPLITS / "test_nlu.yml"), "held-out")


@pytest.fixture(scope="module")
def blind() -> ModelReport:
    return evaluate(MODEL_PATH, load_examples(SPLITS / "test_nlu_blind.yml"), "blind")


@pytest.fixture(scope="module")
def real_register() -> ModelReport:
    examples = load_examples(SPLITS / "test_nlu_real_register.yml")
    return evaluate(MODEL_PATH, examples, "real register", with_entities=False)


@pytest.fixture(scope="module")
def followup_register() -> ModelReport:
    examples = load_examples(SPLITS / "test_nlu_followup_register.yml")
    return evaluate(MODEL_PATH, examples, "follow-up register", with_entities=False)


# The targets. The intent classifier is deterministic (same data, same model), so
# the guards need no margin for run-to-run noise; the blind split was written in batches, each
# after a change and scored before anything was tuned, so it estimates what a new customer sees.
HELD_OUT_ACCURACY = 0.95
HELD_OUT_MACRO_F1 = 0.93
BLIND_ACCURACY = 0.95
# Messages the way marketplace buyers write them (issue 11): at most 8 in 100 misread, and few
# left to the fallback.
REAL_REGISTER_ACCURACY = 0.92
REAL_REGISTER_FALLBACK = 0.03
# Scored once (0.958, macro-F1 0.965, fallback 0.4%) on the first model trained with the
# follow-up intents (reports/nlu-changes.md),
# and not tuned against since.
FOLLOWUP_ACCURACY = 0.93
# Scored first at 0.885 (macro-F1 0.855, fallback 2.3%) on the first model trained with the
# parcel intent; 0.892 after four courier-denial lines went back to `complain` by the labelling
# rule (reports/nlu-changes.md). Not tuned against.
PARCEL_ACCURACY = 0.85


@pytest.fixture(scope="module")
def parcel_register() -> ModelReport:
    examples = load_examples(SPLITS / "test_nlu_parcel_register.yml")
    return evaluate(MODEL_PATH, examples, "parcel register", with_entities=False)


def test_intents_on_the_held_out_split(held_out: ModelReport) -> None:
    assert held_out.intent_accuracy >= HELD_OUT_ACCURACY
    assert held_out.intent_macro_f1 >= HELD_OUT_MACRO_F1


@pytest.mark.parametrize("entity", ["order_id", "phone"])
def test_identifiers_are_extracted_exactly(
    held_out: ModelReport, blind: ModelReport, entity: str
) -> None:
    for report in (held_out, blind):
        score = report.entities[entity]
        assert score.precision >= 0.99 and score.recall >= 0.99, report.name


def test_traditional_characters_score_as_well_as_simplified(held_out: ModelReport) -> None:
    assert held_out.traditional_accuracy >= held_out.simplified_accuracy - 0.05


def test_blind_split_does_not_regress(blind: ModelReport) -> None:
    """Written after the changes it measures and never tuned against."""
    assert blind.intent_accuracy >= BLIND_ACCURACY


def test_messages_in_the_buyers_register(real_register: ModelReport) -> None:
    assert real_register.intent_accuracy >= REAL_REGISTER_ACCURACY
    assert real_register.fallback_rate <= REAL_REGISTER_FALLBACK


def test_coming_back_after_applying(followup_register: ModelReport) -> None:
    """Status, withdrawing, tracking numbers, moving a visit, adding to a complaint (issue
    12), among their nearest neighbours; written before the intents' training data."""
    assert followup_register.intent_accuracy >= FOLLOWUP_ACCURACY
    assert followup_register.fallback_rate <= REAL_REGISTER_FALLBACK


def test_parcels_that_stalled_or_never_arrived(parcel_register: ModelReport) -> None:
    """物流不动了 / 显示签收但没收到 among courier complaints, returns sent back, refund money
    and shipping questions (issue 12); written blind before the intent's training data."""
    assert parcel_register.intent_accuracy >= PARCEL_ACCURACY
    assert parcel_register.fallback_rate <= REAL_REGISTER_FALLBACK


def test_the_splits_were_never_trained_on() -> None:
    """Compared as the model reads them: 退貨 and 退货, ！and !, are the same message."""
    from rasa.shared.nlu.training_data.loading import load_data

    trained = {
        comparable(m.get("text"))
        for m in load_data(str(PROJECT_ROOT / "data" / "nlu")).training_examples
    }
    for split in sorted(path.name for path in SPLITS.glob("test_nlu*.yml")):
        overlap = {e.text for e in load_examples(SPLITS / split) if comparable(e.text) in trained}
        assert not overlap, f"{split} shares examples with data/nlu: {sorted(overlap)[:5]}"
