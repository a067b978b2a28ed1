"""Appearance families of the synthetic world: each samples one `Look` per image, independently of the others.

    look = sample_look(["flat", "photo"], style_seed=123)          # one family drawn per image, then its look
    frame = Renderer(world).render(pose, k, style_seed=123, look=look)

The classic look (`Renderer.render` without `look`) is not a family here and is unchanged: the committed model,
demo and episode benchmark render it. Any family can be held out (training.data.synth: `holdout_family`) without
touching the others; `overcast` is the held-out one by default (docs/methods.md).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from geotext_ros.sim.appearance.evening import Evening
from geotext_ros.sim.appearance.family import Family
from geotext_ros.sim.appearance.flat import Flat
from geotext_ros.sim.appearance.haze import Haze
from geotext_ros.sim.appearance.look import Look
from geotext_ros.sim.appearance.materials import Materials
from geotext_ros.sim.appearance.noon import Noon
from geotext_ros.sim.appearance.overcast import Overcast
from geotext_ros.sim.appearance.photo import Photo
from geotext_ros.sim.appearance.seasons import Seasons

FAMILIES: dict[str, Family] = {f.name: f for f in (Flat(), Photo(), Noon(), Evening(), Haze(), Seasons(),
                                                   Materials(), Overcast())}
DEFAULT_HOLDOUT = "overcast"
CLASSIC = "classic"  # the original per-frame Style look (sim.palette.Style); usable in a family list


def check_families(names: Sequence[str]) -> list[str]:
    """The names, validated: each a family of FAMILIES or "classic"."""
    bad = [n for n in names if n not in FAMILIES and n != CLASSIC]
    if bad or not names:
        raise ValueError(f"appearance families {list(names)}: unknown {bad}; use names from "
                         f"{[CLASSIC, *FAMILIES]}")
    return list(names)


def sample_look(families: Sequence[str], style_seed: int) -> Look | None:
    """One family drawn uniformly for this image, then its look; None = the classic look. Uses its own
    generator (from the style seed) so the caller's random sequence is untouched."""
    names = check_families(families)
    rng = np.random.default_rng([0xFA11, int(style_seed)])
    name = names[int(rng.integers(len(names)))]
    return None if name == CLASSIC else FAMILIES[name].sample(rng)


__all__ = ["CLASSIC", "DEFAULT_HOLDOUT", "FAMILIES", "Family", "Look", "check_families", "sample_look"]
