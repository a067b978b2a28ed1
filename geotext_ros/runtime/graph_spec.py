"""Names of the exported graphs, their inputs/outputs and dynamic axes: the one table that export, the ONNX
Runtime and TensorRT backends and the compatibility checker share."""
from __future__ import annotations

from dataclasses import dataclass

MANIFEST_NAME = "manifest.json"
OPSET = 17  # opset 20 makes TensorRT turn GridSample bilinear into nearest; 17 has native LayerNormalization


@dataclass(frozen=True)
class GraphSpec:
    name: str                 # file stem: <name>.onnx
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    # per tensor name: {axis index: symbolic name}; symbols are "batch", "seq", "boxes"
    dynamic: dict

    @property
    def filename(self) -> str:
        return f"{self.name}.onnx"


IMAGE_ENCODER = GraphSpec(
    "image_encoder", ("pixels",), ("image_tokens", "image_embed"),
    {"pixels": {0: "batch"}, "image_tokens": {0: "batch"}, "image_embed": {0: "batch"}})
TEXT_ENCODER = GraphSpec(
    "text_encoder", ("input_ids", "attention_mask"), ("text_tokens", "text_embed"),
    {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
     "text_tokens": {0: "batch", 1: "seq"}, "text_embed": {0: "batch"}})
FUSION = GraphSpec(
    "fusion", ("image_tokens", "text_tokens", "attention_mask"), ("itm", "box"),
    {"image_tokens": {0: "batch"}, "text_tokens": {0: "batch", 1: "seq"},
     "attention_mask": {0: "batch", 1: "seq"}, "itm": {0: "batch"}, "box": {0: "batch"}})
DENSE = GraphSpec(
    "dense", ("image_tokens", "text_embed"), ("dense",),
    {"image_tokens": {0: "batch"}, "text_embed": {0: "batch"}, "dense": {0: "batch"}})
# Relation pairs are for one image: image_tokens has batch 1, the K box pairs are the dynamic axis.
RELATION = GraphSpec(
    "relation", ("image_tokens", "box_a", "box_b"), ("h_prob", "v_prob"),
    {"box_a": {0: "boxes"}, "box_b": {0: "boxes"}, "h_prob": {0: "boxes"}, "v_prob": {0: "boxes"}})

GRAPHS: dict[str, GraphSpec] = {g.name: g for g in (IMAGE_ENCODER, TEXT_ENCODER, FUSION, DENSE, RELATION)}

# Default optimization profiles (min, opt, max) per symbolic axis; the manifest records the ones in force.
DEFAULT_PROFILE = {"batch": [1, 1, 32], "seq": [1, 32, 64], "boxes": [1, 8, 64]}
