"""Loss configuration: the weight of every named term (0 = off) and the momentum (MC/MD) settings.

A preset JSON holds {"losses": {...}, "momentum": {...}, "train": {...}} and optionally "dense_loss": {...};
see training/presets/.
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
class DenseLossConfig:
    # Focal modulation of the dense term's per-patch BCE (1 - p_t)^gamma: 0 = plain BCE. Most patches are easy
    # background; gamma > 0 moves the gradient to the patches the model gets wrong (a green roof read as grass).
    focal_gamma: float = 0.0


SPATIAL_LABEL_RULES = ("geotext", "navigator")
# A preset saved in a checkpoint before `spatial_loss` existed was trained with the navigator's rule.
LEGACY_SPATIAL_RULE = "navigator"


@dataclass
class SpatialLossConfig:
    # Which 3x3 rule labels the spatial term's box pairs. "geotext": A is aligned on an axis when its centre
    # offset from B is strictly under half of A's own extent (the GeoText-1652 code). "navigator": under or equal
    # to half of B's extent, the rule of geotext_ros/relations.py that the navigator and the synthetic
    # captions use (the embedded model's preset keeps it, so its head agrees with the navigator's words).
    label_rule: str = "geotext"


@dataclass
class LossConfig:
    weights: dict[str, float] = field(default_factory=lambda: {"itc": 1.0, "itm": 1.0})
    momentum: MomentumConfig = field(default_factory=MomentumConfig)
    dense: DenseLossConfig = field(default_factory=DenseLossConfig)
    spatial: SpatialLossConfig = field(default_factory=SpatialLossConfig)

    def weight(self, term: str) -> float:
        return float(self.weights.get(term, 0.0))

    def on(self, term: str) -> bool:
        return self.weight(term) > 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"losses": dict(self.weights), "momentum": asdict(self.momentum), "dense_loss": asdict(self.dense),
                "spatial_loss": asdict(self.spatial)}

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
        dense = _dense_config(dict(raw.get("dense_loss", {})))
        spatial = _spatial_config(dict(raw.get("spatial_loss", {})))
        if not any(w > 0 for w in weights.values()):
            raise ValueError(f"preset switches every loss off ({weights}); enable at least one of {list(TERMS)}")
        return cls(weights=weights, momentum=mom, dense=dense, spatial=spatial)


def _dense_config(raw: dict[str, Any]) -> DenseLossConfig:
    known = {f.name for f in fields(DenseLossConfig)}
    bad = sorted(set(raw) - known)
    if bad:
        raise ValueError(f"unknown dense_loss settings {bad}; known are {sorted(known)}")
    cfg = DenseLossConfig(**{k: float(v) for k, v in raw.items()})
    if not 0.0 <= cfg.focal_gamma <= 10.0:
        raise ValueError(f"dense_loss.focal_gamma must be in [0, 10] (0 = plain BCE, 2 is usual), got "
                         f"{cfg.focal_gamma}")
    return cfg


def _spatial_config(raw: dict[str, Any]) -> SpatialLossConfig:
    known = {f.name for f in fields(SpatialLossConfig)}
    bad = sorted(set(raw) - known)
    if bad:
        raise ValueError(f"unknown spatial_loss settings {bad}; known are {sorted(known)}")
    cfg = SpatialLossConfig(**raw)
    if cfg.label_rule not in SPATIAL_LABEL_RULES:
        raise ValueError(f"spatial_loss.label_rule must be one of {SPATIAL_LABEL_RULES}, got {cfg.label_rule!r}")
    return cfg


def spatial_rule_of(preset: dict[str, Any] | None) -> str:
    """The label rule a checkpoint's saved preset trained its relation head with (legacy: the navigator's)."""
    section = (preset or {}).get("spatial_loss")
    if section is None:
        return LEGACY_SPATIAL_RULE
    return _spatial_config(dict(section)).label_rule


def with_legacy_spatial_rule(preset: dict[str, Any]) -> dict[str, Any]:
    """A saved preset with its spatial rule made explicit, so resuming an old run keeps its labels."""
    return {**preset, "spatial_loss": {"label_rule": spatial_rule_of(preset)}}
