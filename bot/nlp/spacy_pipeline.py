"""Build and save the spaCy `zh` pipeline that Rasa's SpacyNLP loads by path.

No Chinese spaCy model can be downloaded here, so the pipeline is a blank `zh` with our jieba
tokenizer, an entity ruler for order numbers, phone numbers and catalogue products, and
placeholder lemmas for those entities (what Rasa's intent features see).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import cast

import spacy
from spacy.language import Language
from spacy.pipeline import EntityRuler

from bot.config import PROJECT_ROOT
from bot.nlp.lexicon import load_lexicon
from bot.nlp.spacy_zh import ORDER_PATTERN, PHONE_PATTERN

SPACY_MODEL_DIR = PROJECT_ROOT / "models" / "spacy_zh"


def build() -> Language:
    """A blank zh pipeline with the jieba tokenizer and the after-sales entity ruler."""
    nlp = spacy.blank(
        "zh", config={"nlp": {"tokenizer": {"@tokenizers": "aftersales.JiebaTokenizer.v1"}}}
    )
    ruler = cast(EntityRuler, nlp.add_pipe("entity_ruler", config={"overwrite_ents": True}))
    # An 11-digit mobile number is a phone, not an order number.
    order_regex = rf"^(?!(?:\+?86)?1[3-9]\d{{9}}$){ORDER_PATTERN}$"
    patterns: list[dict] = [
        {"label": "phone", "pattern": [{"LOWER": {"REGEX": rf"^{PHONE_PATTERN}$"}}]},
        {"label": "order_id", "pattern": [{"LOWER": {"REGEX": order_regex}}]},
    ]
    for alias, canonical in load_lexicon().product_aliases.items():
        patterns.append({"label": "product", "pattern": alias, "id": canonical})
    ruler.add_patterns(patterns)
    nlp.add_pipe("aftersales_placeholders", after="entity_ruler")
    return nlp


def save(path: Path = SPACY_MODEL_DIR) -> Path:
    """Build the pipeline and write it to `path` (what config.yml's SpacyNLP loads)."""
    path.mkdir(parents=True, exist_ok=True)  # models/ does not exist in a fresh clone
    build().to_disk(path)
    return path


if __name__ == "__main__":
    target = save(Path(sys.argv[1]) if len(sys.argv) > 1 else SPACY_MODEL_DIR)
    sys.stdout.write(f"spaCy pipeline saved to {target}\n")
