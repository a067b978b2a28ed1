"""Pure-Python BERT WordPiece tokenizer (no `transformers`): HF `vocab.txt` files or a vocab built from captions.

Text is cleaned with `clean_caption` first (the GeoText-1652 rule), then split on whitespace and punctuation and
cut into the longest matching wordpieces, continuation pieces prefixed with "##" (as BERT's uncased tokenizer).

Aliases: an optional {word: in-vocabulary word} table applied to whole words the vocabulary lacks, before wordpiece.
A small vocabulary built from training captions knows "building" but not "edifice"; an alias table computed once
with a general-purpose pretrained text encoder (training/aliases.py) lets such a model read an operator's synonym
instead of character pieces it never learned. Words in the vocabulary are never rewritten.
Alternatives: an optional {word: [other in-vocabulary words]} table of the other readings the encoder found close
("water" -> "swimming", alternatives "lake", "pond"); `readings(text)` spells them out so that a caller that can
check them against an image (the navigator's Grounder) picks the reading the camera supports.
"""
from __future__ import annotations

import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from geotext_ros.model.text import MAX_WORDS_TEST, clean_caption

SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"


class WordPieceTokenizer:
    """`tok(texts, max_len=None) -> (ids, mask)`, both np.int64 [B, L], [CLS] ... [SEP] then [PAD]."""

    def __init__(self, vocab: Sequence[str], max_len: int = 40, max_words: int = MAX_WORDS_TEST,
                 max_chars_per_word: int = 100, aliases: Mapping[str, str] | None = None,
                 alternatives: Mapping[str, Sequence[str]] | None = None) -> None:
        self.vocab = list(vocab)
        self.index = {tok: i for i, tok in enumerate(self.vocab)}
        missing = [s for s in SPECIALS[:4] if s not in self.index]
        if missing:
            raise ValueError(f"vocabulary lacks the special token(s) {missing}; a BERT vocab needs "
                             f"[PAD] [UNK] [CLS] [SEP]")
        if len(self.index) != len(self.vocab):
            dup = [t for t, n in Counter(self.vocab).items() if n > 1][:5]
            raise ValueError(f"vocabulary has duplicate entries, e.g. {dup}")
        self.max_len = int(max_len)
        self.max_words = int(max_words)
        self.max_chars_per_word = max_chars_per_word
        self.pad_id, self.unk_id = self.index["[PAD]"], self.index["[UNK]"]
        self.cls_id, self.sep_id = self.index["[CLS]"], self.index["[SEP]"]
        self.mask_id = self.index.get("[MASK]", self.unk_id)
        self.aliases = self._checked_aliases(aliases or {})
        self.alternatives = self._checked_alternatives(alternatives or {})

    def __len__(self) -> int:
        return len(self.vocab)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    # --- construction -------------------------------------------------------------------------------------
    @classmethod
    def from_vocab_file(cls, path: str | Path, **kwargs: Any) -> "WordPieceTokenizer":
        """Read an HF `vocab.txt` (one token a line, line number = id)."""
        path = Path(path)
        if path.is_dir():
            path = path / "vocab.txt"
        try:
            lines = path.read_text(encoding="utf-8").split("\n")
        except OSError as e:
            raise FileNotFoundError(f"cannot read vocabulary file {path}: {e}") from e
        if lines and lines[-1] == "":
            lines.pop()
        return cls([ln.rstrip("\r") for ln in lines], **kwargs)

    @classmethod
    def build_vocab(cls, texts: Iterable[str], min_freq: int = 2, max_words: int = MAX_WORDS_TEST,
                    **kwargs: Any) -> "WordPieceTokenizer":
        """Specials, then words seen >= min_freq times (most frequent first), then a-z0-9 and ##a-##9 so unseen
        words fall back to characters instead of [UNK]."""
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(basic_tokenize(clean_caption(text, max_words)))
        vocab = list(SPECIALS)
        seen = set(vocab)
        chars = list(CHARS) + ["##" + c for c in CHARS]
        words = sorted((w for w, n in counts.items() if n >= min_freq), key=lambda w: (-counts[w], w))
        for tok in words + chars:
            if tok not in seen:
                seen.add(tok)
                vocab.append(tok)
        return cls(vocab, max_words=max_words, **kwargs)

    def to_dict(self) -> dict[str, Any]:
        out = {"kind": "wordpiece", "vocab": list(self.vocab), "max_len": self.max_len, "max_words": self.max_words}
        if self.aliases:
            out["aliases"] = dict(self.aliases)
        if self.alternatives:
            out["alternatives"] = {w: list(alts) for w, alts in self.alternatives.items()}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "WordPieceTokenizer":
        if data.get("kind", "wordpiece") != "wordpiece" or "vocab" not in data:
            raise ValueError(f"not a WordPiece tokenizer record (keys {sorted(data)[:8]})")
        return cls(data["vocab"], max_len=data.get("max_len", 40), max_words=data.get("max_words", MAX_WORDS_TEST),
                   aliases=data.get("aliases"), alternatives=data.get("alternatives"))

    def with_aliases(self, aliases: Mapping[str, str],
                     alternatives: Mapping[str, Sequence[str]] | None = None) -> "WordPieceTokenizer":
        """A copy that rewrites out-of-vocabulary words by `aliases` and offers `alternatives` as other readings
        (see the module docstring)."""
        return WordPieceTokenizer(self.vocab, self.max_len, self.max_words, self.max_chars_per_word, aliases,
                                  alternatives)

    def with_limits(self, max_words: int, max_len: int) -> "WordPieceTokenizer":
        """A copy that keeps `max_words` words of a cleaned text and `max_len` tokens (with [CLS]/[SEP])."""
        return WordPieceTokenizer(self.vocab, max_len, max_words, self.max_chars_per_word, self.aliases,
                                  self.alternatives)

    def _checked_alternatives(self, alternatives: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
        bad = {w: t for w, alts in alternatives.items() for t in alts if t not in self.index}
        if bad:
            raise ValueError(f"alias alternatives must be vocabulary words; not in the vocabulary: "
                             f"{dict(list(bad.items())[:5])}; rebuild the alias table for this vocabulary")
        return {str(w): [str(t) for t in alts] for w, alts in alternatives.items() if w not in self.index and alts}

    def readings(self, text: str, limit: int = 3) -> list[str]:
        """`text` first (read with the aliases), then copies with one aliased word replaced by an alternative,
        best first: at most `limit` texts. Just [text] without alternatives for its words."""
        out = [text]
        words = basic_tokenize(clean_caption(text, self.max_words))
        for i, word in enumerate(words):
            for alt in self.alternatives.get(word, []):
                if len(out) >= limit:
                    return out
                out.append(" ".join(words[:i] + [alt] + words[i + 1:]))
        return out

    def _checked_aliases(self, aliases: Mapping[str, str]) -> dict[str, str]:
        # A target outside the vocabulary would turn a synonym into pieces again: a broken table, not a choice.
        bad = {w: t for w, t in aliases.items() if t not in self.index}
        if bad:
            raise ValueError(f"alias targets must be vocabulary words; not in the vocabulary: "
                             f"{dict(list(bad.items())[:5])}; rebuild the alias table for this vocabulary")
        return {str(w): str(t) for w, t in aliases.items() if w not in self.index}

    # --- tokenization -------------------------------------------------------------------------------------
    def tokenize(self, text: str) -> list[str]:
        """Wordpiece strings of one text (no [CLS]/[SEP])."""
        out: list[str] = []
        for word in basic_tokenize(clean_caption(text, self.max_words)):
            out.extend(self._wordpiece(self.aliases.get(word, word)))
        return out

    def encode(self, text: str) -> list[int]:
        return [self.index.get(t, self.unk_id) for t in self.tokenize(text)]

    def decode(self, ids: Iterable[int]) -> str:
        words: list[str] = []
        for i in ids:
            tok = self.vocab[int(i)]
            if tok in SPECIALS:
                continue
            if tok.startswith("##") and words:
                words[-1] += tok[2:]
            else:
                words.append(tok)
        return " ".join(words)

    def __call__(self, texts: str | Sequence[str], max_len: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """ids, mask: np.int64 [B, L]; padded to the longest text, or to exactly max_len when given."""
        if isinstance(texts, str):
            texts = [texts]
        limit = int(max_len) if max_len is not None else self.max_len
        if limit < 2:
            raise ValueError(f"max_len must be >= 2 to hold [CLS] and [SEP], got {limit}")
        rows = [[self.cls_id] + self.encode(t)[: limit - 2] + [self.sep_id] for t in texts]
        width = limit if max_len is not None else max((len(r) for r in rows), default=2)
        ids = np.full((len(rows), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        return ids, mask

    def _wordpiece(self, word: str) -> list[str]:
        if len(word) > self.max_chars_per_word:
            return ["[UNK]"]
        pieces: list[str] = []
        start = 0
        while start < len(word):
            end = len(word)
            piece = None
            while start < end:  # greedy longest match first
                sub = word[start:end] if start == 0 else "##" + word[start:end]
                if sub in self.index:
                    piece = sub
                    break
                end -= 1
            if piece is None:
                return ["[UNK]"]  # BERT rule: one unknown piece makes the whole word [UNK]
            pieces.append(piece)
            start = end
        return pieces


def basic_tokenize(text: str) -> list[str]:
    """BERT's basic tokenizer, uncased, in the order of transformers' BasicTokenizer: drop NUL, U+FFFD and control
    characters and turn every whitespace character into a space; put spaces around CJK ideographs (so "中文" is two
    words, as BERT reads Chinese); NFC; split on whitespace; lowercase and strip accents (NFD, drop Mn) per word;
    split every punctuation character off. Long words become [UNK] later, in wordpiece (100 characters)."""
    text = "".join(" " if _is_whitespace(ch) else ch for ch in text if not _is_dropped(ch))
    text = "".join(f" {ch} " if _is_cjk(ord(ch)) else ch for ch in text)
    tokens: list[str] = []
    for word in unicodedata.normalize("NFC", text).split():
        word = unicodedata.normalize("NFD", word.lower())
        tokens.extend(_split_punct("".join(ch for ch in word if unicodedata.category(ch) != "Mn")))
    return " ".join(tokens).split()


def _split_punct(word: str) -> list[str]:
    out: list[str] = []
    current = ""
    for ch in word:
        if _is_punct(ch):
            if current:
                out.append(current)
            out.append(ch)
            current = ""
        else:
            current += ch
    if current:
        out.append(current)
    return out


def _is_whitespace(ch: str) -> bool:
    # BERT's whitespace: space, tab, newline, carriage return and the Zs category (not Python's str.isspace)
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def _is_dropped(ch: str) -> bool:
    # NUL, the replacement character and control/format/unassigned/private characters (category C*), except the
    # whitespace controls tab, newline and carriage return
    if ch in "\t\n\r":
        return False
    return ord(ch) in (0, 0xFFFD) or unicodedata.category(ch).startswith("C")


# CJK Unified Ideographs blocks as BERT lists them (not Hangul or kana: those are written with spaces)
_CJK_RANGES = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F), (0x2B740, 0x2B81F),
               (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))


def _is_cjk(cp: int) -> bool:
    return any(lo <= cp <= hi for lo, hi in _CJK_RANGES)


def _is_punct(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")
