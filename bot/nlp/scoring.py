"""Scores for NLU evaluation: accuracy, macro-F1, entity precision/recall, latency percentiles.

Pure functions over plain lists, so they are unit-tested without a model.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class EntityScore:
    """Precision and recall of one entity type over a test set."""

    entity: str
    true_positives: int
    predicted: int
    expected: int

    @property
    def precision(self) -> float:
        """Share of predicted entities that were right (1.0 when nothing was predicted)."""
        return self.true_positives / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        """Share of expected entities that were found (1.0 when none were expected)."""
        return self.true_positives / self.expected if self.expected else 1.0


def accuracy(expected: Sequence[str], predicted: Sequence[str]) -> float:
    """Share of exact label matches."""
    if not expected:
        return 0.0
    return sum(e == p for e, p in zip(expected, predicted, strict=True)) / len(expected)


def macro_f1(expected: Sequence[str], predicted: Sequence[str]) -> float:
    """Unweighted mean of per-label F1 over the labels that occur in `expected`."""
    scores = []
    for label in sorted(set(expected)):
        tp = sum(e == label and p == label for e, p in zip(expected, predicted, strict=True))
        fp = sum(e != label and p == label for e, p in zip(expected, predicted, strict=True))
        fn = sum(e == label and p != label for e, p in zip(expected, predicted, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def confusions(
    expected: Sequence[str], predicted: Sequence[str], top: int = 10
) -> list[tuple[str, str, int]]:
    """The most frequent (expected, predicted, count) mistakes."""
    pairs = Counter((e, p) for e, p in zip(expected, predicted, strict=True) if e != p)
    return [(e, p, n) for (e, p), n in pairs.most_common(top)]


def entity_scores(
    expected: Sequence[Iterable[tuple[str, str]]], predicted: Sequence[Iterable[tuple[str, str]]]
) -> dict[str, EntityScore]:
    """Per entity type, matching (type, value) pairs message by message (as multisets)."""
    tp: Counter[str] = Counter()
    n_pred: Counter[str] = Counter()
    n_exp: Counter[str] = Counter()
    for exp, pred in zip(expected, predicted, strict=True):
        exp_c, pred_c = Counter(exp), Counter(pred)
        for (entity, _value), count in exp_c.items():
            n_exp[entity] += count
        for (entity, _value), count in pred_c.items():
            n_pred[entity] += count
        for pair, count in (exp_c & pred_c).items():
            tp[pair[0]] += count
    return {
        entity: EntityScore(entity, tp[entity], n_pred[entity], n_exp[entity])
        for entity in sorted(set(n_exp) | set(n_pred))
    }


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) by the nearest-rank method."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]
