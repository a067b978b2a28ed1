"""The grounding confidence the mission gates on: the dense probability of the chosen target region.

Measured with the default model (bench/episodes.py, docs in the report): the full sentence's ITM probability stays
far below 0.5 for one-object instructions even when the target is found, while the dense map has no region at all
for an object that is absent. So the mission moves on `confidence`, falling back to `score` (ITM) only for
groundings that carry no confidence."""
import numpy as np
import pytest

from geotext_ros.nav.grounding import Grounder, GroundingConfig, GroundingResult
from geotext_ros.nav.mission import Mission, MissionConfig
from geotext_ros.nav.parser import parse_instruction

# The grid-level grounder these tests were written for (no guided upsampling, one alias reading, the box head's
# refinement on): the navigator's settings (GroundingConfig defaults = config/nav.yaml) are tested by the episodes.
GRID_SETTINGS = GroundingConfig(min_score=0.5, anchor_min_score=None, refine=True, guided_size=0, guided_sigma_colour=24.0,
                       alias_readings=1)


def grid_grounder(backend, **settings):
    return Grounder(backend, GRID_SETTINGS, **settings)

BOX = (0.5, 0.5, 0.2, 0.2)


def _mission():
    m = Mission(MissionConfig(localize_votes=1, min_confidence=0.5))
    m.instruct(parse_instruction("fly to the pool"), 0.0, (0.0, 0.0, 40.0, 0.0))
    return m


def test_confident_region_moves_even_with_low_itm():
    out = _mission().update(1.0, (0.0, 0.0, 40.0, 0.0), GroundingResult(BOX, 0.1, confidence=0.8), (10.0, 0.0))
    assert out.status["state"] == "APPROACH" and out.waypoint[:2] == (10.0, 0.0) and out.status["score"] == 0.8


def test_weak_region_never_moves_even_with_high_itm():
    out = _mission().update(1.0, (0.0, 0.0, 40.0, 0.0), GroundingResult(BOX, 0.95, confidence=0.3), (10.0, 0.0))
    assert out.status["state"] == "LOCALIZE" and "low confidence" in out.status["reason"]


def test_without_confidence_the_itm_score_gates():
    m = _mission()
    assert m.update(1.0, (0, 0, 40, 0), GroundingResult(BOX, 0.3), (10.0, 0.0)).status["state"] == "LOCALIZE"
    assert m.update(2.0, (0, 0, 40, 0), GroundingResult(BOX, 0.7), (10.0, 0.0)).status["state"] == "APPROACH"


def test_grounder_confidence_is_the_chosen_regions_dense_probability(tiny_engine_dir):
    from geotext_ros.runtime.open_backend import open_backend

    backend = open_backend(tiny_engine_dir)
    rgb = np.random.default_rng(0).integers(0, 255, (128, 128, 3), dtype=np.uint8)
    res = grid_grounder(backend, min_score=0.0, relative_threshold=0.9).ground(rgb, parse_instruction("fly to the pool"))
    assert res.box is not None and res.chosen is not None
    assert res.confidence == pytest.approx(res.candidates[res.chosen].score)
    assert res.to_dict()["confidence"] == res.confidence
    none = grid_grounder(backend, min_score=1.0).ground(rgb, parse_instruction("fly to the pool"))
    assert none.box is None and none.confidence is None


def test_anchor_threshold_defaults_below_the_targets_and_is_checked(tiny_engine_dir):
    from geotext_ros.runtime.open_backend import open_backend

    backend = open_backend(tiny_engine_dir)
    assert grid_grounder(backend, min_score=0.5).anchor_min_score == 0.25
    assert grid_grounder(backend, min_score=0.1).anchor_min_score == 0.1
    assert grid_grounder(backend, min_score=0.5, anchor_min_score=0.4).anchor_min_score == 0.4
    with pytest.raises(ValueError, match="anchor_min_score"):
        grid_grounder(backend, anchor_min_score=1.5)
