"""Instruction parser: wordings, commands, fallbacks and robustness (property-based)."""
import pytest
from hypothesis import given, settings, strategies as st

from geotext_ros.nav.parser import MAX_INPUT_CHARS, RELATIONS, Instruction, parse_instruction


@pytest.mark.parametrize("text, relation, target, anchor", [
    ("Fly to the red building left of the pool", "left of", "the red building", "the pool"),
    ("go to the red-roofed building to the left of the parking lot", "left of", "the red roofed building",
     "the parking lot"),
    ("the house on the left side of the field", "left of", "the house", "the field"),
    ("navigate to the car right of the grey building", "right of", "the car", "the grey building"),
    ("head over to the tree to the right of the road", "right of", "the tree", "the road"),
    ("find the building above the pool", "above", "the building", "the pool"),
    ("the white building that is directly below the pool", "below", "the white building", "the pool"),
    ("land near the small pond beneath the track", "below", "the small pond", "the track"),
    ("fly to the grey building right next to the track", "next to", "the grey building", "the track"),
    ("the car beside the red building", "next to", "the car", "the red building"),
])
def test_relation_wordings(text, relation, target, anchor):
    ins = parse_instruction(text)
    assert (ins.command, ins.relation, ins.target, ins.anchor) == ("goto", relation, target, anchor)


def test_between_has_two_anchors():
    ins = parse_instruction("Fly to the tree between the pool and the road")
    assert (ins.relation, ins.target, ins.anchor, ins.anchor2) == ("between", "the tree", "the pool", "the road")
    assert ins.anchors == ["the pool", "the road"]


def test_between_without_second_anchor_is_no_relation():
    ins = parse_instruction("fly to the tree between the pools")
    assert ins.relation is None and ins.anchor is None


def test_compass_words_are_map_relations_not_image_relations():
    # issue 19: a compass word is a map-frame relation (nav/map_relations.py), never the image 3x3 rule
    ins = parse_instruction("fly to the building west of the pool")
    assert ins.relation is None and ins.position is None
    assert ins.target == "the building" and ins.anchor == "the pool"
    assert ins.map_relation.direction == "west" and ins.map_relation.anchor == "the pool"


@pytest.mark.parametrize("text, position, target", [
    ("navigate to the pool in the upper left corner of the image", (0, 0), "the pool"),
    ("head over to the top right building", (2, 0), "the building"),
    ("the left one of the two parking lots", (0, None), "the parking lots"),
    ("fly to the pool on the right", (2, None), "the pool"),
    ("go to the field in the middle", (1, 1), "the field"),
    ("find the car near the center of the image", (1, 1), "the car"),
    ("the building at the bottom", (None, 2), "the building"),
    ("the track in the center left", (0, 1), "the track"),
])
def test_image_position_words(text, position, target):
    ins = parse_instruction(text)
    assert ins.position == position and ins.target == target and ins.relation is None


@pytest.mark.parametrize("text, command", [
    ("stop", "stop"), ("STOP!", "stop"), ("abort", "stop"), ("Hold position please", "hold"),
    ("hover", "hold"), ("hold", "hold"), ("return to home", "return"), ("Go home.", "return"),
    ("RTL", "return"), ("return", "return"),
])
def test_commands(text, command):
    ins = parse_instruction(text)
    assert ins.command == command and ins.target == ""


def test_stop_inside_a_sentence_is_not_a_command():
    assert parse_instruction("fly to the bus stop").command == "goto"


def test_unparseable_sentence_is_grounded_whole():
    ins = parse_instruction("a big thing with many green patches")
    assert ins.target == "a big thing with many green patches" and ins.relation is None


def test_relation_with_empty_target_grounds_whole_sentence():
    ins = parse_instruction("the one left of the pool")
    assert ins.target == "the one left of the pool"


def test_text_is_the_cleaned_sentence():
    ins = parse_instruction("Fly to the Red-Roofed building, (left) of the pool!")
    assert ins.text == "fly to the red roofed building left of the pool"
    assert ins.raw == "Fly to the Red-Roofed building, (left) of the pool!"


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\x00\x01", "?!..,"])
def test_empty_input(text):
    ins = parse_instruction(text)
    assert ins.command == "goto" and ins.empty and ins.target == ""


def test_huge_input_truncated():
    ins = parse_instruction("fly to the red building " * 5000)   # ~120 kB
    assert ins.truncated and len(ins.raw) == MAX_INPUT_CHARS
    assert len(ins.text.split()) <= 50


def test_many_words_flagged_truncated():
    assert parse_instruction("word " * 60).truncated
    assert not parse_instruction("word " * 10).truncated


def test_control_characters_and_injection():
    ins = parse_instruction("fly to the\x00 red\x1b[31m building\u200b; DROP TABLE users;-- ")
    assert "\x00" not in ins.text and "\x1b" not in ins.text and "\u200b" not in ins.text
    assert ins.command == "goto" and "red" in ins.target


def test_non_ascii_kept():
    ins = parse_instruction("飞到红色建筑 left of the Brücke")
    assert ins.relation == "left of" and ins.anchor == "the brücke" and ins.target == "飞到红色建筑"


@pytest.mark.parametrize("bad", [None, b"fly to the pool", 3, ["fly"]])
def test_non_str_raises_type_error(bad):
    with pytest.raises(TypeError, match="str"):
        parse_instruction(bad)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_never_raises_and_invariants(text):
    ins = parse_instruction(text)
    assert isinstance(ins, Instruction)
    assert ins.command in ("goto", "stop", "hold", "return", "resume")
    assert ins.relation is None or ins.relation in RELATIONS
    if ins.relation is not None:
        assert ins.anchor
    if ins.relation == "between":
        assert ins.anchor2
    if ins.command == "goto" and not ins.empty:
        assert ins.target
    if ins.position is not None:
        assert any(p is not None for p in ins.position)
        assert all(p in (None, 0, 1, 2) for p in ins.position)
    assert len(ins.text.split()) <= 50
    assert all(ord(c) >= 32 for c in ins.text)


_words = st.sampled_from(["fly", "to", "the", "red", "building", "left", "of", "pool", "between", "and", "above",
                          "next", "in", "upper", "corner", "image", "stop", "near", "one", "two", "right", "side"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_words, max_size=20).map(" ".join))
def test_vocabulary_sentences_never_raise(text):
    ins = parse_instruction(text)
    assert ins.command in ("goto", "stop", "hold", "return", "resume")
    if ins.command == "goto" and text.strip():
        assert ins.target


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=MAX_INPUT_CHARS + 1, max_size=MAX_INPUT_CHARS + 50))
def test_long_inputs_flagged(text):
    ins = parse_instruction(text)
    assert ins.truncated and len(ins.raw) <= MAX_INPUT_CHARS
