"""Caption cleaning exactly as GeoText-1652 does it: shared by the data loader, the tokenizer and the nodes."""
from __future__ import annotations

import re

MAX_WORDS_TRAIN = 30
MAX_WORDS_TEST = 50

_STRIP = re.compile(r"[,.'!?\"()*#:;~]")
_TO_SPACE = re.compile(r"[-/]")
_SPACES = re.compile(r"\s{2,}")


def clean_caption(text: str, max_words: int = MAX_WORDS_TEST) -> str:
    """Lowercase, strip ,.'!?"()*#:;~, turn - and / into spaces, collapse spaces, keep at most max_words words."""
    if not isinstance(text, str):
        raise TypeError(f"caption must be a str, got {type(text).__name__}: {text!r:.80}")
    out = _STRIP.sub("", text.lower())
    out = _TO_SPACE.sub(" ", out)
    out = _SPACES.sub(" ", out).strip()
    words = out.split(" ")
    if max_words > 0 and len(words) > max_words:
        out = " ".join(words[:max_words])
    return out
