"""The description inside a generated instruction ("i need eyes on the red building left of the pool" -> "red
building left of the pool"), so the episode families can put it in sentences of their own ("..., then to the
<description>", "land next to the <description>")."""
from __future__ import annotations

from geotext_ros.sim.instructions import PLAIN_TEMPLATES, TEMPLATES, Task


def task_description(task: Task, wording: str) -> str:
    """What follows the template's "... the " in task.instruction (the target, and its relation if any)."""
    prefixes = sorted({t.split("{t}")[0] for t in (*TEMPLATES[wording], *PLAIN_TEMPLATES[wording])},
                      key=len, reverse=True)
    for prefix in prefixes:
        if task.instruction.startswith(prefix) and prefix.endswith("the "):
            return task.instruction[len(prefix):]
    raise ValueError(f"instruction {task.instruction!r} starts with none of the {wording!r} templates' openings "
                     f"{prefixes}; add its template to geotext_ros.sim.instructions")
