"""Loss modules: each returns named terms and is switched on by config (see docs/methods.md)."""
from training.losses.config import TERMS, LossConfig, MomentumConfig
from training.losses.objective import Objective

__all__ = ["TERMS", "LossConfig", "MomentumConfig", "Objective"]
