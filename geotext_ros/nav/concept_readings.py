"""Another reading of a target phrase whose noun the model was not trained on (issue 19: words you did not write).

The open_world model reads any English word through its frozen pretrained MiniLM, but its dense head learned
only the nouns of its training captions: "the edifice" or "the photovoltaic array" score no region even when
the building or the solar panels fill the frame. The engine's manifest lists those nouns per kind
(`concepts`, written by `python -m training.concepts`). This module replaces the phrase's noun by the trained
noun that the model's own text encoder (its token features, mean-pooled: the sentence space MiniLM was
pretrained for) puts nearest, when that kind wins over every other kind by `margin`:

    "the green edifice"       -> "the green building"    (building 0.57, next kind 0.37)
    "the hall with a red roof" -> no reading              (building 0.54, parking lot 0.50: too close to call)

The grounder grounds both readings and keeps the one the frame supports best (grounding.py `_best_readings`),
so the original words still win where the model knows them. The noun is the trailing run (at most
MAX_NOUN_WORDS) of words before "with" that are neither attributes (colours, shapes: nav/vocabulary.py) nor
function words; a phrase that already contains a trained noun gets no other reading.
"""
from __future__ import annotations

import re
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from geotext_ros.nav.vocabulary import ATTRIBUTES

MAX_NOUN_WORDS = 3
MAX_CACHED = 256   # phrases whose readings are kept (the navigator asks for the same few every frame)
# words that end the noun run going left ("l-shaped" is written "l shaped" after the hyphen is dropped)
_NOT_NOUN = frozenset({"the", "a", "an", "of", "that", "which", "is", "one", "l", "shaped", "with"})


class ConceptReadings:
    """readings(phrase, limit) for a backend and its manifest's concepts {kind: [trained nouns]}."""

    def __init__(self, backend: Any, concepts: Mapping[str, Sequence[str]], margin: float) -> None:
        nouns = [(str(noun).lower(), str(kind)) for kind, words in concepts.items() for noun in words]
        if not nouns or len({kind for _, kind in nouns}) < 2:
            raise ValueError(f"concepts must name at least two kinds with their trained nouns, got "
                             f"{dict(concepts)!r:.200}; rewrite them with `python -m training.concepts`")
        self.backend, self.margin = backend, float(margin)
        self.nouns = [noun for noun, _ in nouns]
        self.kinds = [kind for _, kind in nouns]
        self._known = [re.compile(rf"\b{re.escape(noun)}\b") for noun in self.nouns]
        self._cache: dict[str, np.ndarray] = {}
        self._read: dict[str, list[str]] = {}   # phrase -> its readings: asked again every frame
        self._noun_vectors = self._embed([f"the {noun}" for noun in self.nouns])

    def readings(self, phrase: str, limit: int = 2) -> list[str]:
        """[phrase] and, when its noun is untrained and one kind is nearest by `margin`, the phrase with that
        kind's nearest trained noun instead; at most `limit` texts."""
        if phrase not in self._read:
            if len(self._read) >= MAX_CACHED:   # a long flight's instructions must not grow it without end
                self._read.clear()
            self._read[phrase] = [phrase] + self._other_reading(phrase)
        return self._read[phrase][:max(limit, 1)]

    def _other_reading(self, phrase: str) -> list[str]:
        words = str(phrase).lower().replace("-", " ").split()
        span = noun_span(words)
        if span is None or any(p.search(" ".join(words)) for p in self._known):
            return []
        start, end = span
        noun = self.nearest(" ".join(words[start:end]))
        return [] if noun is None else [" ".join(words[:start] + [noun] + words[end:])]

    def nearest(self, words: str) -> Optional[str]:
        """The trained noun nearest to `words` when its kind beats every other kind by margin, else None."""
        noun, margin = self.nearest_with_margin(words)
        return noun if margin >= self.margin else None

    def nearest_with_margin(self, words: str) -> tuple[str, float]:
        """The trained noun nearest to `words` and by how much its kind beats the next kind (cosine)."""
        sims = self._noun_vectors @ self._embed([f"the {words}"])[0]
        best: dict[str, tuple[float, str]] = {}
        for sim, noun, kind in zip(sims.tolist(), self.nouns, self.kinds):
            if sim > best.get(kind, (-np.inf, ""))[0]:
                best[kind] = (sim, noun)
        (first, noun), (second, _) = sorted(best.values(), reverse=True)[:2]
        return noun, first - second

    def kind_of(self, noun: str) -> str:
        return self.kinds[self.nouns.index(noun)]

    def phrase_kind(self, phrase: str) -> Optional[str]:
        """The kind a phrase names: its trained noun's (the longest in it), else its nearest trained noun's when
        that kind wins by margin ("the edifice" -> building), else None ("the red one")."""
        text = " ".join(str(phrase).lower().replace("-", " ").split())
        known = [(len(noun), kind) for noun, kind, p in zip(self.nouns, self.kinds, self._known) if p.search(text)]
        if known:
            return max(known)[1]
        words = text.split()
        span = noun_span(words)
        noun = None if span is None else self.nearest(" ".join(words[span[0]:span[1]]))
        return None if noun is None else self.kind_of(noun)

    def _embed(self, texts: list[str]) -> np.ndarray:
        """Mean-pooled, L2-normalized text-encoder token features of each text (cached per text)."""
        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if todo and len(self._cache) + len(todo) > MAX_CACHED:   # the trained nouns' vectors are kept apart
            self._cache.clear()
            todo = list(dict.fromkeys(texts))
        if todo:
            ids, mask = self.backend.tokenizer(todo)
            tokens, _ = self.backend.encode_text(ids, mask)
            weight = np.asarray(mask, dtype=np.float32)[..., None]
            pooled = (np.asarray(tokens, dtype=np.float32) * weight).sum(axis=1) / np.maximum(weight.sum(axis=1), 1.0)
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            self._cache.update(zip(todo, pooled))
        return np.stack([self._cache[t] for t in texts])


def noun_span(words: Sequence[str]) -> Optional[tuple[int, int]]:
    """(start, end) of the noun: the trailing run of at most MAX_NOUN_WORDS words before "with" that are neither
    attributes nor function words; None when there is none ("the red one")."""
    end = list(words).index("with") if "with" in words else len(words)
    start = end
    while start > 0 and end - start < MAX_NOUN_WORDS and words[start - 1] not in _NOT_NOUN \
            and words[start - 1] not in ATTRIBUTES:
        start -= 1
    return (start, end) if start < end else None
