"""Custom Rasa NLU graph components for Chinese after-sales messages.

`ChineseNormaliser` rewrites each message's text before tokenisation; it must come first in
config.yml. `AfterSalesEntityExtractor` turns the spaCy entity ruler's spans (order numbers,
phones, products) and the deterministic extractors' finds (amounts, ratings, times) into Rasa
entities with clean values; it must come after SpacyNLP and SpacyTokenizer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

import bot.nlp.spacy_zh  # noqa: F401  (registers the spaCy parts SpacyNLP's model names)
from bot.clock import shop_now
from bot.identifiers import normalise_order_no, normalise_phone
from bot.nlp.extract import Entity, extract_all, warm_up
from bot.nlp.normalise import normalise
from bot.nlp.typos import correct_typos


def _canonical(text: str) -> str:
    return correct_typos(normalise(text))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class ChineseNormaliser(GraphComponent):
    """Traditional → simplified, full → half width, punctuation and emoji tidied, typos repaired."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ChineseNormaliser:
        """Nothing to configure or train."""
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Train on the same spelling the model will see at prediction time."""
        for example in training_data.training_examples:
            if example.get(TEXT):
                example.set(TEXT, _canonical(example.get(TEXT)))
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Normalise each incoming message's text in place."""
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str):
                message.set(TEXT, _canonical(text))
        return messages


def _ruler_value(label: str, text: str, entity_id: str) -> str | None:
    if label == "order_id":
        return normalise_order_no(text)
    if label == "phone":
        return normalise_phone(text)
    return entity_id or text  # product: the catalogue's canonical name


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class AfterSalesEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Order numbers, phones, products, amounts, ratings and times, with normalised values."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> AfterSalesEntityExtractor:
        """Loads the date parser up front so the first customer does not wait for it."""
        warm_up()
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        """Add this extractor's entities to each message."""
        now = shop_now()
        for message in messages:
            found = self._entities(message, now)
            entities = [*message.get(ENTITIES, []), *(self._as_rasa(e) for e in found)]
            message.set(ENTITIES, entities, add_to_output=True)
        return messages

    @staticmethod
    def _entities(message: Message, now: dt.datetime) -> list[Entity]:
        text = message.get(TEXT) or ""
        doc = message.get(SPACY_DOCS[TEXT])
        ruled: list[Entity] = []
        for span in doc.ents if doc is not None else ():
            value = _ruler_value(span.label_, span.text, span.ent_id_)
            if value:
                ruled.append(Entity(span.label_, span.start_char, span.end_char, value))
        return ruled + extract_all(text, now, taken=ruled)

    def _as_rasa(self, entity: Entity) -> dict[str, Any]:
        result = {
            "entity": entity.entity,
            "start": entity.start,
            "end": entity.end,
            "value": entity.value,
            "extractor": self.__class__.__name__,
        }
        if entity.extra:
            result["additional_info"] = entity.extra
        return result
