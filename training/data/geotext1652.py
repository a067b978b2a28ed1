"""Reader for the real GeoText-1652 JSON files (and the synthetic ones, which use the same format).

Train files hold one record per caption, test files one record per image with a list of captions. The building
(place) id of a record is `image_id[:4]`, taken from each record itself: the reference code's running counter
gives the first image of every new building the previous building's id, which this reader must not repeat.

Errors name the file and the record index. By default a bad record raises DataFormatError; with
`skip_invalid=True` bad records are skipped and counted in one logged warning.
"""
from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from geotext_ros.model.text import MAX_WORDS_TEST, MAX_WORDS_TRAIN, clean_caption

log = logging.getLogger(__name__)

Box = tuple[float, float, float, float]
TRAIN_KEYS = ("image_id", "image", "caption", "sentences", "bboxes")
TEST_KEYS = ("image_id", "image", "caption")


class DataFormatError(ValueError):
    """A GeoText-1652 file or record is malformed; the message names the file and record index."""


@dataclass(frozen=True)
class TrainRecord:
    image_path: Path
    image_id: str
    building_id: str
    caption: str  # cleaned, at most max_words words
    sentences: tuple[str | None, ...] | None  # [main, left, right], cleaned; None where absent
    bboxes: tuple[Box | None, ...] | None  # normalized (cx, cy, w, h); None where absent
    extras: dict[str, Any] = field(default_factory=dict)  # keys beyond the GeoText-1652 format, passed through


@dataclass(frozen=True)
class TestRecord:
    image_path: Path
    image_id: str
    building_id: str
    captions: tuple[str, ...]  # cleaned
    extras: dict[str, Any] = field(default_factory=dict)


def building_id(image_id: str) -> str:
    """GeoText-1652 building id: the first 4 characters of image_id ("0839/image-43.jpeg" -> "0839")."""
    if not isinstance(image_id, str) or len(image_id) < 5 or image_id[4] != "/":
        raise ValueError(f"image_id {image_id!r} is not '<4-char building>/<file>'")
    return image_id[:4]


def building_index(records: Iterable[TrainRecord | TestRecord]) -> dict[str, int]:
    """Sorted building ids -> contiguous class indices."""
    return {b: i for i, b in enumerate(sorted({r.building_id for r in records}))}


def building_labels(records: Sequence[TrainRecord | TestRecord], index: dict[str, int] | None = None) -> list[int]:
    """Per-record building class index, each computed from that record's own image_id."""
    index = index if index is not None else building_index(records)
    return [index[r.building_id] for r in records]


def load_train(json_path: str | Path, image_root: str | Path, max_words: int = MAX_WORDS_TRAIN,
               skip_invalid: bool = False, check_images: bool = True) -> list[TrainRecord]:
    """Train records (one per caption) with cleaned text and validated boxes."""
    return _load(json_path, image_root, lambda rec, root: _train_record(rec, root, max_words, check_images),
                 skip_invalid)


def load_test(json_path: str | Path, image_root: str | Path, max_words: int = MAX_WORDS_TEST,
              skip_invalid: bool = False, check_images: bool = True) -> list[TestRecord]:
    """Test records (one per image, a list of captions) with cleaned text."""
    return _load(json_path, image_root, lambda rec, root: _test_record(rec, root, max_words, check_images),
                 skip_invalid)


def _load(json_path: str | Path, image_root: str | Path, parse: Callable, skip_invalid: bool) -> list:
    path, root = Path(json_path), Path(image_root)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise DataFormatError(f"{path}: file not found; pass the GeoText-1652 JSON path") from e
    except json.JSONDecodeError as e:
        raise DataFormatError(f"{path}: not valid JSON ({e}); re-download or regenerate the file") from e
    if not isinstance(data, list):
        raise DataFormatError(f"{path}: top level is {type(data).__name__}, expected a list of records")
    out, skipped, first_error = [], 0, None
    for i, rec in enumerate(data):
        try:
            out.append(parse(rec, root))
        except (ValueError, TypeError) as e:
            err = DataFormatError(f"{path}: record {i}: {e}")
            if not skip_invalid:
                raise err from e
            skipped += 1
            first_error = first_error or err
    if skipped:
        log.warning("skipped %d of %d records in %s (skip_invalid=True); first: %s", skipped, len(data), path,
                    first_error)
    return out


def _common(rec: Any, root: Path, check_images: bool, keys: Sequence[str]) -> tuple[str, Path, dict]:
    if not isinstance(rec, dict):
        raise TypeError(f"record is {type(rec).__name__}, expected an object with keys {list(keys)}")
    missing = [k for k in keys if k not in rec]
    if missing:
        raise ValueError(f"missing keys {missing}; a record needs {list(keys)}")
    image_id, image = rec["image_id"], rec["image"]
    if not isinstance(image, str):
        raise TypeError(f"'image' must be a str path, got {type(image).__name__}")
    bid = building_id(image_id)
    path = root / image
    if check_images and not path.is_file():
        raise ValueError(f"image file {path} does not exist; check image_root ({root}) or pass check_images=False")
    extras = {k: v for k, v in rec.items() if k not in TRAIN_KEYS}
    return bid, path, extras


def _clean(text: Any, what: str, max_words: int) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a str, got {type(text).__name__}: {text!r:.60}")
    return clean_caption(text, max_words)


def _train_record(rec: Any, root: Path, max_words: int, check_images: bool) -> TrainRecord:
    bid, path, extras = _common(rec, root, check_images, ("image_id", "image", "caption"))
    caption = _clean(rec["caption"], "'caption' (train records have one caption)", max_words)
    sentences, bboxes = rec.get("sentences"), rec.get("bboxes")
    if sentences is not None:
        if not isinstance(sentences, list):
            raise TypeError(f"'sentences' must be a list [main, left, right] or null, got {type(sentences).__name__}")
        sentences = tuple(None if s is None else _clean(s, f"sentences[{j}]", max_words)
                          for j, s in enumerate(sentences))
    if bboxes is not None:
        if not isinstance(bboxes, list):
            raise TypeError(f"'bboxes' must be a list of [cx, cy, w, h] or null, got {type(bboxes).__name__}")
        bboxes = tuple(None if b is None else _box(b, j) for j, b in enumerate(bboxes))
    if sentences is not None and bboxes is not None and len(sentences) != len(bboxes):
        raise ValueError(f"{len(sentences)} sentences but {len(bboxes)} bboxes; they pair up by position")
    return TrainRecord(path, rec["image_id"], bid, caption, sentences, bboxes, extras)


def _test_record(rec: Any, root: Path, max_words: int, check_images: bool) -> TestRecord:
    bid, path, extras = _common(rec, root, check_images, TEST_KEYS)
    caps = rec["caption"]
    if not isinstance(caps, list) or not caps:
        raise TypeError(f"'caption' of a test record must be a non-empty list of str, got {caps!r:.60}")
    captions = tuple(_clean(c, f"caption[{j}]", max_words) for j, c in enumerate(caps))
    return TestRecord(path, rec["image_id"], bid, captions, extras)


def _box(b: Any, j: int) -> Box:
    if not isinstance(b, (list, tuple)) or len(b) != 4:
        raise ValueError(f"bboxes[{j}] = {b!r:.60} must be [cx, cy, w, h] (4 numbers)")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in b):
        raise ValueError(f"bboxes[{j}] = {b!r:.60} holds a non-number")
    if not all(-1e-6 <= v <= 1 + 1e-6 for v in b):
        raise ValueError(f"bboxes[{j}] = {b} is outside [0, 1]; boxes must be normalized (cx, cy, w, h)")
    return tuple(float(v) for v in b)  # type: ignore[return-value]
