"""torch.nn.Module wrappers around the model, one per exported graph.

The ONNX export traces exactly these modules and the torch backend runs exactly these modules, so the torch and
ONNX/TensorRT backends compute the same function by construction (post-processing included).
"""
from __future__ import annotations

import torch
from torch import nn


class ImageEncoderGraph(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, pixels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        tokens, embed = self.model.encode_image(pixels)
        return tokens, embed


class TextEncoderGraph(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        tokens, embed = self.model.encode_text(input_ids, attention_mask)
        return tokens, embed


class FusionGraph(nn.Module):
    """Fused [CLS] -> ITM match probability and the sigmoid cxcywh box."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, image_tokens: torch.Tensor, text_tokens: torch.Tensor,
                attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        cls = self.model.fuse(image_tokens, text_tokens, attention_mask)[:, 0]
        itm = torch.softmax(self.model.itm_head(cls), dim=-1)[:, 1]
        return itm, self.model.box_head(cls)


class DenseGraph(nn.Module):
    """Dense phrase map as per-patch probabilities (sigmoid of the model's logits)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, image_tokens: torch.Tensor, text_embed: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.model.dense_map(image_tokens, text_embed))


class RelationGraph(nn.Module):
    """Relation of box_a to box_b, K pairs in image 0 -> (h_prob, v_prob) [K, 3] each."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, image_tokens: torch.Tensor, box_a: torch.Tensor,
                box_b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # every pair belongs to image 0; zeros_like keeps K dynamic in the traced graph
        batch_index = torch.zeros_like(box_a[:, 0]).long()
        feat_a = self.model.region_features(image_tokens, box_a, batch_index)
        feat_b = self.model.region_features(image_tokens, box_b, batch_index)
        h_logits, v_logits = self.model.relation_head(feat_a, feat_b, box_a, box_b)
        return torch.softmax(h_logits, dim=-1), torch.softmax(v_logits, dim=-1)


WRAPPERS = {"image_encoder": ImageEncoderGraph, "text_encoder": TextEncoderGraph, "fusion": FusionGraph,
            "dense": DenseGraph, "relation": RelationGraph}


def graph_modules(model: nn.Module) -> dict[str, nn.Module]:
    """All five wrappers around one model, in eval mode."""
    model.eval()
    return {name: cls(model).eval() for name, cls in WRAPPERS.items()}
