"""The intent classifier on hand-made sparse features: trains, saves, loads, never crashes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import FEATURIZER_CLASS_ALIAS
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix

from bot.nlp.intent_classifier import TfidfLogisticIntentClassifier

CONFIG = {"featurizers": ["word_ngrams"], FEATURIZER_CLASS_ALIAS: "intent"}
# Word-count columns: 退 货 款 修 坏
VOCABULARY = ["退", "货", "款", "修", "坏"]


def message(text: str, intent: str | None = None) -> Message:
    counts = np.array([[text.count(word) for word in VOCABULARY]])
    result = Message(data={TEXT: text, **({INTENT: intent} if intent else {})})
    result.add_features(Features(csr_matrix(counts), FEATURE_TYPE_SENTENCE, TEXT, "word_ngrams"))
    return result


def train(tmp_path: Path) -> tuple[LocalModelStorage, Resource]:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("intent")
    context = ExecutionContext(graph_schema=None, node_name="intent")  # type: ignore[arg-type]
    classifier = TfidfLogisticIntentClassifier.create(CONFIG, storage, resource, context)
    examples = [
        message(text, intent)
        for text, intent in [
            ("我要退货", "request_return"),
            ("退货退款", "request_return"),
            ("帮我退了", "request_return"),
            ("坏了要修", "book_repair"),
            ("预约维修", "book_repair"),
            ("东西坏了", "book_repair"),
        ]
    ]
    classifier.train(TrainingData(examples))
    return storage, resource


def test_a_saved_classifier_loads_and_classifies(tmp_path: Path) -> None:
    storage, resource = train(tmp_path)
    context = ExecutionContext(graph_schema=None, node_name="intent")  # type: ignore[arg-type]
    loaded = TfidfLogisticIntentClassifier.load(CONFIG, storage, resource, context)
    [parsed] = loaded.process([message("电视坏了,帮我修")])
    assert parsed.get(INTENT)["name"] == "book_repair"
    ranking = parsed.get("intent_ranking")
    assert [r["name"] for r in ranking] == ["book_repair", "request_return"]
    assert abs(sum(r["confidence"] for r in ranking) - 1.0) < 1e-6


def test_a_message_without_features_gets_a_low_confidence_not_an_error(tmp_path: Path) -> None:
    storage, resource = train(tmp_path)
    context = ExecutionContext(graph_schema=None, node_name="intent")  # type: ignore[arg-type]
    loaded = TfidfLogisticIntentClassifier.load(CONFIG, storage, resource, context)
    [parsed] = loaded.process([Message(data={TEXT: ""})])
    assert parsed.get(INTENT)["confidence"] < 0.75
