"""The NLU vocabulary from lexicon.yml: products, categories, after-sales terms, synonym groups."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

LEXICON_PATH = Path(__file__).with_name("lexicon.yml")


@dataclass(frozen=True)
class Lexicon:
    """What customers call things, and what the store calls them."""

    product_aliases: dict[str, str]  # alias (lower case) → canonical product or category
    terms: tuple[str, ...]
    concepts: dict[str, str]  # word (lower case) → its synonym group's tag, e.g. 货款 → <钱>

    @property
    def words(self) -> set[str]:
        """Every word jieba must keep whole."""
        return set(self.product_aliases) | set(self.terms) | set(self.concepts)


@lru_cache(maxsize=1)
def load_lexicon(path: Path = LEXICON_PATH) -> Lexicon:
    """Parse lexicon.yml (cached: it is read once per process)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    aliases: dict[str, str] = {}
    for canonical, others in raw["products"].items():
        for alias in [canonical, *others]:
            aliases[alias.lower()] = canonical
    for category in raw["categories"]:
        aliases[category.lower()] = category
    concepts = {str(word).lower(): tag for tag, words in raw["concepts"].items() for word in words}
    return Lexicon(aliases, tuple(str(t).lower() for t in raw["terms"]), concepts)
