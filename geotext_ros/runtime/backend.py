"""The one inference interface the navigator codes against; numpy in, numpy out.

Implementations: `OrtBackend` (onnxruntime), `TorchBackend` (PyTorch eager, optional torch-tensorrt),
`TensorRTBackend` (TensorRT engines built on the target). All take the same inputs and return the same outputs
as the exported graphs (see graph_spec.py): probabilities, not logits, for itm / dense / relation.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np


class Backend(ABC):
    """encode_image / encode_text / fuse / dense / relation, plus transform, tokenizer and manifest."""

    kind: str = "abstract"
    transform: Any          # geotext_ros.model.preprocess.ImageTransform
    tokenizer: Any          # geotext_ros.model.tokenizer.WordPieceTokenizer
    manifest: dict

    @abstractmethod
    def _run(self, graph: str, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        """Run one graph (name from graph_spec.GRAPHS) and return its outputs in spec order."""

    def encode_image(self, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """pixels float32 [B,3,S,S] -> image_tokens [B,1+G*G,Dv], image_embed [B,E] (L2-normalized)."""
        pixels = _f32(pixels, "pixels", 4)
        tokens, embed = self._run("image_encoder", {"pixels": pixels})
        return tokens, embed

    def encode_text(self, ids: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """input_ids, attention_mask int64 [B,L] -> text_tokens [B,L,Dt], text_embed [B,E] (L2-normalized)."""
        ids, mask = _i64(ids, "input_ids"), _i64(mask, "attention_mask")
        if ids.shape != mask.shape:
            raise ValueError(f"input_ids {ids.shape} and attention_mask {mask.shape} differ in shape")
        tokens, embed = self._run("text_encoder", {"input_ids": ids, "attention_mask": mask})
        return tokens, embed

    def fuse(self, image_tokens: np.ndarray, text_tokens: np.ndarray, mask: np.ndarray) -> dict[str, np.ndarray]:
        """-> {"itm": [B] match probability, "box": [B,4] normalized cxcywh}."""
        image_tokens = _f32(image_tokens, "image_tokens", 3)
        text_tokens = _f32(text_tokens, "text_tokens", 3)
        itm, box = self._run("fusion", {"image_tokens": image_tokens, "text_tokens": text_tokens,
                                        "attention_mask": _i64(mask, "attention_mask")})
        return {"itm": itm, "box": box}

    def dense(self, image_tokens: np.ndarray, text_embed: np.ndarray) -> np.ndarray:
        """-> [B,G,G] probability that each patch shows the phrase."""
        (out,) = self._run("dense", {"image_tokens": _f32(image_tokens, "image_tokens", 3),
                                     "text_embed": _f32(text_embed, "text_embed", 2)})
        return out

    def relation(self, image_tokens: np.ndarray, box_a: np.ndarray, box_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Relation of box_a to box_b (both [K,4] cxcywh in image 0) -> h_prob, v_prob [K,3] each
        (h: left/center/right, v: upper/middle/lower, as geotext_ros.relations)."""
        image_tokens = _f32(image_tokens, "image_tokens", 3)[:1]
        box_a, box_b = _f32(box_a, "box_a", 2), _f32(box_b, "box_b", 2)
        if box_a.shape != box_b.shape or box_a.shape[-1] != 4:
            raise ValueError(f"box_a {box_a.shape} and box_b {box_b.shape} must both be [K, 4]")
        h, v = self._run("relation", {"image_tokens": image_tokens, "box_a": box_a, "box_b": box_b})
        return h, v

    def missing_graph(self, graph: str) -> Exception:
        from .errors import EngineDirError

        return EngineDirError(f"this engine directory has no {graph!r} graph (e.g. a model exported with "
                              "dense_head=false has no dense map); re-export a model that has it")

    def close(self) -> None:
        """Release sessions / engines; the backend is unusable afterwards."""

    def __enter__(self) -> "Backend":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        name = self.manifest.get("model_config", {}).get("name", "?") if getattr(self, "manifest", None) else "?"
        return f"<{type(self).__name__} kind={self.kind} model={name}>"


def _f32(x: Any, name: str, ndim: int) -> np.ndarray:
    arr = np.ascontiguousarray(x, dtype=np.float32)
    if arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {arr.shape}")
    return arr


def _i64(x: Any, name: str) -> np.ndarray:
    arr = np.ascontiguousarray(x, dtype=np.int64)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be [B, L], got shape {arr.shape}")
    return arr
