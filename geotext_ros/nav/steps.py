"""Missions of several steps (issue 19 §2), ROS-free: "fly to the pool, then to the red building, then come home"
-> ["fly to the pool", "fly to the red building", "come home"]. Each step is an ordinary instruction for the
parser; the pipeline runs them in order (nav/pipeline.py)."""
from __future__ import annotations

import re

# ", then", "; then", "and then", "then" between steps; "after that" too. A comma alone does not split
# ("the pool, the one near the road").
_SPLIT_RE = re.compile(r"\s*(?:[,;.]\s*(?:and\s+)?then|\band\s+then|[,;.]\s*after\s+that|\bthen)\b[\s,]*",
                       re.IGNORECASE)
_VERBS = re.compile(r"^(?:fly|go|head|move|navigate|come|return|land|hover|inspect|stop|hold|resume|continue|"
                    r"proceed|take|bring|search|find|look)\b", re.IGNORECASE)


def split_steps(text: str) -> list[str]:
    """The steps of a sentence, in order; one step (the whole text, stripped) when it names no sequence. A step
    without a verb ("to the red building", "the red building") borrows "fly" so the parser reads it as a goto."""
    parts = [p.strip(" ,;.") for p in _SPLIT_RE.split(str(text))]
    parts = [p for p in parts if p]
    if len(parts) <= 1:
        return [str(text).strip()]
    return [p if _VERBS.match(p) else f"fly {p}" if p.lower().startswith("to ") else f"fly to {p}" for p in parts]
