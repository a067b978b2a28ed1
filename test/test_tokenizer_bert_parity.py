"""Tokenizer parity with BERT's own (transformers' BertTokenizer, uncased) on a stress corpus, offline: both read
the project's bundled bert-base-uncased vocab.txt. Both of transformers' implementations are checked: the
pure-Python one the X-VLM / GeoText / HCCM code uses (BertTokenizer in transformers 4, BertTokenizerLegacy in
5) and the Rust one (BertTokenizerFast in 4, BertTokenizer in 5). GeoText-1652 cleans captions before BERT sees
them, so the full pipeline compares with BertTokenizer applied to the cleaned caption; the basic step compares
raw."""
import json
from pathlib import Path

import numpy as np
import pytest
import transformers   # a dev dependency (setup.py): the parity test must run in `make test`, never skip
from hypothesis import given, settings
from hypothesis import strategies as st

from geotext_ros.model.factory import resolve_vocab_file
from geotext_ros.model.text import clean_caption
from geotext_ros.model.tokenizer import WordPieceTokenizer, basic_tokenize
from geotext_ros.runtime.assets import tokenizer_from_manifest

ENGINE = Path(__file__).resolve().parents[1] / "engines" / "default"

STRESS = [
    "fly to the red building left of the pool",
    "中文",                                            # BERT: 中 + 文, two words
    "飞到红色建筑 left of the Brücke",
    "the 東京タワー tower near 서울 station",               # CJK ideographs split; kana and Hangul are not
    "Café naïve résumé ÀÉÎÕÜ Ångström Øresund façade",  # accents stripped
    "İstanbul ß ﬁnance Ωmega ΣΊΣΥΦΟΣ",                  # lowercasing edge cases, a ligature, Greek
    "e-mail U.S.A. can't rock'n'roll (left) [right] {up} <down> 50% #1 @home a&b x_y ~z",
    "full\uff0cwidth\u3002punct\u300cquoted\u300d \u00bfqu\u00e9? \u00a1s\u00ed! \u2014dash\u2013 \u2026",
    "tab\there new\nline cr\rlf nbsp\u00a0ideo\u3000space en\u2002space",
    "nul\x00byte bell\x07 esc\x1b unit\x1fsep nel\x85 zw\u200bjoin soft\u00adhyphen repl\ufffdchar",
    "bidi\u202emark line\u2028sep para\u2029sep",
    "combining e\u0301 a\u0308 n\u0303 and lone \u0301 accent",
    "emoji 🚁 drone 🏢 building ♥ ✓",
    "a" * 99 + " " + "b" * 100 + " " + "c" * 101 + " short",   # > 100 characters -> [UNK]
    "x" * 150,
    "numbers 12345 3.14 1,000 2nd 10th 1e5 0xff",
    "MiXeD CaSe WoRdS and UPPER lower",
    "ünïcödé wörds withöut vocab: qzxjvk zzyzx ❖❖❖",
    "   leading and trailing spaces   ",
    "",
    "\x00\x01\x02",
    "Ⅻ ① ½ ² ³ µ",                                     # compatibility characters NFC keeps
]


def _bert(kind: str, vocab: Path):
    bert = transformers.models.bert
    if kind == "python":
        legacy = getattr(bert, "BertTokenizerLegacy", None)       # transformers >= 5
        return (legacy or transformers.BertTokenizer)(vocab_file=str(vocab), do_lower_case=True)
    if hasattr(bert, "BertTokenizerLegacy"):
        return transformers.BertTokenizer(vocab=str(vocab), do_lower_case=True)
    return transformers.BertTokenizerFast(vocab_file=str(vocab), do_lower_case=True)


@pytest.fixture(scope="module", params=["python", "rust"])
def pair(request):
    vocab = resolve_vocab_file("bert-base-uncased")
    ours = WordPieceTokenizer.from_vocab_file(vocab, max_len=512)
    bert = _bert(request.param, vocab)
    assert len(bert) == len(ours) == 30522
    return ours, bert


@pytest.mark.parametrize("text", STRESS)
def test_basic_tokenizer_matches_bert(text):
    assert basic_tokenize(text) == _bert_basic().tokenize(text)


@pytest.mark.parametrize("text", STRESS)
def test_wordpieces_and_ids_match_bert_on_the_cleaned_caption(pair, text):
    ours, bert = pair
    cleaned = clean_caption(text, ours.max_words)
    want = bert.tokenize(cleaned)
    assert ours.tokenize(text) == want
    assert ours.encode(text) == bert.convert_tokens_to_ids(want)
    ids, mask = ours([text])
    assert ids[0, : int(mask[0].sum())].tolist() == bert(cleaned)["input_ids"]


def test_cjk_characters_are_single_words(pair):
    ours, _ = pair
    assert basic_tokenize("中文") == ["中", "文"]
    assert ours.tokenize("中文") == ["中", "文"]          # not 中 + ##文


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_basic_tokenizer_matches_bert_on_random_unicode(text):
    bert = _bert_basic()
    assert basic_tokenize(text) == bert.tokenize(text)


_BASIC = []


def _bert_basic():
    if not _BASIC:
        _BASIC.append(transformers.models.bert.BasicTokenizer(do_lower_case=True))
    return _BASIC[0]


# operator sentences the other tests fly; the committed engine reads them with MiniLM's own 30,522-token vocabulary
# (issue 18: no alias table), so its ids are BERT's for that vocabulary, synonyms included ("edifice", "pond")
ENGINE_SENTENCES = ["fly to the red building left of the pool", "the blue roofed building above the parking lot",
                    "go to the green roof next to the trees", "Land near the tennis court, then hover!",
                    "find the edifice beside the pond"]


@pytest.mark.parametrize("kind", ["python", "rust"])
def test_committed_engine_reads_operator_words_as_bert_does(kind):
    manifest = json.loads((ENGINE / "manifest.json").read_text())
    assert "aliases_file" not in manifest, "the default engine's text tower reads any English word: no alias table"
    tok = tokenizer_from_manifest(manifest, ENGINE)
    bert = _bert(kind, ENGINE / manifest["tokenizer"]["vocab_file"])
    assert len(tok.vocab) == len(bert) == 30522
    for text in ENGINE_SENTENCES:
        cleaned = clean_caption(text, tok.max_words)
        assert tok.encode(text) == bert.convert_tokens_to_ids(bert.tokenize(cleaned)), text
        assert bert.unk_token_id not in tok.encode(text), text
    np.testing.assert_array_equal(tok(ENGINE_SENTENCES)[0][:, 0], tok.cls_id)
