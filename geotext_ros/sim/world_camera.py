"""The simulated world seen through the drone's camera: world generation and rendering at a vehicle pose.

ROS-free: sim_world publishes its frames, and the closed-loop episodes (geotext_ros.sim.episodes), the demo and
the benchmarks render the same frames without DDS.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from geotext_ros.geometry import intrinsics_for
from geotext_ros.sim.appearance import sample_look
from geotext_ros.sim.camera import CameraPose
from geotext_ros.sim.render import Renderer
from geotext_ros.sim.vehicle import VehicleState
from geotext_ros.sim.layouts import generate_world


class WorldCamera:
    """The one place the simulation's users talk to geotext_ros.sim: a world, its renderer and the intrinsics."""

    def __init__(self, seed: int, n_campuses: int, places_per_campus: int, width: int, height: int,
                 fov_deg: float, style_seed: int = 0, appearance: Optional[str] = None) -> None:
        """`appearance`: an appearance family (geotext_ros.sim.appearance, e.g. the held-out "overcast") for
        closed-loop runs in another look; its look is drawn once from the style seed. None or "classic" = the
        classic look (sim.palette.Style of the style seed)."""
        self.world = generate_world(seed, n_campuses, places_per_campus)
        self.width, self.height = width, height
        self.intrinsics = intrinsics_for(width, height, fov_deg)
        self.k = self.intrinsics.as_k()
        self.renderer = Renderer(self.world)
        self.style_seed = int(style_seed)   # one look (light, season, shadows, noise) for every frame
        self.look = None if appearance is None else sample_look([appearance], self.style_seed)

    @classmethod
    def from_params(cls, sim: Mapping[str, Any], seed: Optional[int] = None, n_campuses: Optional[int] = None,
                    places_per_campus: Optional[int] = None, appearance: Optional[str] = None) -> "WorldCamera":
        """The camera of sim_world's parameters (config/nav.yaml); seed / world size / appearance override them
        (episodes). A `style_seed` of "episode" gives each world its own look (its world seed), drawn from the
        `appearance` family."""
        seed = int(sim["world_seed"] if seed is None else seed)
        style = sim["style_seed"]
        appearance = sim["appearance"] if appearance is None else appearance
        return cls(seed, int(sim["n_campuses"] if n_campuses is None else n_campuses),
                   int(sim["places_per_campus"] if places_per_campus is None else places_per_campus),
                   int(sim["image_width"]), int(sim["image_height"]), float(sim["fov_deg"]),
                   seed if style == "episode" else int(style), appearance)

    def render(self, state: VehicleState) -> Any:
        """The camera frame (geotext_ros.sim.render.Frame: .image RGB uint8, .objects) at the vehicle pose."""
        pose = CameraPose(x=state.x, y=state.y, altitude=max(state.z, 0.5), yaw=state.yaw)
        return self.renderer.render(pose, self.intrinsics, style_seed=self.style_seed, look=self.look)


def style_seed(text: str) -> int | str:
    """A `style_seed` given on a command line: an integer, or "episode" for each world's own look."""
    if text == "episode":
        return text
    try:
        return int(text)
    except ValueError as e:
        raise ValueError(f"style seed {text!r}: use an integer or 'episode'") from e
