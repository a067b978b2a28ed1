"""Loss configuration: the weight of every named term (0 = off) and the momentum (MC/MD) settings.

A preset JSON holds {"losses": {...}, "momentum": {...}, "train": {...}}; see training/presets/.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

TERMS = ("itc", "itm", "grounding", "spatial", "dense", "rg_itc", "rg_itm")


@dataclass
class MomentumConfig:
    enabled: bool = False        # MC: momentum encoder + feature queues
    momentum: float = 0.995
    queue_size: int = 4096
    distill: bool = False        # MD: soft targets from the momentum model (needs MC)
    alpha: float = 0.4


@dataclass
class LossConfig:
    weights: dict[str, float] = field(default_factory=lambda: {"itc": 1.0, "itm": 1.0})
    momentum: MomentumConfig = field(default_factory=MomentumConfig)

    def weight(self, term: str) -> float:
        return float(self.weights.get(term, 0.0))

    def on(self, term: str) -> bool:
        return self.weight(term) > 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"losses": dict(self.weights), "momentum": asdict(self.momentum)}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "LossConfig":
        """Validate a preset's "losses"/"momentum" sections; unknown names are errors, not silently ignored."""
        weights = {k: float(v) for k, v in raw.get("losses", {}).items()}
        unknown = sorted(set(weights) - set(TERMS))
        if unknown:
            raise ValueError(f"unknown loss terms {unknown}; known terms are {list(TERMS)}")
        mraw = dict(raw.get("momentum", {}))
        known = {f.name for f in fields(MomentumConfig)}
        bad = sorted(set(mraw) - known)
        if bad:
            raise ValueError(f"unknown momentum settings {bad}; known are {sorted(known)}")
        mom = MomentumConfig(**mraw)
        if mom.distill and not mom.enabled:
            raise ValueError("momentum.distill (MD) needs momentum.enabled (MC): the soft targets come from "
                             "the momentum model; set momentum.enabled true")
        if not any(w > 0 for w in weights.values()):
            raise ValueError(f"preset switches every loss off ({weights}); enable at least one of {list(TERMS)}")
        return cls(weights=weights, momentum=mom)
