"""Shift-and-stitch (geotext_ros/nav/dense_stitch.py): the stitched grid must be exactly the regular finer grid.

With the mean of a patch as the "model", the stitched map's cell (r, c) must equal the mean of the patch-sized
window centred on the fine cell's centre, which pins down every offset. A grounder on a backend that is the dense
loss's ideal (a patch scores what lies under its centre: training marks the patches whose centres fall inside
the phrase's boxes) then separates two objects in neighbouring patches that the model's own grid merges.
"""
import numpy as np
import pytest

from geotext_ros.nav.dense_stitch import shifted_views, stitch_maps, view_shifts
from geotext_ros.nav.grounding import Grounder, GroundingConfig
from geotext_ros.nav.parser import parse_instruction

# The grid-level grounder these tests were written for (no guided upsampling, one alias reading, the box head's
# refinement on): the navigator's settings (GroundingConfig defaults = config/nav.yaml) are tested by the episodes.
GRID_SETTINGS = GroundingConfig(min_score=0.5, anchor_min_score=None, refine=True, guided_size=0, guided_sigma_colour=24.0,
                       alias_readings=1)


def grid_grounder(backend, **settings):
    return Grounder(backend, GRID_SETTINGS, **settings)

PATCH, SIZE = 16, 128
GRID = SIZE // PATCH


def patch_means(pixels: np.ndarray) -> np.ndarray:
    """[B, 3, S, S] -> [B, G, G] mean of channel 0 over each patch."""
    b = pixels.shape[0]
    return pixels[:, 0].reshape(b, GRID, PATCH, GRID, PATCH).mean(axis=(2, 4))


def test_view_shifts_centre_patches_on_the_fine_grid():
    assert view_shifts(16, 1) == [0]
    assert view_shifts(16, 2) == [-4, 4]
    assert view_shifts(16, 4) == [-6, -2, 2, 6]
    with pytest.raises(ValueError, match="divisible"):
        view_shifts(16, 3)
    with pytest.raises(ValueError, match=">= 1"):
        view_shifts(16, 0)


@pytest.mark.parametrize("factor", [2, 4])
def test_stitched_cells_are_windows_centred_on_the_fine_cells(factor):
    rng = np.random.default_rng(factor)
    img = rng.random((3, SIZE, SIZE)).astype(np.float32)
    fine = stitch_maps(patch_means(shifted_views(img, PATCH, factor)), factor)
    assert fine.shape == (GRID * factor, GRID * factor)
    cell = PATCH // factor
    for r, c in [(3, 5), (7, 9), (GRID * factor - 3, 4)]:
        cy, cx = int((r + 0.5) * cell), int((c + 0.5) * cell)      # fine cell centre, whole pixels here
        window = img[0, cy - PATCH // 2: cy + PATCH // 2, cx - PATCH // 2: cx + PATCH // 2]
        assert fine[r, c] == pytest.approx(float(window.mean()), abs=1e-6)


def test_factor_one_is_the_model_grid():
    img = np.random.default_rng(0).random((1, 3, SIZE, SIZE)).astype(np.float32)
    views = shifted_views(img, PATCH, 1)
    np.testing.assert_array_equal(views[0], img[0])
    np.testing.assert_allclose(stitch_maps(patch_means(views), 1), patch_means(img)[0], atol=1e-6)


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match=r"\[3, S, S\]"):
        shifted_views(np.zeros((SIZE, SIZE)), PATCH, 2)
    with pytest.raises(ValueError, match="need 4 maps"):
        stitch_maps(np.zeros((3, GRID, GRID)), 2)


def patch_centres(pixels: np.ndarray) -> np.ndarray:
    """[B, 3, S, S] -> [B, G, G] mean of channel 0 over the 2x2 pixels at each patch's centre."""
    c = np.arange(GRID) * PATCH + PATCH // 2
    rows = pixels[:, 0][:, np.concatenate([c - 1, c])]
    both = rows[:, :, np.concatenate([c - 1, c])]
    return both.reshape(-1, 2, GRID, 2, GRID).mean(axis=(1, 3))


class CentreBackend:
    """Dense score = brightness under the patch centre: every phrase is 'the bright thing' (a real image
    dependence, so the shifted views really see different content)."""

    transform = staticmethod(lambda rgb: np.transpose(rgb.astype(np.float32) / 255.0, (2, 0, 1)))

    def __init__(self):
        self.encoded = []

    def tokenizer(self, texts):
        ids = np.ones((len(texts), 1), np.int64)
        return ids, ids

    def encode_image(self, pixels):
        self.encoded.append(pixels.shape[0])
        means = patch_centres(pixels).reshape(pixels.shape[0], GRID * GRID, 1)
        tokens = np.concatenate([np.zeros((pixels.shape[0], 1, 1), np.float32), means], axis=1)
        return tokens, np.zeros((pixels.shape[0], 4), np.float32)

    def encode_text(self, ids, mask):
        return np.ones((len(ids), 1, 1), np.float32), np.ones((len(ids), 1), np.float32)

    def dense(self, image_tokens, text_embed):
        assert image_tokens.shape[0] == text_embed.shape[0]
        return image_tokens[:, 1:, 0].reshape(-1, GRID, GRID)

    def fuse(self, image_tokens, text_tokens, mask):
        return {"itm": np.full(len(text_tokens), 0.9, np.float32), "box": np.full((len(text_tokens), 4), 0.5)}

    def relation(self, image_tokens, box_a, box_b):
        return np.full((len(box_a), 3), 1 / 3), np.full((len(box_a), 3), 1 / 3)


def two_squares() -> np.ndarray:
    """Two 13-px bright squares 10 px apart (x 46-58 and 69-81) under the centres of patch columns 3 and 4 (x = 56
    and 72 px); the gap holds the fine grid's cell centres 60 and 68."""
    rgb = np.zeros((SIZE, SIZE, 3), np.uint8)
    rgb[50:62, 46:59] = 255
    rgb[50:62, 69:82] = 255
    return rgb


def test_upsampled_grounding_separates_neighbours_the_model_grid_merges():
    text = parse_instruction("fly to the bright square")
    coarse = grid_grounder(CentreBackend(), min_score=0.4, relative_threshold=0.5).ground(two_squares(), text)
    backend = CentreBackend()
    fine = grid_grounder(backend, min_score=0.4, relative_threshold=0.5, dense_upsample=2).ground(two_squares(), text)
    assert len(coarse.candidates) == 1
    assert len(fine.candidates) == 2
    centres = sorted(c.box[0] * SIZE for c in fine.candidates)
    assert centres == pytest.approx([52.5, 75.5], abs=PATCH / 4)   # within half a fine cell of each square
    assert backend.encoded == [1, 4]                        # the frame once, then its four shifted views


def test_upsample_must_be_a_positive_integer():
    with pytest.raises(ValueError, match="dense_upsample"):
        grid_grounder(CentreBackend(), dense_upsample=0)
