"""Synthetic dataset writer: the procedural world rendered into EXACTLY the GeoText-1652 layout and format.

    out/train.json  test_951_version.json  test_24G_version.json  gallery.json  synth_meta.json
    out/images/train/<place>/image-NN.jpeg + <place>.jpg (satellite)
    out/images/test/gallery_no_train/<place>/image-NN.jpeg + <place>.jpg
    out/ood/...   (with ood_places > 0) the out-of-distribution test split, itself a GeoText-1652 test folder:
                  test_951_version.json  test_24G_version.json  gallery.json  images/test/gallery_no_train/...

Appearance (geotext_ros.sim.appearance): each train / in-distribution test image draws one of `families`
("classic" = the original look, the only one of the tiny/default/large presets); the OOD split uses only
`holdout_family` and the `ood_wording` captions, at places of their own campuses. The held-out family is never
drawn for train or in-distribution test images (checked here and by test_data_appearance.py).
Deterministic: the same arguments give byte-identical files (fixed JPEG settings, sorted JSON keys, per-image
seeds derived from (seed, place, view), no timestamps). Train and test places come from disjoint campuses.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from geotext_ros.sim import CameraPose, Frame, Place, Renderer, annotate, generate_world, intrinsics_for
from geotext_ros.sim.appearance import CLASSIC, DEFAULT_HOLDOUT, FAMILIES, check_families, sample_look
from geotext_ros.sim.variety import Variety
from geotext_ros.sim.vocab import WORDINGS
from geotext_ros.sim.captions import global_captions
from geotext_ros.sim.gallery import GALLERY_YAW, gallery_entry, render_place, save_jpeg

TEST_DIR = "test/gallery_no_train"
SATELLITE_YAW = GALLERY_YAW  # satellite images are north-up (geotext_ros.sim.gallery: the gallery conventions)


@dataclass(frozen=True)
class SynthConfig:
    train_places: int
    test_places: int
    views: int  # drone views per place
    size: int  # square image side in pixels
    places_per_campus: int = 8
    hfov_deg: float = 60.0
    altitude_m: tuple[float, float] = (45.0, 85.0)
    offset_m: float = 12.0  # horizontal jitter of the drone around the place centre
    satellite_altitude_m: float = 85.0
    jpeg_quality: int = 90
    test_wording: str = "train"  # "heldout": test captions use templates/synonyms never seen in train
    test_24g_fraction: float = 0.5  # share of test places in the small test split
    families: tuple[str, ...] = (CLASSIC,)  # appearance families of train and test images; "all" = every one
    holdout_family: str = DEFAULT_HOLDOUT  # appearance of the OOD split only; never in `families`
    ood_places: int = 0  # places of the out-of-distribution test split (out/ood); 0 = none
    ood_wording: str = "ood"  # caption wording of the OOD split (geotext_ros.sim.vocab_ood)
    variety: bool = False  # per-place sizes, spacing, tree and car density (geotext_ros.sim.variety.Variety)
    tilt_deg: tuple[float, float] = (0.0, 0.0)  # camera tilt from nadir towards the heading, drawn per image

    def train_families(self) -> list[str]:
        """`families` with "all" expanded (classic + every family but the held-out one), validated."""
        names = [CLASSIC, *[f for f in FAMILIES if f != self.holdout_family]] if self.families == ("all",) \
            else check_families(self.families)
        if self.holdout_family in names:
            raise ValueError(f"appearance family {self.holdout_family!r} is the held-out (OOD) family and may not be "
                             f"in families={list(self.families)}; drop it or pick another --holdout-family")
        return names


PRESETS: dict[str, SynthConfig] = {
    "tiny": SynthConfig(train_places=4, test_places=4, views=3, size=128, places_per_campus=2),
    "default": SynthConfig(train_places=150, test_places=48, views=12, size=256, places_per_campus=10),
    "large": SynthConfig(train_places=600, test_places=120, views=24, size=384, places_per_campus=12),
    # open-world data (issue 18): every appearance family but the held-out one, wider altitudes, an OOD split
    "open_tiny": SynthConfig(train_places=4, test_places=4, views=3, size=128, places_per_campus=2,
                             families=("all",), altitude_m=(35.0, 110.0), ood_places=4, variety=True,
                             tilt_deg=(0.0, 20.0)),
    "open": SynthConfig(train_places=600, test_places=48, views=16, size=256, places_per_campus=12,
                        families=("all",), altitude_m=(35.0, 110.0), ood_places=48, variety=True,
                        tilt_deg=(0.0, 20.0)),
}


def resolve_config(preset: str = "tiny", **overrides) -> SynthConfig:
    """Preset with the non-None overrides applied (places -> train_places)."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; use one of {sorted(PRESETS)}")
    if "places" in overrides:
        overrides["train_places"] = overrides.pop("places")
    cfg = replace(PRESETS[preset], **{k: v for k, v in overrides.items() if v is not None})
    for name in ("train_places", "test_places", "views", "size"):
        if getattr(cfg, name) < 1:
            raise ValueError(f"{name}={getattr(cfg, name)} must be >= 1")
    if cfg.views > 99:
        raise ValueError(f"views={cfg.views}: image-NN.jpeg names allow at most 99 views per place")
    if cfg.holdout_family not in FAMILIES:
        raise ValueError(f"holdout_family={cfg.holdout_family!r}; use one of {sorted(FAMILIES)}")
    for name in ("test_wording", "ood_wording"):
        if getattr(cfg, name) not in WORDINGS:
            raise ValueError(f"{name}={getattr(cfg, name)!r}; use one of {WORDINGS}")
    if not 0.0 <= cfg.tilt_deg[0] <= cfg.tilt_deg[1] < 30.0:
        raise ValueError(f"tilt_deg={cfg.tilt_deg}; use 0 <= lo <= hi < 30 degrees from nadir")
    if cfg.ood_wording == "train" and cfg.ood_places:
        raise ValueError("ood_wording='train' would give the OOD split training's words; use 'ood' or 'heldout'")
    cfg.train_families()  # validates families against the held-out one
    return cfg


def _campus_counts(n: int, per: int) -> list[int]:
    return [per] * (n // per) + ([n % per] if n % per else [])


def write_dataset(out_dir: str | Path, preset: str = "tiny", seed: int = 0, places: int | None = None,
                  test_places: int | None = None, views: int | None = None, size: int | None = None,
                  test_wording: str | None = None, preview: str | Path | None = None,
                  progress: bool = False, families: tuple[str, ...] | None = None,
                  holdout_family: str | None = None, ood_places: int | None = None,
                  ood_wording: str | None = None) -> dict:
    """Write a GeoText-1652-format dataset to `out_dir`; returns a summary dict (counts, paths, seconds)."""
    t0 = time.perf_counter()
    cfg = resolve_config(preset, places=places, test_places=test_places, views=views, size=size,
                         test_wording=test_wording, families=families, holdout_family=holdout_family,
                         ood_places=ood_places, ood_wording=ood_wording)
    out = Path(out_dir)
    train_counts = _campus_counts(cfg.train_places, cfg.places_per_campus)
    test_counts = _campus_counts(cfg.test_places, cfg.places_per_campus)
    ood_counts = _campus_counts(cfg.ood_places, cfg.places_per_campus) if cfg.ood_places else []
    # OOD campuses come last: campuses draw from their own seeds, so train and test are the same with or without
    world = generate_world(seed, len(train_counts) + len(test_counts) + len(ood_counts),
                           train_counts + test_counts + ood_counts, Variety() if cfg.variety else None)
    n_train_campuses, n_id_campuses = len(train_counts), len(train_counts) + len(test_counts)
    train = [p for p in world.places if p.campus < n_train_campuses]
    test = [p for p in world.places if n_train_campuses <= p.campus < n_id_campuses]
    ood = [p for p in world.places if p.campus >= n_id_campuses]
    writer = _Writer(world, cfg, seed, out)
    train_records, test_records, gallery = [], [], []
    for place in _progress(train + test, progress):
        is_test = place.campus >= n_train_campuses
        recs = writer.place_records(place, is_test)
        (test_records if is_test else train_records).extend(recs)
        if is_test:
            gallery.append(writer.gallery_entry(place))
    n_small = max(1, math.ceil(len(test) * cfg.test_24g_fraction))
    small_ids = {p.place_id for p in test[:n_small]}
    _dump(out / "train.json", train_records)
    _dump(out / "test_951_version.json", test_records)
    _dump(out / "test_24G_version.json", [r for r in test_records if r["image_id"][:4] in small_ids])
    _dump(out / "gallery.json", {"places": gallery})
    ood_summary = _write_ood(world, cfg, seed, out / "ood", ood, progress) if ood else {}
    meta = {"generator": "geotext_ros.sim", "format_version": 1, "seed": seed, "preset": preset,
            "config": asdict(cfg), "world": {"n_campuses": len(train_counts) + len(test_counts),
                      "places_per_campus": train_counts + test_counts},
            "train_places": [p.place_id for p in train], "test_places": [p.place_id for p in test],
            "mirror_pairs": [[p.mirror_of, p.place_id, p.mirror_axis] for p in world.places if p.mirror_of]}
    if ood:
        meta.update({"ood_places": [p.place_id for p in ood], "train_families": cfg.train_families()})
    _dump(out / "synth_meta.json", meta)
    if preview is not None:
        from training.data.preview import contact_sheet
        contact_sheet(out, train_records, preview)
    return {"out_dir": str(out), "train_places": len(train), "test_places": len(test),
            "train_images": len(train_records) // 3, "train_captions": len(train_records),
            "test_images": len(test_records), "test_captions": 3 * len(test_records),
            "test_24g_images": sum(r["image_id"][:4] in small_ids for r in test_records),
            "mirror_pairs": len(meta["mirror_pairs"]), **ood_summary, "bytes": _du(out),
            "seconds": round(time.perf_counter() - t0, 2)}


def _write_ood(world, cfg: SynthConfig, seed: int, out: Path, places: list[Place], progress: bool) -> dict:
    """The OOD test split at out/ (a GeoText-1652 test folder): held-out look and wording, its own places."""
    writer = _Writer(world, cfg, seed, out, [cfg.holdout_family], cfg.ood_wording)
    records, gallery = [], []
    for place in _progress(places, progress, "ood places"):
        records.extend(writer.place_records(place, True))
        gallery.append(writer.gallery_entry(place))
    n_small = max(1, math.ceil(len(places) * cfg.test_24g_fraction))
    small_ids = {p.place_id for p in places[:n_small]}
    _dump(out / "test_951_version.json", records)
    _dump(out / "test_24G_version.json", [r for r in records if r["image_id"][:4] in small_ids])
    _dump(out / "gallery.json", {"places": gallery})
    _dump(out / "synth_meta.json", {"generator": "geotext_ros.sim", "format_version": 1, "seed": seed,
                                     "split": "ood", "appearance_family": cfg.holdout_family,
                                     "wording": cfg.ood_wording, "test_places": [p.place_id for p in places]})
    return {"ood_places": len(places), "ood_images": len(records), "ood_dir": str(out)}


class _Writer:
    """Renders and writes the images of one place and builds its records."""

    def __init__(self, world, cfg: SynthConfig, seed: int, out: Path, families: list[str] | None = None,
                 test_wording: str | None = None):
        """`families` / `test_wording` default to the config's (the OOD split passes its own)."""
        self.cfg, self.seed, self.out = cfg, seed, out
        self.families = cfg.train_families() if families is None else families
        self.test_wording = cfg.test_wording if test_wording is None else test_wording
        self.renderer = Renderer(world)
        self.k = intrinsics_for(cfg.size, cfg.size, cfg.hfov_deg)

    def place_records(self, place: Place, is_test: bool) -> list[dict]:
        split_dir = TEST_DIR if is_test else "train"
        folder = self.out / "images" / split_dir / place.place_id
        folder.mkdir(parents=True, exist_ok=True)
        self._save(self.satellite(place), folder / f"{place.place_id}.jpg")
        records = []
        wording = self.test_wording if is_test else "train"
        for k in range(self.cfg.views):
            rng = np.random.default_rng([self.seed, int(place.place_id), k])
            frame = self.drone_view(place, rng)
            name = f"image-{k + 1:02d}.jpeg"
            self._save(frame, folder / name)
            anns = annotate(frame.objects, rng, wording)
            base = {"image_id": f"{place.place_id}/{name}", "image": f"{split_dir}/{place.place_id}/{name}",
                    "objects": _objects(frame), "view": _view(frame, "drone", self.cfg.hfov_deg)}
            if place.mirror_of is not None:
                base["mirror_of"] = place.mirror_of
            if frame.look is not None:  # classic frames carry no key: the classic datasets stay byte-identical
                base["appearance"] = frame.look.family
            if is_test:
                records.append({**base, "caption": [a.caption for a in anns],
                                "regions": [{"sentences": a.sentences, "bboxes": a.bboxes} for a in anns]})
            else:
                records.extend({**base, "caption": a.caption, "sentences": a.sentences, "bboxes": a.bboxes}
                               for a in anns)
        return records

    def drone_view(self, place: Place, rng: np.random.Generator) -> Frame:
        pose = drone_pose(place, rng, self.cfg)
        style_seed = int(rng.integers(2**31))
        look = sample_look(self.families, style_seed)
        if self.cfg.tilt_deg[1] <= 0:
            return self.renderer.render(pose, self.k, style_seed=style_seed, look=look)
        # own generator from the style seed: the view's random sequence (pose, captions) stays the classic one
        pitch = math.radians(np.random.default_rng([0x711, style_seed]).uniform(*self.cfg.tilt_deg))
        return self.renderer.render_tilted(pose, self.k, pitch, style_seed, look)

    def satellite(self, place: Place) -> Frame:
        return render_place(self.renderer, place, self.cfg.size, self.cfg.hfov_deg, self.cfg.satellite_altitude_m)

    def gallery_entry(self, place: Place) -> dict:
        return gallery_entry(place, f"images/{TEST_DIR}/{place.place_id}/{place.place_id}.jpg",
                             self.cfg.satellite_altitude_m, self.cfg.hfov_deg)

    def _save(self, frame: Frame, path: Path) -> None:
        save_jpeg(frame.image, path, self.cfg.jpeg_quality)


def drone_pose(place: Place, rng: np.random.Generator, cfg: SynthConfig) -> CameraPose:
    """A drone pose near `place`: jittered position, random altitude and heading (draws 4 values from rng)."""
    lo, hi = cfg.altitude_m
    r, t = cfg.offset_m * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
    return CameraPose(round(place.x + r * math.cos(t), 3), round(place.y + r * math.sin(t), 3),
                      round(float(rng.uniform(lo, hi)), 3), round(float(rng.uniform(0, 2 * math.pi)), 5))


class StreamedTestSet:
    """A GeoText-1652-shaped test set generated on the fly, for full-size evaluation without writing images.

    n_images drone views spread over n_places simulator places (building id = place id, views of a place
    contiguous), n_texts captions spread over the images (3 per image when n_texts = 3 n_images). View i of a
    place is exactly the dataset writer's view (same per-view seed, pose, style and global captions), rendered
    at `size`. Captions come from geometry only; pixels are rendered when `image(i)` is called, so nothing
    scales with n_images except the caption strings and small index arrays."""

    def __init__(self, n_images: int, n_texts: int, n_places: int, size: int, seed: int = 1,
                 preset: str = "default", families: tuple[str, ...] = (CLASSIC,), wording: str | None = None) -> None:
        """`families` (sim.appearance) and `wording` (default: the preset's test wording) stream an
        out-of-distribution set, e.g. families=("overcast",), wording="ood"."""
        if min(n_images, n_texts, n_places) < 1:
            raise ValueError(f"n_images={n_images}, n_texts={n_texts}, n_places={n_places} must all be >= 1")
        self.cfg, self.seed = resolve_config(preset, size=size, test_wording=wording), seed
        self.families = check_families(families)
        counts = _campus_counts(min(n_places, n_images), self.cfg.places_per_campus)
        self.world = generate_world(seed, len(counts), counts)
        self.renderer = Renderer(self.world)
        self.k = intrinsics_for(size, size, self.cfg.hfov_deg)
        n_places = len(self.world.places)
        self.image_place = np.sort(np.arange(n_images) % n_places)
        self.image_view = np.arange(n_images) - np.searchsorted(self.image_place, self.image_place)
        self.txt2img = np.arange(n_texts, dtype=np.int64) * n_images // n_texts
        ids = [p.place_id for p in self.world.places]
        self.image_buildings = [ids[p] for p in self.image_place]
        self.text_buildings = [self.image_buildings[i] for i in self.txt2img]

    def __len__(self) -> int:
        return len(self.image_place)

    def _view(self, i: int) -> tuple[np.random.Generator, CameraPose, int]:
        place = self.world.places[self.image_place[i]]
        # the writer's per-view seed and draw order: pose, style seed, then captions from the same rng
        rng = np.random.default_rng([self.seed, int(place.place_id), int(self.image_view[i])])
        pose = drone_pose(place, rng, self.cfg)
        return rng, pose, int(rng.integers(2**31))

    def image(self, i: int) -> np.ndarray:
        """uint8 [size, size, 3] drone view of image i."""
        _, pose, style_seed = self._view(i)
        return self.renderer.render(pose, self.k, style_seed=style_seed,
                                    look=sample_look(self.families, style_seed)).image

    def captions(self, i: int) -> list[str]:
        """The three global captions of image i, from the objects it sees (no pixels rendered)."""
        rng, pose, _ = self._view(i)
        return global_captions(self.renderer.visible_objects(pose, self.k), rng, self.cfg.test_wording)

    def texts(self, progress: bool = False) -> list[str]:
        """All n_texts captions in order; the t-th text of an image is its caption t mod 3."""
        out: list[str] = []
        last, caps, slot = -1, [], 0
        for i in _progress(self.txt2img.tolist(), progress, "captions", "text"):
            if i != last:
                last, caps, slot = i, self.captions(i), 0
            out.append(caps[slot % len(caps)])
            slot += 1
        return out


def _objects(frame: Frame) -> list[dict]:
    return [{"object_id": o.object_id, "kind": o.kind, "color": o.color, "phrase": o.phrase, "bbox": list(o.bbox),
             "visible": o.visible} for o in frame.objects]


def _view(frame: Frame, kind: str, hfov_deg: float) -> dict:
    p = frame.pose
    view = {"type": kind, "x": p.x, "y": p.y, "altitude": p.altitude, "yaw": p.yaw, "hfov_deg": hfov_deg}
    if frame.pitch:  # tilted views only: nadir records stay as they were
        view["pitch_deg"] = round(math.degrees(frame.pitch), 3)
    return view


def _dump(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, sort_keys=True, ensure_ascii=True) + "\n", encoding="utf-8")


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _progress(items: list, enabled: bool, desc: str = "places", unit: str = "place"):
    if not enabled:
        return items
    from tqdm import tqdm
    return tqdm(items, desc=desc, unit=unit)
