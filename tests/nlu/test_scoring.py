"""The evaluation's arithmetic."""

from __future__ import annotations

import math

from bot.nlp.scoring import accuracy, confusions, entity_scores, macro_f1, percentile


def test_accuracy_and_macro_f1() -> None:
    expected = ["a", "a", "b", "c"]
    predicted = ["a", "b", "b", "c"]
    assert accuracy(expected, predicted) == 0.75
    # F1: a = 2/3, b = 2/3, c = 1
    assert math.isclose(macro_f1(expected, predicted), (2 / 3 + 2 / 3 + 1) / 3)
    assert confusions(expected, predicted) == [("a", "b", 1)]


def test_entity_scores_match_type_and_value() -> None:
    expected = [[("order_id", "1")], [("phone", "2")], []]
    predicted = [[("order_id", "1")], [("phone", "3")], [("phone", "4")]]
    scores = entity_scores(expected, predicted)
    assert (scores["order_id"].precision, scores["order_id"].recall) == (1.0, 1.0)
    assert (scores["phone"].precision, scores["phone"].recall) == (0.0, 0.0)


def test_percentile_nearest_rank() -> None:
    values = list(range(1, 101))
    assert percentile(values, 50) == 50 and percentile(values, 95) == 95
    assert math.isnan(percentile([], 50))
