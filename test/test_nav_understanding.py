"""Issue 16 section 1 (understand before moving) and issue 19 section 1 (one command vocabulary), ROS-free:
the parser marks what it cannot ground, strips escapes and format characters, never makes a phrase of a request
verb, and the PX4 bridge's override follows the same parser as the navigator."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geotext_ros.nav.parser import parse_instruction
from geotext_ros.nav.px4_offboard import OffboardBridge
from geotext_ros.nav.safety import SafetyEnvelope
from geotext_ros.nav.vocabulary import GROUNDABLE, groundable_words


# -- the rows of the table --------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["a", "fly to the", "the", "go there", "🚁🏠", "fly to it please", "2j",
                                  '{"state": "ARRIVED", "waypoint": [0, 0, 500]}', "take me", "bring the drone"])
def test_nothing_groundable_is_not_understood_with_no_object_named(text):
    ins = parse_instruction(text)
    assert ins.command == "goto" and not ins.understood
    assert ins.not_understood.startswith("no object named"), ins


@pytest.mark.parametrize("text, script", [("飞到红色的建筑", "cjk"), ("Лети к красному зданию", "cyrillic"),
                                          ("اذهب إلى المبنى", "arabic"), ("טוס לבניין האדום", "hebrew")])
def test_other_scripts_are_not_supported_and_say_write_in_english(text, script):
    ins = parse_instruction(text)
    assert not ins.understood and ins.not_understood.startswith("language not supported: write in English")
    assert script in ins.not_understood


def test_nul_cut_by_rclpy_is_not_understood_and_a_nul_inside_is_a_space():
    # rclpy delivers "fly to the\0red building" as "fly to the": that names no object
    assert not parse_instruction("fly to the").understood
    ins = parse_instruction("fly to the\0red building")
    assert ins.understood and ins.target == "the red building"


@pytest.mark.parametrize("text", ["\x1b[2J", "\x1b[2J\x1b[H\x1b[31m", "\x1b]0;title\x07", "\x9b2J",
                                  "\u200b\u202e\u2066"])
def test_ansi_escapes_and_format_characters_leave_nothing(text):
    ins = parse_instruction(text)
    assert ins.empty and not ins.understood and "2j" not in ins.text


def test_escapes_and_zero_width_characters_inside_words_are_removed():
    ins = parse_instruction("fly to the \x1b[31mre\u200bd build\u00adi\u200dng\x1b[0m")
    assert ins.target == "the red building" and ins.understood


@pytest.mark.parametrize("text, target, relation", [
    ("take me above the car park", "the car park", None),
    ("bring the drone over the red building", "the red building", None),
    ("fly me to the pool", "the pool", None),
    ("take me to the tennis court left of the pool", "the tennis court", "left of"),
    ("please bring the drone to the white building", "the white building", None),
])
def test_request_verbs_are_not_phrases(text, target, relation):
    ins = parse_instruction(text)
    assert ins.target == target and ins.relation == relation and ins.understood


@pytest.mark.parametrize("text", ["fly to the red building left of the pool", "find the parking lot",
                                  "a big thing with many green patches", "the one left of the pool",
                                  "go to the round structure", "fly to the grey edifice"])
def test_sentences_naming_a_kind_or_attribute_are_understood(text):
    assert parse_instruction(text).understood


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_an_understood_goto_always_names_something_groundable(text):
    ins = parse_instruction(text)
    if ins.command == "goto" and ins.understood:
        assert groundable_words(ins.target)
    if ins.command == "goto" and not ins.empty and not groundable_words(ins.target):
        assert ins.not_understood


_FUNCTION = st.sampled_from(["fly", "to", "the", "a", "an", "of", "go", "there", "it", "that", "please", "me",
                             "take", "bring", "drone", "now", "here", "one", "thing", "x", "42", "!!", "and"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_FUNCTION, min_size=1, max_size=12).map(" ".join))
def test_function_words_and_junk_are_never_understood(text):
    ins = parse_instruction(text)
    assert ins.command != "goto" or not ins.understood


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(whitelist_categories=("Lo",)), min_size=1, max_size=30))
def test_text_in_other_scripts_is_never_understood(text):
    assert not parse_instruction(text).understood


# -- one command vocabulary: the navigator's parser and the PX4 bridge agree ------------------------------------
_COMMAND_WORDS = ["stop", "hold", "freeze", "pause", "wait", "cancel", "halt", "abort", "hover", "stay", "here",
                  "return", "home", "go", "come", "back", "rtl", "resume", "continue", "carry", "on", "please",
                  "now", "the", "fly", "to", "red", "building", "bus", "position", "mission", "take", "me", "drone"]


def _bridge_after(text: str, stopped_before: bool) -> tuple[str | None, bool, bool]:
    bridge = OffboardBridge(SafetyEnvelope())
    if stopped_before:
        bridge.envelope.stop()
    applied = bridge.on_instruction(text)
    return applied, bridge.envelope.stopped, bridge.envelope.returning


@pytest.mark.parametrize("word", ["freeze", "pause", "wait", "cancel", "stop here", "hold position", "halt"])
def test_every_stop_word_of_the_navigator_stops_the_bridge(word):
    assert parse_instruction(word).command in ("stop", "hold")
    applied, stopped, _ = _bridge_after(word, stopped_before=False)
    assert applied == "stop" and stopped


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_COMMAND_WORDS), min_size=1, max_size=5).map(" ".join), st.booleans())
def test_property_the_bridge_and_the_navigator_read_every_sentence_alike(text, stopped_before):
    ins = parse_instruction(text)
    applied, stopped, returning = _bridge_after(text, stopped_before)
    if ins.command in ("stop", "hold"):
        assert applied == "stop" and stopped
    elif ins.command == "return":
        assert applied == "return_home" and returning
    elif ins.understood:   # resume, or a goto the navigator acts on: the override is lifted
        assert not stopped and applied == ("resume" if stopped_before else None)
    else:                  # the navigator does not move on it: neither does the bridge lift its override
        assert stopped == stopped_before and applied is None


def test_vocabulary_holds_the_sim_worlds_kinds_and_colours():
    assert {"building", "pool", "pond", "parking", "court", "red", "grey", "gray", "round"} <= GROUNDABLE
