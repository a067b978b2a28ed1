"""Grounding an Instruction in one camera frame: target box with spatial-relation resolution.

Pipeline (docs/architecture.md, "Data flow"): encode the image once; tokenize target, anchor(s) and the full
sentence in one batch; dense maps -> candidate boxes (threshold + connected components); anchor boxes = best
component of each anchor's map (of a single anchor's best few, the first that some other candidate stands in the
relation to: selection.rule_anchor); one candidate chosen by relation (3x3 rule + relation head), image position, or
agreement with the full-sentence box head; the box head refines the chosen box when it overlaps it; the
full sentence's ITM probability is the confidence.

    grounder = Grounder(open_backend("engines/default"))
    result = grounder.ground(rgb, parse_instruction("fly to the red building left of the pool"))
    result.box, result.score, result.reason
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from geotext_ros.nav.candidates import BoxT, Candidate, clip_box, dense_candidates, iou, region_cut
from geotext_ros.nav.concept_readings import ConceptReadings
from geotext_ros.nav.dense_stitch import shifted_views, stitch_maps
from geotext_ros.nav.guided_upsample import FrameGuide
from geotext_ros.nav.parser import RELATION_LABELS, Instruction
from geotext_ros.nav.selection import SelectionWeights, rule_anchor, select_candidate
from geotext_ros.nav.vocabulary import COLOURS
from geotext_ros.param_file import config_values

# an anchor phrase's best regions the relation may be read from (selection.rule_anchor)
ANCHOR_REGIONS = 4
# relation -> [(axis 0 = horizontal / 1 = vertical, class index)] read from the relation head's probabilities;
# a diagonal ("lower left of") asks both axes, and its probability is their product
_HEAD_CLASS = {name: [(axis, cls) for axis, cls in enumerate(labels) if cls is not None]
               for name, labels in RELATION_LABELS.items()}


@dataclass
class GroundingResult:
    """box: chosen normalized cxcywh box or None; score: ITM match probability of the full sentence in [0, 1];
    confidence: dense-map probability that the target phrase is in the chosen region (None without a box) -- the
    evidence that the target itself is in view, which the mission gates on (ITM rates whole-scene descriptions
    and stays low for a sentence about one object, see bench/episodes.py);
    candidates: target regions from the dense map; chosen: index into candidates (None when box is None);
    anchor_box / anchor2_box: the anchors found; relation: the relation actually applied; reason: why this box
    (or why none); phrase: the target phrase grounded; head_box: the full-sentence box head's box;
    weak: when no region reaches min_score, the regions above GroundingConfig.offer_min_score (best first): never
    flown to, only offered to the operator (nav/pipeline.py); any_colour: the target was grounded in every colour
    of its noun (GroundingConfig any_colour_kinds), so candidate scores compare colours, not fit to the words."""

    box: Optional[BoxT]
    score: float
    candidates: list[Candidate] = field(default_factory=list)
    chosen: Optional[int] = None
    anchor_box: Optional[BoxT] = None
    anchor2_box: Optional[BoxT] = None
    relation: Optional[str] = None
    reason: str = ""
    phrase: str = ""
    head_box: Optional[BoxT] = None
    confidence: Optional[float] = None
    weak: list[Candidate] = field(default_factory=list)
    any_colour: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (lists instead of tuples)."""
        out = asdict(self)
        for key in ("candidates", "weak"):
            out[key] = [{"box": list(c.box), "score": c.score, "cells": c.cells} for c in getattr(self, key)]
        for key in ("box", "anchor_box", "anchor2_box", "head_box"):
            out[key] = list(out[key]) if out[key] is not None else None
        return out


@dataclass
class LandingView:
    """What the landing planner grounds in one frame (Grounder.landing_view): each obstacle phrase's regions and,
    for "land on X", X's dense map and the value its cells need to be part of X (region_cut)."""

    obstacles: dict[str, list[Candidate]]
    surface: Optional[np.ndarray] = None
    surface_cut: float = 1.0


@dataclass(frozen=True)
class GroundingConfig:
    """The `grounding.*` parameters of config/nav.yaml, defined here only (test/test_config_defaults.py checks
    the file against these defaults); the reasons for each value are next to it in nav.yaml.

    min_score: dense-map probability a cell needs to be part of a candidate (below it everywhere -> no box).
    offer_min_score: when no cell reaches min_score, the regions cut at this lower probability are the result's
    `weak` regions, which the navigator only offers to the operator when LOCALIZE times out (>= min_score: none).
    anchor_min_score: the same for an anchor's region (None: min(min_score, 0.25)). Lower than for the target:
    the sentence says the anchor is there and only its position is needed, and the relation it resolves is what
    tells look-alike targets apart (measured: anchors found 11 -> 19 of 20 views, bench/episodes.py frames).
    relative_threshold: cells also need >= this fraction of the map's peak (separates adjacent objects).
    refine: replace the chosen component's coarse box by the full-sentence box head's when they overlap.
    weighted_centre: centre candidate boxes on their cells' score-weighted centroid (nav/candidates.py).
    dense_upsample: f > 1 encodes f*f sub-patch-shifted copies of the frame as well and stitches their dense maps
    into an f-times finer grid (nav/dense_stitch.py); 1 = the model's own grid.
    guided_size: > 0 upsamples every dense map to guided_size x guided_size guided by the frame's colours
    (nav/guided_upsample.py) before candidates are cut, so look-alikes a gap apart separate; 0 = off.
    guided_sigma_colour: its colour falloff (8-bit RGB units).
    alias_readings: each phrase is grounded in up to this many readings when the tokenizer offers alias
    alternatives (geotext_ros/model/tokenizer.py `readings`: "the water body" with "water" read as "swimming",
    "lake" or "pond") and the reading whose dense map peaks highest is kept; 1 = the alias table's first choice.
    concept_margin: without alias alternatives, a phrase whose noun is not one the model was trained on (the
    engine manifest's `concepts`) also gets the reading with the nearest trained noun when that noun's kind is
    nearer than every other kind by this much (nav/concept_readings.py); > 1 = off.
    offer_colours: a target named without a colour word ("the edifice") whose map reaches min_score nowhere is
    also grounded with each of these colours before its noun ("the red building", ...; every reading of it), and
    the regions of the cell-wise maximum above offer_min_score replace its weak regions: offered to the operator
    at the LOCALIZE timeout, never flown to unasked (a model trained on colour + noun lights a bare noun faintly
    or not at all). Comma-separated, the model's trained colour words; "" = off.
    any_colour_kinds: kinds (of the engine manifest's `concepts`) that come in several colours. A target of one of
    them named without a colour word ("the edifice": its noun's kind by nav/concept_readings.py) is grounded as
    the cell-wise maximum of its own map and of its offer_colours readings ("the red building", ...): the model
    lights a bare noun on one colour of it (session 25: black buildings only), so the look-alikes of other
    colours were never seen and never asked about. Comma-separated; "" = off.
    """

    min_score: float = 0.22
    offer_min_score: float = 0.1
    relative_threshold: float = 0.5
    anchor_min_score: Optional[float] = 0.2
    refine: bool = False
    weighted_centre: bool = True
    dense_upsample: int = 1
    guided_size: int = 64
    guided_sigma_colour: float = 10.0
    alias_readings: int = 3
    concept_margin: float = 0.1
    offer_colours: str = "red, blue, white, gray, green, brown, black, orange"
    any_colour_kinds: str = "building, tennis_court, basketball_court, plaza, car, boat"

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_score <= 1.0:
            raise ValueError(f"grounding.min_score must be a probability in [0, 1], got {self.min_score}")
        if not 0.0 <= self.offer_min_score <= 1.0:
            raise ValueError(f"grounding.offer_min_score must be a probability in [0, 1] (>= min_score: no weak "
                             f"regions are offered), got {self.offer_min_score}")
        if self.anchor_min_score is not None and not 0.0 <= self.anchor_min_score <= 1.0:
            raise ValueError(f"grounding.anchor_min_score must be a probability in [0, 1], got "
                             f"{self.anchor_min_score}")
        if int(self.dense_upsample) < 1:
            raise ValueError(f"grounding.dense_upsample must be an integer >= 1 (1 = off), got "
                             f"{self.dense_upsample}")
        if int(self.guided_size) < 0 or self.guided_sigma_colour <= 0:
            raise ValueError(f"grounding.guided_size must be >= 0 (0 = off) and guided_sigma_colour > 0, got "
                             f"{self.guided_size} and {self.guided_sigma_colour}")
        if int(self.alias_readings) < 1:
            raise ValueError(f"grounding.alias_readings must be an integer >= 1 (1 = the alias table's first "
                             f"choice), got {self.alias_readings}")
        if not self.concept_margin >= 0:
            raise ValueError(f"grounding.concept_margin must be >= 0 (> 1 = off), got {self.concept_margin}")
        unknown = [c for c in self.colours if c not in COLOURS]
        if unknown:
            raise ValueError(f"grounding.offer_colours names {unknown}, not colour words; give comma-separated "
                             f"colours the model was trained on, or '' to turn the offers off")

    @property
    def any_colour(self) -> tuple[str, ...]:
        """any_colour_kinds as a tuple ("building", ...)."""
        return tuple(k.strip() for k in str(self.any_colour_kinds).split(",") if k.strip())

    @property
    def colours(self) -> tuple[str, ...]:
        """offer_colours as a tuple ("red", "blue", ...)."""
        return tuple(c.strip() for c in str(self.offer_colours).split(",") if c.strip())

    @classmethod
    def from_params(cls, params: Mapping[str, Any], prefix: str = "grounding.") -> "GroundingConfig":
        """From flattened node parameters (`grounding.min_score`, ...); an unknown `grounding.*` name is an error."""
        return cls(**config_values(cls, params, prefix))


class Grounder:
    """Grounds instructions with a runtime Backend (geotext_ros.runtime: encode_image/encode_text/fuse/dense/
    relation + transform + tokenizer) with a GroundingConfig.

    refine_iou: the box head's box replaces the chosen component's when they overlap this much (with
    config.refine). weights: relation evidence mix.
    """

    def __init__(self, backend: Any, config: Optional[GroundingConfig] = None, refine_iou: float = 0.3,
                 max_candidates: int = 16, weights: SelectionWeights = SelectionWeights(), **settings: Any) -> None:
        """`config` (default: GroundingConfig(), the nav.yaml values); `settings` replace single fields of it
        (`Grounder(backend, min_score=0.4)`)."""
        config = replace(config or GroundingConfig(), **settings)
        self.config = config
        self.backend = backend
        self.min_score = float(config.min_score)
        self.offer_min_score = float(config.offer_min_score)
        self.anchor_min_score = float(min(config.min_score, 0.25) if config.anchor_min_score is None
                                      else config.anchor_min_score)
        self.relative_threshold = float(config.relative_threshold)
        self.refine = config.refine
        self.refine_iou = float(refine_iou)
        self.max_candidates = int(max_candidates)
        self.weights = weights
        self.weighted_centre = bool(config.weighted_centre)
        self.dense_upsample = int(config.dense_upsample)
        self.guided_size, self.guided_sigma_colour = int(config.guided_size), float(config.guided_sigma_colour)
        self.alias_readings = int(config.alias_readings)
        concepts = (getattr(backend, "manifest", None) or {}).get("concepts")
        self._concepts = ConceptReadings(backend, concepts["kinds"], config.concept_margin) \
            if concepts and config.concept_margin <= 1 else None
        unknown = [k for k in config.any_colour if concepts and k not in concepts["kinds"]]
        if unknown:
            raise ValueError(f"grounding.any_colour_kinds names {unknown}, not kinds of this engine's concepts "
                             f"({', '.join(sorted(concepts['kinds']))}); name those, or '' to turn it off")
        # the last two text batches: the instruction's readings and its colour readings (any_colour_kinds, offers)
        self._text_cache: dict[tuple[str, ...], tuple[Any, Any, Any, Any]] = {}

    def ground(self, rgb: np.ndarray, instruction: Instruction) -> GroundingResult:
        """Ground `instruction` in an RGB uint8 [H, W, 3] frame."""
        rgb = np.asarray(rgb)
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"rgb must be [H, W, 3] uint8, got shape {rgb.shape}; convert mono/bgr first")
        if instruction.command != "goto" or instruction.empty:
            return GroundingResult(None, 0.0, reason=f"nothing to ground for command {instruction.command!r}"
                                   + (" (empty instruction)" if instruction.empty else ""))
        image_tokens, view_tokens = self._encode_frame(rgb)
        return self.ground_tokens(image_tokens[:1], instruction, view_tokens, guide=rgb)

    def landing_view(self, rgb: np.ndarray, phrases: Sequence[str], surface_of: Optional[str] = None) -> LandingView:
        """The landing planner's view of one frame: the candidate regions of each obstacle phrase, by the target's
        rule (dense map >= min_score and relative_threshold of its peak, connected components, best first) and,
        with surface_of, the dense map of that phrase's best-peaking reading and its region cut; one image
        encoding and one text batch for all of them."""
        readings = self._readings(surface_of) if surface_of else []
        texts = list(phrases) + readings
        if not texts:
            return LandingView({})
        rgb = np.asarray(rgb)
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"rgb must be [H, W, 3] uint8, got shape {rgb.shape}; convert mono/bgr first")
        image_tokens, view_tokens = self._encode_frame(rgb)
        ids, mask = self.backend.tokenizer(texts)
        _, embed = self.backend.encode_text(ids, mask)
        maps = self._guided(self._dense(image_tokens[:1] if view_tokens is None else view_tokens,
                                        embed[:len(texts)]), rgb)
        obstacles = {p: self._candidates(d, self.min_score, self.max_candidates) for p, d in zip(phrases, maps)}
        if not readings:
            return LandingView(obstacles)
        surface = maps[len(phrases) + _best_readings([len(readings)], maps[len(phrases):])[0]]
        return LandingView(obstacles, surface, region_cut(surface, self.min_score, self.relative_threshold))

    def _encode_frame(self, rgb: np.ndarray) -> tuple[np.ndarray, Optional[np.ndarray]]:
        """(image tokens [1, 1+G*G, Dv], the shifted views' tokens when dense_upsample > 1 else None)."""
        pixels = np.asarray(self.backend.transform(rgb), dtype=np.float32)[None]
        image_tokens, _ = self.backend.encode_image(pixels)
        view_tokens = None
        if self.dense_upsample > 1:
            grid = int(round(np.sqrt(image_tokens.shape[1] - 1)))
            views = shifted_views(pixels, pixels.shape[-1] // grid, self.dense_upsample)
            view_tokens, _ = self.backend.encode_image(views)
        return image_tokens, view_tokens

    def _guided(self, dense: np.ndarray, guide: Optional[np.ndarray]) -> np.ndarray:
        """The dense maps upsampled guided by the frame's colours (guided_size > 0 and a frame), else as they are."""
        if not self.guided_size or guide is None:
            return dense
        grid = dense.shape[-1]
        frame_guide = FrameGuide(guide, grid, max(self.guided_size, grid), sigma_colour=self.guided_sigma_colour)
        return np.stack([frame_guide(d) for d in dense])

    def ground_tokens(self, image_tokens: np.ndarray, instruction: Instruction,
                      view_tokens: Optional[np.ndarray] = None, guide: Optional[np.ndarray] = None
                      ) -> GroundingResult:
        """Ground with an already encoded image ([1, 1+G*G, Dv]); lets a caller share one image encoding.
        view_tokens: the encoded shifted_views of the frame ([f*f, 1+G*G, Dv]) for an f-times finer dense map;
        guide: the RGB frame, for guided upsampling (guided_size > 0)."""
        phrases = [instruction.target] + instruction.anchors
        texts, groups = self.instruction_texts(instruction)
        flat = texts[:-1]
        ids, mask, txt_tokens, txt_embed = self._encode_text(tuple(texts))
        n, m = len(phrases), len(flat)
        dense = self._dense(image_tokens if view_tokens is None else view_tokens, txt_embed[:m])
        keep = _best_readings([len(g) for g in groups], dense)
        dense, read = dense[keep], [flat[i] for i in keep]
        notes = "".join(f"; read {p!r} as {r!r}" for p, r in zip(phrases, read) if r != p)
        any_colour = self.reads_any_colour(instruction)
        if any_colour:
            dense = self._any_colour(image_tokens if view_tokens is None else view_tokens, instruction, dense)
            notes += f"; read {instruction.target!r} in any colour"
        dense = self._guided(dense, guide)
        fused = self.backend.fuse(image_tokens, txt_tokens[m:], mask[m:])
        score = _probability(fused["itm"])
        head_box = clip_box(np.asarray(fused["box"], dtype=np.float64).reshape(-1, 4)[0].tolist())
        candidates = self._candidates(dense[0], self.min_score, self.max_candidates)
        anchors = [self._best_box(dense[i]) for i in range(1, n)]
        if n == 2 and anchors[0] is not None:   # one anchor: the region the relation can be read from (rule_anchor)
            regions = [c.box for c in self._candidates(dense[1], self.anchor_min_score, ANCHOR_REGIONS)]
            anchors[0] = regions[rule_anchor(candidates, instruction.relation, regions, self.weights) or 0]
        result = GroundingResult(None, score, candidates, phrase=instruction.target, head_box=head_box,
                                 anchor_box=anchors[0] if anchors else None,
                                 anchor2_box=anchors[1] if len(anchors) > 1 else None, any_colour=any_colour)
        if not candidates:
            peak = float(np.nanmax(dense[0])) if dense[0].size else 0.0
            result.reason = (f"no region for {instruction.target!r} scores above min_score {self.min_score:.2f} "
                             f"(peak {peak:.2f})" + notes)
            if self.offer_min_score < self.min_score:
                result.weak = self._candidates(dense[0], self.offer_min_score, self.max_candidates)
                offers = self._colour_offers(image_tokens if view_tokens is None else view_tokens, instruction,
                                             guide)
                if offers:
                    result.weak = offers
                    result.reason += f"; {len(offers)} regions of its colour readings offered"
            return result
        found = [a for a in anchors if a is not None]
        relation = instruction.relation if found else None
        selection = select_candidate(candidates, relation, found, instruction.position, head_box,
                                     lambda boxes, anchor, rel: self._relation_prob(image_tokens, boxes, anchor, rel),
                                     self.weights)
        result.chosen, result.relation = selection.index, selection.relation
        result.reason = selection.reason
        if instruction.relation and not found:
            result.reason += f"; anchor {instruction.anchor!r} not found, relation {instruction.relation!r} unused"
        result.reason += notes
        result.confidence = float(candidates[selection.index].score)
        result.box = self._refined(candidates[selection.index].box, head_box, result)
        return result

    def reads_any_colour(self, instruction: Instruction) -> bool:
        """True when the target is grounded in every colour of its noun (GroundingConfig any_colour_kinds): a
        kind that comes in several colours, named without a colour word. Its candidates' scores then say how well
        the model lights each colour, not how well each fits the words."""
        kinds = self.config.any_colour
        return bool(kinds and self._concepts is not None and self._colour_texts(instruction)
                    and self._concepts.phrase_kind(instruction.target) in kinds)

    def _any_colour(self, view_tokens: np.ndarray, instruction: Instruction, dense: np.ndarray) -> np.ndarray:
        """`dense` with the target's map (dense[0]) read as every colour of its noun: the cell-wise maximum of its
        own map and of its colour readings' maps (for a target that reads_any_colour)."""
        texts = self._colour_texts(instruction)
        union = self._dense(view_tokens, self._encode_text(texts)[3][:len(texts)]).max(axis=0)
        out = dense.copy()
        out[0] = np.fmax(dense[0], union)
        return out

    def _colour_texts(self, instruction: Instruction) -> tuple[str, ...]:
        """"the red building", ... for a target without a colour word: each offer colour before each reading's
        noun; () for a target with a colour word, or with offer_colours off."""
        if set(instruction.target.lower().replace("-", " ").split()) & COLOURS:
            return ()
        nouns = [r[4:] if r.lower().startswith("the ") else r for r in self._readings(instruction.target)]
        return tuple(f"the {c} {noun}" for noun in nouns for c in self.config.colours)

    def _colour_offers(self, view_tokens: np.ndarray, instruction: Instruction, guide: Optional[np.ndarray]
                       ) -> list[Candidate]:
        """The regions to offer for a target without a colour word that lit nothing (GroundingConfig
        offer_colours), scores mapped into [offer_min_score, min_score): they rank among themselves and are never
        confident. [] for a target with a colour word, or with the offers off."""
        texts = self._colour_texts(instruction)
        if not texts:
            return []
        embed = self._encode_text(texts)[3][:len(texts)]
        union = self._guided(self._dense(view_tokens, embed), guide).max(axis=0)
        low, high = self.offer_min_score, np.nextafter(self.min_score, 0.0)
        scale = (high - low) / max(1.0 - low, 1e-9)
        return [replace(c, score=float(low + (c.score - low) * scale))
                for c in self._candidates(union, low, self.max_candidates)]

    def phrase_peaks(self, image_tokens: np.ndarray, instruction: Instruction) -> np.ndarray:
        """[P, n] for P encoded images ([P, 1+G*G, Dv]): the dense-map peak of the target (column 0) and of each
        anchor, each phrase by its best-peaking reading (as ground_tokens reads it), on the model's own grid
        (no shifted views, no guided upsampling: a gallery index keeps one encoding per place)."""
        texts, groups = self.instruction_texts(instruction)
        flat = texts[:-1]
        embed = self._encode_text(tuple(texts))[3][:len(flat)]
        out = np.zeros((len(image_tokens), len(groups)))
        for i, tokens in enumerate(np.asarray(image_tokens, np.float32)):
            dense = self._dense(tokens[None], embed)
            out[i] = [float(np.nanmax(dense[k])) if np.isfinite(dense[k]).any() else 0.0
                      for k in _best_readings([len(g) for g in groups], dense)]
        return out

    def instruction_texts(self, instruction: Instruction) -> tuple[list[str], list[list[str]]]:
        """The texts encoded for an instruction: every reading of the target and of each anchor (alias readings,
        up to alias_readings per phrase), then the whole sentence; and the readings grouped per phrase."""
        groups = [self._readings(p) for p in [instruction.target] + instruction.anchors]
        return [r for g in groups for r in g] + [instruction.text or instruction.target], groups

    def _encode_text(self, texts: tuple[str, ...]) -> tuple[Any, Any, Any, Any]:
        """(ids, mask, tokens, embed) of `texts`, encoded once per instruction: the navigator grounds the same
        instruction frame after frame, so the last batch is kept while the texts stay the same (the text tower
        then costs nothing per frame; bench/runtime.py `text_per_instruction` is what a new instruction costs)."""
        cached = self._text_cache.get(texts)
        if cached is None:
            ids, mask = self.backend.tokenizer(list(texts))
            cached = (ids, mask, *self.backend.encode_text(ids, mask))
            self._text_cache = {**dict(list(self._text_cache.items())[-1:]), texts: cached}
        return cached

    def _dense(self, view_tokens: np.ndarray, phrase_embed: np.ndarray) -> np.ndarray:
        """[n, G', G'] map per phrase: the model's grid for one view, stitched from f*f shifted views."""
        n_views, n = len(view_tokens), len(phrase_embed)
        maps = self.backend.dense(np.repeat(view_tokens, n, axis=0), np.tile(phrase_embed, (n_views, 1)))
        if n_views == 1:
            return maps
        factor = int(round(np.sqrt(n_views)))
        maps = np.asarray(maps).reshape(n_views, n, *np.asarray(maps).shape[1:])
        return np.stack([stitch_maps(maps[:, i], factor) for i in range(n)])

    def _readings(self, phrase: str) -> list[str]:
        """The phrase's readings: the alias table's alternatives, else a trained noun for an untrained one."""
        readings = getattr(self.backend.tokenizer, "readings", None)
        if self.alias_readings < 2:
            return [phrase]
        out = list(readings(phrase, self.alias_readings)) if readings is not None else []
        if len(out) < 2 and self._concepts is not None:
            out = self._concepts.readings(phrase, self.alias_readings)
        return out or [phrase]

    def _best_box(self, dense: np.ndarray) -> Optional[BoxT]:
        comps = self._candidates(dense, self.anchor_min_score, 1)
        return comps[0].box if comps else None

    def _candidates(self, dense: np.ndarray, min_score: float, limit: int) -> list[Candidate]:
        """The candidate regions of one dense map by the configured cutting rule."""
        return dense_candidates(dense, min_score, self.relative_threshold, limit, self.weighted_centre)

    def _relation_prob(self, image_tokens: np.ndarray, boxes: list[BoxT], anchor: BoxT, relation: str) -> np.ndarray:
        if relation not in _HEAD_CLASS:
            return np.zeros(len(boxes))
        box_a = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
        box_b = np.repeat(np.asarray(anchor, dtype=np.float32).reshape(1, 4), len(boxes), axis=0)
        probs = self.backend.relation(image_tokens, box_a, box_b)   # (horizontal, vertical), each [K, 3]
        return np.prod([np.asarray(probs[axis], dtype=np.float64)[:, cls] for axis, cls in _HEAD_CLASS[relation]],
                       axis=0)

    def _refined(self, box: BoxT, head_box: BoxT, result: GroundingResult) -> BoxT:
        if self.refine and iou(box, head_box) >= self.refine_iou:
            result.reason += "; refined by the box head"
            return head_box
        return box


def _best_readings(sizes: list[int], dense: np.ndarray) -> list[int]:
    """Per phrase (its readings are `sizes[i]` consecutive maps), the map index whose peak is highest; the first
    reading on ties and when every map is NaN."""
    keep, start = [], 0
    for size in sizes:
        peaks = [float(np.nanmax(d)) if d.size and np.isfinite(d).any() else -np.inf for d in dense[start:start + size]]
        keep.append(start + int(np.argmax(peaks)))
        start += size
    return keep


def _probability(itm: Any) -> float:
    """First ITM value as a probability in [0, 1] (NaN -> 0: never trust a broken output)."""
    value = float(np.asarray(itm, dtype=np.float64).reshape(-1)[0])
    return 0.0 if not np.isfinite(value) else min(1.0, max(0.0, value))
