"""The registered parts of our spaCy `zh` pipeline: a jieba tokenizer and lemma placeholders.

spacy.load() rebuilds a saved pipeline by these registered names, so this module must be
imported before SpacyNLP loads the model (bot.nlp.components imports it).

The tokenizer: jieba with the after-sales lexicon, numbers kept whole.

jieba alone splits '订单202411150003我要退货' unpredictably and breaks '138 0013 8000' into
pieces, so entity spans would not line up with tokens. Order and phone numbers are cut out
first and become one token each; jieba segments the rest with the lexicon's words added.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache

import jieba
import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import get_words_and_spaces
from spacy.vocab import Vocab

from bot.nlp.lexicon import load_lexicon

# A mainland mobile, optionally +86, optionally grouped 3-4-4 by spaces or dashes.
PHONE_PATTERN = r"(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}"
# Letters (a platform prefix) then 10–20 digits.
ORDER_PATTERN = r"[a-z]{0,4}\d{10,20}"
_WHOLE = re.compile(rf"(?<![a-z0-9])(?:{PHONE_PATTERN}|{ORDER_PATTERN})(?![a-z0-9])", re.I)

jieba.setLogLevel(60)  # jieba prints its dictionary loading at INFO on every start


@lru_cache(maxsize=1)
def segmenter() -> jieba.Tokenizer:
    """The one jieba instance of the process, with the lexicon's words kept whole."""
    tokenizer = jieba.Tokenizer()
    for word in sorted(load_lexicon().words):
        tokenizer.add_word(word, freq=200000)
    return tokenizer


class JiebaTokenizer:
    """Callable spaCy tokenizer on the shared `segmenter()`, not jieba's global instance."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab
        self._jieba = segmenter()

    def _pieces(self, text: str) -> Iterator[str]:
        position = 0
        for match in _WHOLE.finditer(text):
            yield from self._jieba.cut(text[position : match.start()], HMM=True)
            yield match.group()
            position = match.end()
        yield from self._jieba.cut(text[position:], HMM=True)

    def __call__(self, text: str) -> Doc:
        words = [w for w in self._pieces(text) if w and not w.isspace()]
        words, spaces = get_words_and_spaces(words, text)
        return Doc(self.vocab, words=words, spaces=spaces)

    # spaCy serialises tokenizers with the pipeline; ours is rebuilt from lexicon.yml instead.
    def to_disk(self, path: object, **kwargs: object) -> None:
        """Nothing to save: the lexicon ships with the code."""

    def from_disk(self, path: object, **kwargs: object) -> JiebaTokenizer:
        """Nothing to load: the lexicon ships with the code."""
        return self


@spacy.registry.tokenizers("aftersales.JiebaTokenizer.v1")
def create_tokenizer() -> Callable[[Language], JiebaTokenizer]:
    """Registered so a saved pipeline names this tokenizer and spacy.load rebuilds it."""

    def make(nlp: Language) -> JiebaTokenizer:
        return JiebaTokenizer(nlp.vocab)

    return make


# What an entity's tokens are called in the intent features. Rasa's count-vector featurizers
# read token lemmas, so '202411020007这个单退款好了吗' is learned as '<订单号>这个单退款好了吗':
# the digits of one customer's order say nothing about what any customer wants. Synonyms are
# read as their group's tag (lexicon.yml `concepts`), so 货款何时到账 is learned like 钱啥时候到账.
PLACEHOLDERS = {"order_id": "<订单号>", "phone": "<手机号>", "product": "<商品>"}
NUMBER_PLACEHOLDER = "<数字>"


def _lemma(text: str, concepts: dict[str, str]) -> str:
    if text in concepts:
        return concepts[text]
    return NUMBER_PLACEHOLDER if text.isdigit() else text


@Language.component("aftersales_placeholders")
def set_placeholder_lemmas(doc: Doc) -> Doc:
    """Entity tokens, synonyms and bare numbers get placeholder lemmas; others keep their text."""
    concepts = load_lexicon().concepts
    for token in doc:
        token.lemma_ = _lemma(token.text, concepts)
    for span in doc.ents:
        for token in span:
            token.lemma_ = PLACEHOLDERS.get(span.label_, token.text)
    return doc
