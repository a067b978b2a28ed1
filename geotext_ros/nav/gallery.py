"""Gallery index for drone navigation via text: geotagged place images, ITC top-k + ITM re-rank.

gallery.json (docs/architecture.md): ``{"places": [{"place_id", "image", "x", "y", "altitude"}]}`` with image
paths relative to the JSON. The index (.npz, no pickles) holds L2-normalized image embeddings (float32), place
ids, x / y / altitude (NaN when unknown), image tokens in float16 for the ITM re-rank, and the model checksum:
an index only works with the model that built it, so loading it for another model is refused.

    index = GalleryIndex.build(backend, "gallery.json"); index.save("index.npz")
    index = GalleryIndex.load("index.npz", backend)         # binds the backend used by query()
    index.query("the red building left of the pool", k=5)   # -> [PlaceMatch, ...] best first
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

import numpy as np

from geotext_ros.model.text import MAX_WORDS_TEST, clean_caption
from geotext_ros.param_file import config_values
from geotext_ros.runtime.retrieval import topk_cosine

INDEX_VERSION = 1


class GalleryError(ValueError):
    """A gallery file or index is unusable; the message names the file and what to do."""


@dataclass(frozen=True)
class SearchConfig:
    """The navigator's `search_*` parameters of config/nav.yaml, defined here only (test/test_config_defaults.py).

    top_k: gallery places retrieved per instruction (best first). itm_weight: places are ordered by ITC cosine +
    this x ITM probability, so ITM only breaks near-ties (ordering by ITM alone, None, lost 8 points of top-1,
    docs/results.md). ground_weight: the top_k places are then re-ordered by score + this x what the grounder
    finds in each place's image (nav/place_check.py; 0 = off)."""

    top_k: int = 5
    itm_weight: Optional[float] = 0.05
    ground_weight: float = 0.2

    def __post_init__(self) -> None:
        if self.top_k < 1:
            raise ValueError(f"search_top_k must be >= 1, got {self.top_k}")
        if self.itm_weight is not None and not (math.isfinite(self.itm_weight) and self.itm_weight >= 0):
            raise ValueError(f"search_itm_weight must be a number >= 0, got {self.itm_weight}")
        if not (math.isfinite(self.ground_weight) and self.ground_weight >= 0):
            raise ValueError(f"search_ground_weight must be a number >= 0 (0 = off), got {self.ground_weight}")

    @classmethod
    def from_params(cls, params: Mapping[str, Any], prefix: str = "search_") -> "SearchConfig":
        """From the navigator's flattened parameters (`search_top_k`, `search_itm_weight`)."""
        return cls(**config_values(cls, params, prefix))


@dataclass(frozen=True)
class PlaceMatch:
    """One retrieved place: rank 0 = best; itc = cosine similarity; itm = match probability (None without
    re-rank); score = what the places were ordered by: itc + itm_weight * itm when re-ranked with a weight,
    itm when re-ranked without one, else itc; plus ground_weight * ground when the grounder checked the place's
    image (ground: its evidence, nav/place_check.py; None when not checked)."""

    place_id: str
    x: float
    y: float
    altitude: Optional[float]
    rank: int
    itc: float
    itm: Optional[float]
    score: float
    ground: Optional[float] = None

    def to_dict(self) -> dict[str, Any]:
        return {"place_id": self.place_id, "x": self.x, "y": self.y, "altitude": self.altitude, "rank": self.rank,
                "itc": self.itc, "itm": self.itm, "score": self.score, "ground": self.ground}


def read_gallery_json(path: str | Path) -> list[dict[str, Any]]:
    """Places of a gallery.json with absolute image paths; GalleryError naming the bad entry."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise GalleryError(f"cannot read gallery file {path}: {e}") from e
    places = data.get("places") if isinstance(data, dict) else None
    if not isinstance(places, list) or not places:
        raise GalleryError(f"{path} must be {{\"places\": [{{\"place_id\", \"image\", \"x\", \"y\", \"altitude\"}}]}}"
                           " with at least one place")
    out = []
    for i, p in enumerate(places):
        try:
            alt = p.get("altitude")
            out.append({"place_id": str(p["place_id"]), "image": str(path.parent / p["image"]),
                        "x": float(p["x"]), "y": float(p["y"]),
                        "altitude": float(alt) if alt is not None else math.nan})
        except (KeyError, TypeError, ValueError) as e:
            raise GalleryError(f"{path}: place #{i} {p!r:.120} needs place_id, image, x, y (numbers): {e}") from e
    return out


def backend_checksum(backend: Any) -> str:
    """The model identity of a backend: manifest model_checksum, else the hash of its graph files, else of the
    torch weights (a backend opened from a checkpoint), else of the manifest itself."""
    manifest = getattr(backend, "manifest", None) or {}
    if manifest.get("model_checksum"):
        return str(manifest["model_checksum"])
    files = manifest.get("files") or {}
    digest = hashlib.sha256()
    if files:
        for name in sorted(files):
            digest.update(f"{name}:{files[name].get('sha256', '')}\n".encode())
        return digest.hexdigest()
    model = getattr(backend, "model", None)
    if model is not None and hasattr(model, "state_dict"):
        for name, tensor in sorted(model.state_dict().items()):
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
        return digest.hexdigest()
    digest.update(json.dumps(manifest, sort_keys=True, default=str).encode())
    return digest.hexdigest()


class GalleryIndex:
    """Embeddings and coordinates of the gallery places (see module docstring)."""

    def __init__(self, embeddings: np.ndarray, place_ids: list[str], x: np.ndarray, y: np.ndarray,
                 altitude: np.ndarray, model_checksum: str, image_tokens: Optional[np.ndarray] = None,
                 images: Optional[list[str]] = None, backend: Any = None) -> None:
        self.backend = backend   # used by query() when none is passed; build() and load() set it
        self.embeddings = np.asarray(embeddings, dtype=np.float32)
        self.place_ids = [str(p) for p in place_ids]
        self.x, self.y = np.asarray(x, np.float64), np.asarray(y, np.float64)
        self.altitude = np.asarray(altitude, np.float64)
        self.model_checksum = str(model_checksum)
        self.image_tokens = None if image_tokens is None else np.asarray(image_tokens, dtype=np.float16)
        self.images = list(images) if images is not None else [""] * len(self.place_ids)
        n = len(self.place_ids)
        if self.embeddings.shape[0] != n or len(self.x) != n or len(self.y) != n or len(self.altitude) != n:
            raise GalleryError(f"index arrays disagree on the number of places ({n} ids, embeddings "
                               f"{self.embeddings.shape}, x {len(self.x)}, y {len(self.y)})")

    def __len__(self) -> int:
        return len(self.place_ids)

    # ---- build / save / load ------------------------------------------------------------------------------
    @classmethod
    def build(cls, backend: Any, gallery_json: str | Path, batch_size: int = 16, keep_tokens: bool = True,
              progress: Optional[Callable[[int, int], None]] = None) -> "GalleryIndex":
        """Embed every place image of gallery_json with the backend's image encoder."""
        from PIL import Image

        places = read_gallery_json(gallery_json)
        embeds, tokens = [], []
        for start in range(0, len(places), batch_size):
            batch = places[start:start + batch_size]
            pixels = []
            for p in batch:
                try:
                    with Image.open(p["image"]) as im:
                        pixels.append(np.asarray(backend.transform(np.asarray(im.convert("RGB"))), np.float32))
                except OSError as e:
                    raise GalleryError(f"place {p['place_id']}: cannot read image {p['image']}: {e}") from e
            img_tokens, img_embed = backend.encode_image(np.stack(pixels))
            embeds.append(np.asarray(img_embed, np.float32))
            if keep_tokens:
                tokens.append(np.asarray(img_tokens, np.float16))
            if progress is not None:
                progress(min(start + batch_size, len(places)), len(places))
        return cls(np.concatenate(embeds), [p["place_id"] for p in places], np.array([p["x"] for p in places]),
                   np.array([p["y"] for p in places]), np.array([p["altitude"] for p in places]),
                   backend_checksum(backend), np.concatenate(tokens) if keep_tokens else None,
                   [p["image"] for p in places], backend=backend)

    def save(self, path: str | Path) -> Path:
        """Write the index as a pickle-free .npz."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {"version": np.array(INDEX_VERSION), "embeddings": self.embeddings,
                  "place_ids": np.array(self.place_ids, dtype=str), "x": self.x, "y": self.y,
                  "altitude": self.altitude, "model_checksum": np.array(self.model_checksum),
                  "images": np.array(self.images, dtype=str)}
        if self.image_tokens is not None:
            arrays["image_tokens"] = self.image_tokens
        with open(path, "wb") as f:   # a file object: np.savez would append ".npz" to a bare name
            np.savez(f, **arrays)
        return path

    @classmethod
    def load(cls, path: str | Path, backend: Any = None, expected_checksum: Optional[str] = None) -> "GalleryIndex":
        """Read an index; refuse it when it was built by another model than `backend` (or expected_checksum)."""
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as z:
                data = {k: z[k] for k in z.files}
        except (OSError, ValueError) as e:
            raise GalleryError(f"cannot read gallery index {path}: {e}; rebuild it with `geotext-gallery build`") from e
        missing = [k for k in ("embeddings", "place_ids", "x", "y", "altitude", "model_checksum") if k not in data]
        if missing:
            raise GalleryError(f"{path} lacks {missing}: not a gallery index; rebuild it with `geotext-gallery build`")
        index = cls(data["embeddings"], data["place_ids"].tolist(), data["x"], data["y"], data["altitude"],
                    str(data["model_checksum"]), data.get("image_tokens"),
                    data["images"].tolist() if "images" in data else None, backend=backend)
        expected = expected_checksum if expected_checksum is not None else (
            backend_checksum(backend) if backend is not None else None)
        if expected is not None and expected != index.model_checksum:
            raise GalleryError(
                f"gallery index {path} was built with model {index.model_checksum[:12]}..., but the engine in use "
                f"is model {expected[:12]}...; embeddings of different models are not comparable: rebuild it with "
                f"`geotext-gallery build --engine ENGINE_DIR --gallery gallery.json --out {path}`")
        return index

    # ---- query ----------------------------------------------------------------------------------------------
    def query(self, text: str, k: int = 5, rerank: int = 16, backend: Any = None,
              batch_size: int = 16, itm_weight: Optional[float] = None) -> list[PlaceMatch]:
        """Top places for a sentence: ITC (cosine) top-max(k, rerank), ITM re-rank of the first `rerank`
        (when the index kept image tokens), best `k` returned best first. itm_weight: None orders the re-ranked
        places by ITM alone (the reference method); a number w orders them by itc + w * itm, so ITM only
        breaks near-ties of ITC (the navigator's setting: ITM alone loses 8 points of top-1 with the tiny
        model, docs/results.md). backend: the one bound by build()/load() unless given (it must be the model
        that built the index)."""
        if itm_weight is not None and not (math.isfinite(itm_weight) and itm_weight >= 0):
            raise ValueError(f"itm_weight {itm_weight} must be a finite number >= 0 (or None for ITM alone)")
        backend = backend if backend is not None else self.backend
        if backend is None:
            raise GalleryError("GalleryIndex.query needs a backend: load the index with GalleryIndex.load(path, "
                               "backend) or pass backend=")
        cleaned = clean_caption(text, MAX_WORDS_TEST) or "place"
        ids, mask = backend.tokenizer([cleaned])
        txt_tokens, txt_embed = backend.encode_text(ids, mask)
        top, itc = topk_cosine(np.asarray(txt_embed, np.float32)[0], self.embeddings, max(k, rerank))
        itm = None
        if rerank > 0 and self.image_tokens is not None and len(top):
            n = min(rerank, len(top))
            itm = self._itm(backend, top[:n], txt_tokens, mask, batch_size)
        score = [float(v) for v in itc]
        if itm is not None:
            for i, m in enumerate(itm):
                score[i] = float(m) if itm_weight is None else score[i] + itm_weight * float(m)
        # re-ranked places first (by their score), the rest keep their ITC order behind them
        n_ranked = 0 if itm is None else len(itm)
        order = sorted(range(n_ranked), key=lambda i: -score[i]) + list(range(n_ranked, len(top)))
        out = []
        for rank, i in enumerate(order[:k]):
            j = int(top[i])
            m = float(itm[i]) if itm is not None and i < len(itm) else None
            alt = float(self.altitude[j])
            out.append(PlaceMatch(self.place_ids[j], float(self.x[j]), float(self.y[j]),
                                  None if math.isnan(alt) else alt, rank, float(itc[i]), m, score[i]))
        return out

    def tokens_of(self, place_ids: list[str]) -> Optional[np.ndarray]:
        """The kept image tokens of these places (float32, in this order); None when the index kept none."""
        if self.image_tokens is None:
            return None
        row = {p: i for i, p in enumerate(self.place_ids)}
        return self.image_tokens[[row[p] for p in place_ids]].astype(np.float32)

    def search(self, text: str, top_k: int = 5, itm_weight: Optional[float] = None) -> list[PlaceMatch]:
        """query(text, k=top_k, itm_weight=...) with the bound backend (the name the navigator pipeline uses)."""
        return self.query(text, k=top_k, itm_weight=itm_weight)

    def _itm(self, backend: Any, rows: np.ndarray, txt_tokens: np.ndarray, mask: np.ndarray,
             batch_size: int) -> np.ndarray:
        scores = []
        for start in range(0, len(rows), batch_size):
            sel = rows[start:start + batch_size]
            img = self.image_tokens[sel].astype(np.float32)
            out = backend.fuse(img, np.repeat(txt_tokens, len(sel), axis=0), np.repeat(mask, len(sel), axis=0))
            scores.append(np.nan_to_num(np.asarray(out["itm"], np.float64).reshape(-1), nan=0.0))
        return np.concatenate(scores)
