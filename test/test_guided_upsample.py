"""Guided upsampling (geotext_ros/nav/guided_upsample.py): the frame's colours split a coarse blob that covers
two look-alikes with a gap between them, and never lend a score to a same-coloured spot far from the blob."""
import numpy as np
import pytest

from geotext_ros.nav.candidates import dense_candidates
from geotext_ros.nav.grounding import Grounder, GroundingConfig
from geotext_ros.nav.guided_upsample import FrameGuide, guided_upsample
from geotext_ros.nav.parser import parse_instruction
from test_dense_stitch import SIZE, CentreBackend

# The grid-level grounder these tests were written for (no guided upsampling, one alias reading, the box head's
# refinement on): the navigator's settings (GroundingConfig defaults = config/nav.yaml) are tested by the episodes.
GRID_SETTINGS = GroundingConfig(min_score=0.5, anchor_min_score=None, refine=True, guided_size=0, guided_sigma_colour=24.0,
                       alias_readings=1)


def grid_grounder(backend, **settings):
    return Grounder(backend, GRID_SETTINGS, **settings)

GRASS, PANEL = (70, 110, 50), (30, 40, 90)


def scene(boxes, size=SIZE) -> np.ndarray:
    """Grass with PANEL-coloured rectangles (x0, y0, x1, y1 in pixels)."""
    rgb = np.empty((size, size, 3), np.uint8)
    rgb[:] = GRASS
    for x0, y0, x1, y1 in boxes:
        rgb[y0:y1, x0:x1] = PANEL
    return rgb


def coarse_map(rgb: np.ndarray, grid: int = 8, inside: float = 0.9, outside: float = 0.05) -> np.ndarray:
    """What the dense loss teaches: a cell scores `inside` when the pixel under its centre is panel."""
    c = ((np.arange(grid) + 0.5) * rgb.shape[0] / grid).astype(int)
    is_panel = (rgb[c][:, c] == PANEL).all(axis=2)
    return np.where(is_panel, inside, outside).astype(np.float32)


TWO_ARRAYS = [(40, 20, 88, 60), (40, 68, 88, 108)]      # 8 px of grass between them; cell centres at 8 + 16k


def test_two_lookalikes_a_gap_apart_become_two_candidates_with_their_own_centres():
    rgb = scene(TWO_ARRAYS)
    coarse = coarse_map(rgb)
    assert len(dense_candidates(coarse, 0.4, 0.5)) == 1                # the model's grid merges them
    fine = guided_upsample(coarse, rgb, 64, sigma_colour=10.0)
    cands = dense_candidates(fine, 0.4, 0.5)
    assert len(cands) == 2
    centres_y = sorted(c.box[1] * SIZE for c in cands)
    assert centres_y == pytest.approx([40.0, 88.0], abs=4.0)           # each array's own centre, not the gap's
    assert fine[32, 32] < 0.4                                          # the gap row itself (y = 64 px)


def test_a_same_coloured_spot_far_from_the_blob_borrows_nothing():
    rgb = scene(TWO_ARRAYS[:1] + [(108, 26, 116, 34)])                 # a dark 8 px "tree" 2 cells to the right
    coarse = coarse_map(rgb)
    assert coarse[1:3, 5:].max() == pytest.approx(0.05)                # under no cell centre: the model ignores it
    fine = guided_upsample(coarse, rgb, 64, sigma_colour=10.0)
    assert fine[13:17, 54:58].max() < 0.2                              # colour alone would give it 0.9
    assert len(dense_candidates(fine, 0.22, 0.5)) == 1


def test_flat_maps_and_flat_images_stay_flat():
    rgb = scene([])
    out = guided_upsample(np.full((8, 8), 0.7, np.float32), rgb, 32)
    np.testing.assert_allclose(out, 0.7, atol=1e-5)
    ramp = np.tile(np.linspace(0, 1, 8, dtype=np.float32), (8, 1))
    out = guided_upsample(ramp, rgb, 64)
    assert out.shape == (64, 64) and np.all(np.diff(out[10]) >= -1e-6)   # a ramp stays a ramp (monotone)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="square"):
        guided_upsample(np.zeros((8, 4)), scene([]))
    with pytest.raises(ValueError, match="guide image"):
        guided_upsample(np.zeros((8, 8)), np.zeros((16, 16)))
    with pytest.raises(ValueError, match="out_size"):
        guided_upsample(np.zeros((8, 8)), scene([]), out_size=4)


def test_grounder_with_guided_size_separates_what_its_grid_merges():
    rgb = np.zeros((SIZE, SIZE, 3), np.uint8)                          # CentreBackend: bright = the phrase
    rgb[20:60, 40:88] = 255
    rgb[68:108, 40:88] = 255
    text = parse_instruction("fly to the bright array")
    plain = grid_grounder(CentreBackend(), min_score=0.4).ground(rgb, text)
    guided = grid_grounder(CentreBackend(), min_score=0.4, guided_size=64, guided_sigma_colour=10.0).ground(rgb, text)
    assert len(plain.candidates) == 1 and len(guided.candidates) == 2
    assert guided.box[1] * SIZE == pytest.approx(40.0, abs=4.0) or guided.box[1] * SIZE == pytest.approx(88.0, abs=4.0)
    with pytest.raises(ValueError, match="guided_size"):
        grid_grounder(CentreBackend(), guided_size=-1)


def test_one_frame_guide_serves_every_phrase_map():
    rgb = scene(TWO_ARRAYS)
    maps = [coarse_map(rgb), np.random.default_rng(0).random((8, 8)).astype(np.float32)]
    guide = FrameGuide(rgb, 8, 64, sigma_colour=10.0)
    for m in maps:
        np.testing.assert_allclose(guide(m), guided_upsample(m, rgb, 64, sigma_colour=10.0), atol=1e-6)
    with pytest.raises(ValueError, match=r"\[8, 8\] for this guide"):
        guide(np.zeros((16, 16)))
