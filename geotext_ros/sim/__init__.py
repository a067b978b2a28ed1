"""geotext_ros.sim: procedural top-down aerial world, nadir camera renderer and captions from geometry.

    world = generate_world(seed=0, n_campuses=2, places_per_campus=8)
    frame = Renderer(world).render(CameraPose(x, y, altitude=60, yaw=0.0), intrinsics_for(384, 384, 60.0))
    records = annotate(frame.objects, np.random.default_rng(0), wording="train")
"""
from geotext_ros.geometry import Intrinsics, intrinsics_for
from geotext_ros.sim.camera import CameraPose, pixel_to_world, world_to_pixel
from geotext_ros.sim.captions import Annotation, annotate, global_captions, object_phrase, region_annotation
from geotext_ros.sim.render import Frame, Renderer, VisibleObject
from geotext_ros.sim.layouts import generate_world
from geotext_ros.sim.world import Place, World, WorldObject, footprint

__all__ = [
    "Annotation", "CameraPose", "Frame", "Intrinsics", "Place", "Renderer", "VisibleObject", "World", "WorldObject",
    "annotate", "footprint", "generate_world", "global_captions", "intrinsics_for", "object_phrase",
    "pixel_to_world", "region_annotation", "world_to_pixel",
]
