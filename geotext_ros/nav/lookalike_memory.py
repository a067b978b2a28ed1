"""Look-alikes seen apart from the tracked target, and the regions that merge them with it (ROS-free).

While the drone approaches a target it has chosen (by the operator's answer, or by a relation), the dense map may
light the target and an adjacent look-alike as one region: two green tennis courts side by side were two regions
of ~380 m² from 45 m and one of ~850 m² from 38 m, whose centre lay between them (ambiguous and localize tuning
seed 200032: the drone ended 7-8 m from the court the operator chose). Such a region still shows the target, but
its centre is not the target's.

`LookalikeMemory.note` remembers, from frames where they were seen apart, where the target's look-alikes lie: the
other candidates at least `separation` from the target estimate whose ground area is within a factor 2 of the
tracked candidate's, in frames where that one is a region of at least MIN_AREA_M2 (not a fragment of the lit
map), both scoring at least `min_score` (the mission's min_confidence: the two ends of a long grey hall, lit 0.19
each, are not two halls; ambiguous 100001), with the tracked candidate's area then. `merged` says whether a
region covers the target estimate and one of them and has grown to at least MERGED_GROWTH x the target's area
when they were seen apart.

    memory = LookalikeMemory(separation=5.0, min_score=0.22)
    memory.note(objects, tracked_index, target_xy)     # every tracked frame
    if memory.merged(objects[tracked_index], target_xy): ...   # seen, but the estimate stands
"""
from __future__ import annotations

import math
from collections import deque
from typing import Optional, Sequence

from geotext_ros.nav.scene import XY, SceneObject, inside_polygon

MIN_AREA_M2 = 60.0     # a tracked region smaller than this is a fragment of the thresholded map (1-35 m² beside
                       # halls of 150-700 m² in localize tuning 200026, 200036, 200076): no look-alikes noted then
SIZE_FACTOR = 2.0      # a look-alike's area is within this factor of the tracked candidate's (either way)
MERGED_GROWTH = 1.6    # two courts of ~380 m² seen apart were one region of 830-960 m² (200032); the target's own
                       # region grew 1.4x as the drone came closer (ambiguous 200036)


class LookalikeMemory:
    """The ground points of the target's look-alikes seen apart from it, the last `size` of them."""

    def __init__(self, separation: float, min_score: float, size: int = 16) -> None:
        if not separation > 0:
            raise ValueError(f"separation must be > 0 m, got {separation}")
        self.separation, self.min_score = float(separation), float(min_score)
        self._seen: deque[tuple[XY, float]] = deque(maxlen=size)   # (look-alike, target area then)

    def __len__(self) -> int:
        return len(self._seen)

    def reset(self) -> None:
        """Forget them (a new target)."""
        self._seen.clear()

    def note(self, objects: Sequence[SceneObject], tracked: int, target: XY) -> None:
        """Remember the frame's candidates that are look-alikes seen apart from the tracked one (module docstring)."""
        area = objects[tracked].area
        if area < MIN_AREA_M2 or objects[tracked].score < self.min_score:
            return
        for i, obj in enumerate(objects):
            if i == tracked or obj.ground is None or obj.score < self.min_score \
                    or not area / SIZE_FACTOR <= obj.area <= area * SIZE_FACTOR:
                continue
            if math.dist(obj.ground, target) >= self.separation:
                self._seen.append(((float(obj.ground[0]), float(obj.ground[1])), area))

    def merged(self, obj: SceneObject, target: XY) -> Optional[XY]:
        """The remembered look-alike that `obj` covers together with the target estimate, `obj` having grown to
        MERGED_GROWTH x the target's area when that look-alike was seen apart; None when there is none."""
        if len(obj.footprint) < 3 or not inside_polygon(target, obj.footprint):
            return None
        return next((p for p, area in self._seen
                     if obj.area >= MERGED_GROWTH * area and inside_polygon(p, obj.footprint)), None)
