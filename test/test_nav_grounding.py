"""Grounding: candidate extraction, selection by relation/position, and the pipeline on backends.

The in-test backend below is a deterministic stand-in ONLY for the selection-logic tests: it returns fixed dense
maps per phrase so that which candidate gets chosen is a pure geometry question. One test runs the real torch
backend on a tiny untrained model (shapes / no crash).
"""
import numpy as np
import pytest

from geotext_ros.nav.candidates import Candidate, dense_candidates
from geotext_ros.nav.grounding import Grounder, GroundingConfig, GroundingResult
from geotext_ros.nav.parser import parse_instruction
from geotext_ros.relations import relation_labels
from geotext_ros.nav.selection import rule_anchor, select_candidate

# The grid-level grounder these tests were written for (no guided upsampling, one alias reading, the box head's
# refinement on): the navigator's settings (GroundingConfig defaults = config/nav.yaml) are tested by the episodes.
GRID_SETTINGS = GroundingConfig(min_score=0.5, anchor_min_score=None, refine=True, guided_size=0, guided_sigma_colour=24.0,
                       alias_readings=1)


def grid_grounder(backend, **settings):
    return Grounder(backend, GRID_SETTINGS, **settings)

G = 12


def blob_map(*cells_lists, value=0.9):
    """A GxG map with value at the given (row, col) cells, 0.05 elsewhere."""
    m = np.full((G, G), 0.05, dtype=np.float32)
    for cells in cells_lists:
        for r, c in cells:
            m[r, c] = value
    return m


def square(r, c, size=2):
    return [(r + i, c + j) for i in range(size) for j in range(size)]


class FixedMapBackend:
    """Deterministic backend: each phrase has a fixed dense map; relation probs come from the 3x3 rule."""

    def __init__(self, maps, itm=0.8, box=(0.5, 0.5, 0.1, 0.1), relation_from_geometry=True):
        self.maps = maps
        self.phrases = []
        self.itm, self.box = itm, box
        self.relation_from_geometry = relation_from_geometry
        self.transform = lambda rgb: np.zeros((3, 8, 8), np.float32)
        self.calls = {"encode_image": 0}

    def tokenizer(self, texts):
        ids = []
        for t in texts:
            if t not in self.phrases:
                self.phrases.append(t)
            ids.append([self.phrases.index(t) + 1])
        ids = np.array(ids, np.int64)
        return ids, np.ones_like(ids)

    def encode_image(self, pixels):
        self.calls["encode_image"] += 1
        return np.zeros((pixels.shape[0], 1 + G * G, 4), np.float32), np.zeros((pixels.shape[0], 4), np.float32)

    def encode_text(self, ids, mask):
        return ids[:, :, None].astype(np.float32), ids.astype(np.float32)

    def dense(self, image_tokens, text_embed):
        assert image_tokens.shape[0] == text_embed.shape[0]
        phrases = [self.phrases[int(e[0]) - 1] for e in text_embed]
        return np.stack([self.maps.get(p, np.zeros((G, G), np.float32)) for p in phrases])

    def fuse(self, image_tokens, text_tokens, mask):
        b = text_tokens.shape[0]
        return {"itm": np.full(b, self.itm, np.float32), "box": np.tile(np.array(self.box, np.float32), (b, 1))}

    def relation(self, image_tokens, box_a, box_b):
        h = np.full((len(box_a), 3), 1 / 3, np.float32)
        v = np.full((len(box_a), 3), 1 / 3, np.float32)
        if self.relation_from_geometry:
            for k, (a, b) in enumerate(zip(box_a, box_b)):
                hh, vv = relation_labels(a, b)
                h[k] = 0.05
                h[k, hh] = 0.9
                v[k] = 0.05
                v[k, vv] = 0.9
        return h, v


RGB = np.zeros((64, 64, 3), np.uint8)


# ---- candidates ---------------------------------------------------------------------------------------------

def test_components_give_one_box_each():
    cands = dense_candidates(blob_map(square(1, 1), square(8, 9)), threshold=0.5)
    assert len(cands) == 2
    boxes = sorted(c.box for c in cands)
    assert boxes[0] == pytest.approx((2 / 12, 2 / 12, 2 / 12, 2 / 12))
    assert boxes[1] == pytest.approx((10 / 12, 9 / 12, 2 / 12, 2 / 12))


def test_weighted_centre_follows_the_stronger_cells():
    m = np.zeros((G, G), np.float32)
    m[4, 3], m[4, 4] = 0.6, 0.9           # one component of two cells, the right one stronger
    cells = dense_candidates(m, threshold=0.5, weighted_centre=False)[0].box
    mass = dense_candidates(m, threshold=0.5)[0].box
    assert cells == pytest.approx((4 / 12, 4.5 / 12, 2 / 12, 1 / 12))
    # centroid of the cell centres 3.5 and 4.5 weighted 0.6 / 0.9: 4.1 cells from the left edge
    assert mass == pytest.approx((4.1 / 12, 4.5 / 12, 2 / 12, 1 / 12))
    edge = np.zeros((G, G), np.float32)
    edge[0, 0], edge[0, 1] = 0.99, 0.6    # the shifted box is kept inside the image
    assert dense_candidates(edge, threshold=0.5)[0].box[0] == pytest.approx(1 / 12)


def test_diagonal_cells_are_separate_components():
    assert len(dense_candidates(blob_map([(0, 0), (1, 1)]), threshold=0.5)) == 2


def test_nothing_above_threshold_gives_no_candidate():
    assert dense_candidates(np.full((G, G), 0.2), threshold=0.5) == []


def test_relative_threshold_splits_weak_bridge():
    m = blob_map(square(5, 1), square(5, 8))
    m[5:7, 3:8] = 0.55    # weak bridge between the two blobs
    assert len(dense_candidates(m, threshold=0.5)) == 1
    assert len(dense_candidates(m, threshold=0.5, relative=0.7)) == 2


def test_best_candidate_first():
    m = blob_map(square(1, 1))
    m[8, 8] = 0.99
    assert dense_candidates(m, 0.5)[0].score == pytest.approx(0.99)


# ---- selection (pure geometry) ------------------------------------------------------------------------------

def C(cx, cy, w=0.1, h=0.1, score=0.9):
    return Candidate((cx, cy, w, h), score, 4)


ANCHOR = (0.5, 0.5, 0.2, 0.2)


@pytest.mark.parametrize("relation, expect", [("left of", 0), ("right of", 1), ("above", 2), ("below", 3)])
def test_relation_picks_the_matching_side(relation, expect):
    cands = [C(0.2, 0.5), C(0.8, 0.5), C(0.5, 0.15), C(0.5, 0.85)]
    sel = select_candidate(cands, relation, [ANCHOR])
    assert sel.index == expect and sel.relation == relation


def test_relation_beats_higher_score():
    cands = [C(0.8, 0.5, score=0.99), C(0.2, 0.5, score=0.6)]
    assert select_candidate(cands, "left of", [ANCHOR]).index == 1


def test_anchor_itself_is_not_a_candidate():
    # "the building left of the building": the anchor's own component is excluded.
    cands = [C(0.5, 0.5, 0.2, 0.2, score=0.99), C(0.9, 0.5), C(0.1, 0.5)]
    assert select_candidate(cands, "left of", [ANCHOR]).index == 2


def test_relation_head_breaks_geometry_ties():
    cands = [C(0.1, 0.5), C(0.2, 0.5)]           # both left of the anchor
    prob = lambda boxes, anchor, rel: np.array([0.1, 0.9])
    assert select_candidate(cands, "left of", [ANCHOR], relation_prob=prob).index == 1


def test_among_candidates_the_rule_passes_the_dense_score_outweighs_how_far_the_head_says():
    # episode seed 100061: "the red tennis court above the building" - an orange basketball court further above
    # scored lower for the phrase but higher on the head; the instruction names the one *tennis court* above
    cands = [C(0.5, 0.2, score=0.60), C(0.55, 0.38, score=0.75)]     # both above ANCHOR (0.5, 0.5, 0.2, 0.2)
    prob = lambda boxes, anchor, rel: np.array([0.9, 0.6])
    sel = select_candidate(cands, "above", [ANCHOR], relation_prob=prob)
    assert sel.index == 1 and sel.reason.startswith("3x3 rule, then dense score")
    # ... while a candidate outside the relation never wins on score
    cands.append(C(0.5, 0.9, score=0.99))
    assert select_candidate(cands, "above", [ANCHOR], relation_prob=lambda b, a, r: np.array([0.9, 0.6, 0.0])
                            ).index == 1


def test_with_no_candidate_passing_the_rule_the_head_alone_chooses():
    cands = [C(0.3, 0.5, score=0.99), C(0.7, 0.5, score=0.5)]          # neither above ANCHOR by the rule
    prob = lambda boxes, anchor, rel: np.array([0.2, 0.4])
    sel = select_candidate(cands, "above", [ANCHOR], relation_prob=prob)
    assert sel.index == 1 and sel.reason.startswith("relation head only")


def test_between_is_closest_to_midpoint():
    cands = [C(0.1, 0.1), C(0.52, 0.48), C(0.9, 0.9)]
    sel = select_candidate(cands, "between", [(0.2, 0.5, 0.1, 0.1), (0.8, 0.5, 0.1, 0.1)])
    assert sel.index == 1 and sel.relation == "between"


def test_between_with_one_anchor_falls_back_to_nearest():
    sel = select_candidate([C(0.1, 0.1), C(0.35, 0.5)], "between", [(0.2, 0.5, 0.1, 0.1)])
    assert sel.index == 1 and sel.relation == "next to"


def test_next_to_is_nearest():
    cands = [C(0.1, 0.1), C(0.7, 0.5), C(0.95, 0.95)]
    assert select_candidate(cands, "next to", [ANCHOR]).index == 1


@pytest.mark.parametrize("position, expect", [((0, None), 0), ((2, None), 1), ((None, 0), 2), ((1, 1), 3),
                                              ((2, 2), 1)])
def test_position_words(position, expect):
    cands = [C(0.1, 0.6), C(0.9, 0.9), C(0.45, 0.05), C(0.5, 0.5)]
    assert select_candidate(cands, position=position).index == expect


def test_left_one_of_two_in_the_same_third():
    cands = [C(0.30, 0.5), C(0.20, 0.5)]
    assert select_candidate(cands, position=(0, None)).index == 1


def test_no_relation_uses_box_head_agreement_then_score():
    cands = [C(0.2, 0.2, score=0.95), C(0.8, 0.8, score=0.7)]
    assert select_candidate(cands, head_box=(0.8, 0.8, 0.12, 0.12)).index == 1
    assert select_candidate(cands, head_box=(0.5, 0.5, 0.01, 0.01)).index == 0
    assert select_candidate([], head_box=None).index is None


# ---- pipeline with the fixed-map backend ---------------------------------------------------------------------

def two_buildings_and_pool():
    # two "red building" blobs (left and right), a pool in the middle
    return {"the red building": blob_map(square(5, 1), square(5, 9)),
            "the pool": blob_map(square(5, 5))}


@pytest.mark.parametrize("text, expect_cx", [
    ("fly to the red building left of the pool", 2 / 12),
    ("fly to the red building right of the pool", 10 / 12),
    ("the red building on the right", 10 / 12),
])
def test_pipeline_resolves_relation(text, expect_cx):
    backend = FixedMapBackend(two_buildings_and_pool(), box=(0.5, 0.1, 0.05, 0.05))
    res = grid_grounder(backend, min_score=0.5).ground(RGB, parse_instruction(text))
    assert res.box is not None and res.box[0] == pytest.approx(expect_cx)
    assert len(res.candidates) == 2 and res.score == pytest.approx(0.8)
    assert backend.calls["encode_image"] == 1


@pytest.mark.parametrize("text, expect", [
    ("to the lower left of the pool there is a red building", (2 / 12, 10 / 12)),
    ("the red building above and to the right of the pool", (10 / 12, 2 / 12)),
    ("the red building to the upper left of the pool", (2 / 12, 2 / 12)),
])
def test_pipeline_diagonal_relation_needs_both_axes(text, expect):
    # four red buildings around the pool, one in each corner: a side relation alone would leave two
    maps = {"the red building": blob_map(square(1, 1), square(1, 9), square(9, 1), square(9, 9)),
            "a red building": blob_map(square(1, 1), square(1, 9), square(9, 1), square(9, 9)),
            "the pool": blob_map(square(5, 5))}
    res = grid_grounder(FixedMapBackend(maps)).ground(RGB, parse_instruction(text))
    assert res.box is not None and res.box[:2] == pytest.approx(expect)


def test_pipeline_diagonal_relation_head_probability_is_both_axes():
    maps = {"the red building": blob_map(square(1, 1), square(9, 9)), "the pool": blob_map(square(5, 5))}
    grounder = grid_grounder(FixedMapBackend(maps))
    boxes = [(2 / 12, 2 / 12, 2 / 12, 2 / 12), (10 / 12, 10 / 12, 2 / 12, 2 / 12)]
    prob = grounder._relation_prob(None, boxes, (0.5, 0.5, 2 / 12, 2 / 12), "upper left of")
    assert prob == pytest.approx([0.9 * 0.9, 0.05 * 0.05])


def test_pipeline_anchor_box_and_relation_reported():
    res = grid_grounder(FixedMapBackend(two_buildings_and_pool())).ground(
        RGB, parse_instruction("the red building left of the pool"))
    assert res.anchor_box == pytest.approx((0.5, 0.5, 2 / 12, 2 / 12))
    assert res.relation == "left of" and res.phrase == "the red building"
    assert isinstance(res.to_dict()["candidates"], list)


def test_pipeline_missing_anchor_is_said():
    maps = {"the red building": blob_map(square(5, 1), square(5, 9))}
    res = grid_grounder(FixedMapBackend(maps)).ground(RGB, parse_instruction("the red building left of the pool"))
    assert res.box is not None and res.relation is None and "not found" in res.reason


def test_pipeline_no_candidate():
    res = grid_grounder(FixedMapBackend({})).ground(RGB, parse_instruction("fly to the red building"))
    assert res.box is None and res.chosen is None and "min_score" in res.reason


def test_a_bare_noun_that_lights_nothing_offers_its_colour_readings_never_confident():
    """"the building" lights nothing (the model learned colour + noun): its colour readings light a red and a blue
    building; their regions become the weak ones (scored below min_score, best first); with a colour word, or the
    offers off, only the phrase's own map counts."""
    maps = {"the red building": blob_map(square(5, 1), value=0.9), "the blue building": blob_map(square(5, 9),
                                                                                                value=0.7)}
    g = grid_grounder(FixedMapBackend(maps), offer_min_score=0.2, offer_colours="red, blue, green")
    res = g.ground(RGB, parse_instruction("fly to the building"))
    assert res.box is None and res.candidates == [] and "2 regions of its colour readings offered" in res.reason
    assert [round(c.box[0], 3) for c in res.weak] == pytest.approx([2 / 12, 10 / 12], abs=1e-3)
    assert 0.2 <= res.weak[1].score < res.weak[0].score < 0.5   # ranked, and never confident (min_score 0.5)
    coloured = g.ground(RGB, parse_instruction("fly to the green building"))
    assert coloured.weak == [] and "colour readings" not in coloured.reason
    off = grid_grounder(FixedMapBackend(maps), offer_min_score=0.2, offer_colours="")
    assert off.ground(RGB, parse_instruction("fly to the building")).weak == []
    with pytest.raises(ValueError, match="offer_colours names \\['roof'\\]"):
        GroundingConfig(offer_colours="red, roof")


def test_an_anchor_phrase_that_lights_the_target_best_is_read_from_its_next_region():
    """"the red building left of the grey plaza": the anchor's map lights the target itself best (a colour both
    share) and the plaza second. From the target, no other candidate is left of it; from the plaza, the target is:
    the relation is read from the plaza (selection.rule_anchor). Before, the relation head picked the other
    building."""
    maps = {"the red building": blob_map(square(5, 1), value=0.9) + blob_map(square(5, 6), value=0.8) - 0.05,
            "the grey plaza": blob_map(square(5, 1), value=0.9) + blob_map(square(5, 10), value=0.6) - 0.05}
    res = grid_grounder(FixedMapBackend(maps)).ground(RGB, parse_instruction("fly to the red building left of the "
                                                                            "grey plaza"))
    assert res.anchor_box[0] == pytest.approx(11 / 12, abs=1e-3), res   # the plaza, not the target
    assert res.box[0] == pytest.approx(2 / 12, abs=0.05) and "3x3 rule" in res.reason, res
    assert rule_anchor(res.candidates, "left of", [res.candidates[0].box, res.anchor_box]) == 1
    assert rule_anchor(res.candidates, "next to", [res.candidates[0].box, res.anchor_box]) == 0   # no 3x3 rule
    assert rule_anchor(res.candidates, "left of", []) is None


def test_weak_regions_only_when_nothing_reaches_min_score():
    weak = {"the red building": blob_map(square(5, 1), square(5, 9), value=0.3)}
    res = grid_grounder(FixedMapBackend(weak), offer_min_score=0.2).ground(RGB, parse_instruction("the red building"))
    assert res.box is None and not res.candidates and "min_score" in res.reason
    assert [round(c.box[0], 3) for c in res.weak] == pytest.approx([2 / 12, 10 / 12], abs=1e-3)
    assert len(res.to_dict()["weak"]) == 2
    off = grid_grounder(FixedMapBackend(weak), offer_min_score=0.5).ground(RGB, parse_instruction("the red building"))
    assert off.weak == []   # offer_min_score >= min_score: nothing is offered
    strong = grid_grounder(FixedMapBackend(two_buildings_and_pool()), offer_min_score=0.2).ground(
        RGB, parse_instruction("the red building"))
    assert strong.box is not None and strong.weak == []


def test_pipeline_refines_with_box_head_when_it_overlaps():
    maps = {"the pool": blob_map(square(5, 5))}
    head = (0.49, 0.49, 0.15, 0.15)
    res = grid_grounder(FixedMapBackend(maps, box=head)).ground(RGB, parse_instruction("the pool"))
    assert res.box == pytest.approx(head) and "refined" in res.reason
    res = grid_grounder(FixedMapBackend(maps, box=head), refine=False).ground(RGB, parse_instruction("the pool"))
    assert res.box == pytest.approx((0.5, 0.5, 2 / 12, 2 / 12))


def test_pipeline_commands_and_empty_have_no_box():
    g = grid_grounder(FixedMapBackend({}))
    for text in ("stop", "", "return home"):
        res = g.ground(RGB, parse_instruction(text))
        assert res.box is None and res.reason


def test_itm_probability_is_clipped_and_nan_safe():
    maps = {"the pool": blob_map(square(5, 5))}
    assert grid_grounder(FixedMapBackend(maps, itm=float("nan"))).ground(RGB, parse_instruction("the pool")).score == 0.0
    assert grid_grounder(FixedMapBackend(maps, itm=1.7)).ground(RGB, parse_instruction("the pool")).score == 1.0


def test_bad_image_and_threshold_rejected():
    with pytest.raises(ValueError, match="rgb"):
        grid_grounder(FixedMapBackend({})).ground(np.zeros((8, 8), np.uint8), parse_instruction("the pool"))
    with pytest.raises(ValueError, match="min_score"):
        grid_grounder(FixedMapBackend({}), min_score=2.0)
    with pytest.raises(ValueError, match="offer_min_score"):
        grid_grounder(FixedMapBackend({}), offer_min_score=-0.1)


# ---- real torch backend on a tiny untrained model -------------------------------------------------------------

def test_torch_backend_tiny_model_runs():
    torch = pytest.importorskip("torch")
    from geotext_ros.model.config import load_config
    from geotext_ros.model.factory import create_model
    from geotext_ros.runtime.torch_backend import TorchBackend

    torch.manual_seed(0)
    model, transform, tokenizer = create_model(load_config("tiny"))
    backend = TorchBackend(model, transform, tokenizer, {"model_config": {"name": "tiny"}})
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 255, (96, 128, 3), dtype=np.uint8)
    # min_score 0 makes every cell count, so candidates, anchors and the relation head all run.
    grounder = grid_grounder(backend, min_score=0.0, relative_threshold=0.9)
    for text in ("fly to the red building left of the pool", "the tree between the pool and the road",
                 "the car in the upper left", "stop"):
        res = grounder.ground(rgb, parse_instruction(text))
        assert isinstance(res, GroundingResult) and 0.0 <= res.score <= 1.0
        if text != "stop":
            assert res.box is not None and all(0.0 <= v <= 1.0 for v in res.box) and len(res.box) == 4
            assert res.candidates and res.chosen is not None


# ---- alias readings -----------------------------------------------------------------------------------------

class ReadingTokenizer:
    """The fixed-map backend's tokenizer plus a real WordPieceTokenizer's `readings` (aliases + alternatives)."""

    def __init__(self, backend, aliases, alternatives):
        from geotext_ros.model.tokenizer import WordPieceTokenizer

        words = ["the", "red", "building", "left", "of", "swimming", "lake", "pond", "body"]
        self.encode = backend.tokenizer
        self.readings = WordPieceTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]"] + words).with_aliases(
            aliases, alternatives).readings

    def __call__(self, texts):
        return self.encode(texts)


def water_scene():
    # two red buildings; the pond (right) lights up only for the reading "pond", a pool-like blob elsewhere is weak
    return {"the red building": blob_map(square(5, 1), square(5, 9)),
            "the pond body": blob_map(square(5, 5), value=0.7)}


@pytest.mark.parametrize("readings, expect_cx, anchor_found", [(3, 10 / 12, True), (1, None, False)])
def test_grounder_keeps_the_reading_the_frame_supports(readings, expect_cx, anchor_found):
    backend = FixedMapBackend(water_scene())
    backend.tokenizer = ReadingTokenizer(backend, {"water": "swimming"}, {"water": ["lake", "pond"]})
    text = parse_instruction("fly to the red building right of the water body")
    res = grid_grounder(backend, min_score=0.5, alias_readings=readings).ground(RGB, text)
    assert (res.anchor_box is not None) == anchor_found
    if anchor_found:
        assert res.box[0] == pytest.approx(expect_cx)
        assert "read 'the water body' as 'the pond body'" in res.reason
        assert {"the water body", "the lake body", "the pond body"} <= set(backend.phrases)
    else:
        assert "anchor 'the water body' not found" in res.reason and "read " not in res.reason
        assert "the pond body" not in backend.phrases


def test_grounder_keeps_the_first_reading_on_a_tie_and_rejects_zero_readings():
    same = blob_map(square(5, 1))
    backend = FixedMapBackend({"the water body": same, "the lake body": same.copy()})
    backend.tokenizer = ReadingTokenizer(backend, {"water": "swimming"}, {"water": ["lake"]})
    res = grid_grounder(backend, min_score=0.5, alias_readings=3).ground(RGB, parse_instruction("fly to the water body"))
    assert res.box is not None and "the lake body" in backend.phrases and "read " not in res.reason
    with pytest.raises(ValueError, match="alias_readings"):
        grid_grounder(backend, alias_readings=0)


def test_landing_view_finds_each_phrase_with_one_image_encoding():
    """Grounder.landing_view (the landing planner's obstacles): each phrase's candidates, as ground() cuts them;
    with surface_of, that phrase's own map and its region cut too, from the same image encoding."""
    backend = FixedMapBackend(two_buildings_and_pool())
    g = grid_grounder(backend)
    got = g.landing_view(RGB, ["the red building", "the pool", "tree"]).obstacles
    assert backend.calls["encode_image"] == 1
    assert [len(got[p]) for p in ("the red building", "the pool", "tree")] == [2, 1, 0]
    own = g.ground(RGB, parse_instruction("fly to the red building")).candidates
    assert [c.box for c in got["the red building"]] == [c.box for c in own]
    view = g.landing_view(RGB, ["tree"], surface_of="the pool")
    assert backend.calls["encode_image"] == 3 and view.surface is not None
    assert view.surface_cut == pytest.approx(max(g.min_score, g.relative_threshold * float(view.surface.max())))
    assert g.landing_view(RGB, []).obstacles == {} and g.landing_view(RGB, []).surface is None
    with pytest.raises(ValueError, match="rgb must be"):
        g.landing_view(RGB[..., 0], ["tree"])