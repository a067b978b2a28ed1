"""Every default has one home: the config dataclasses. config/nav.yaml must hold exactly their values (a change
to either without the other fails here), and from_params refuses names it does not know."""
import dataclasses

import pytest

from geotext_ros.nav.clarify import ClarifyConfig
from geotext_ros.nav.gallery import SearchConfig
from geotext_ros.nav.landing import LandingConfig
from geotext_ros.nav.grounding import GroundingConfig
from geotext_ros.nav.mission import MissionConfig
from geotext_ros.nav.pipeline import configs
from geotext_ros.nav.safety import SafetyConfig
from geotext_ros.param_file import load_node_params
from geotext_ros.sim.vehicle import VehicleLimits


def _section(params, prefix):
    return {k[len(prefix):]: v for k, v in params.items() if k.startswith(prefix)}


def _fields(config, skip=()):
    return {f.name: getattr(config, f.name) for f in dataclasses.fields(config) if f.name not in skip}


def test_navigator_sections_of_nav_yaml_are_the_dataclass_defaults():
    nav = load_node_params("navigator")
    assert _section(nav, "grounding.") == _fields(GroundingConfig())
    assert _section(nav, "mission.") == _fields(MissionConfig(), skip=("home",))
    assert {f"safety.{k}": v for k, v in _section(nav, "safety.").items()} == SafetyConfig().to_params()
    assert _section(nav, "search_") == _fields(SearchConfig())
    assert configs(nav) == (GroundingConfig(), MissionConfig(), SafetyConfig(), SearchConfig())
    assert _section(nav, "clarify.") == _fields(ClarifyConfig()) and ClarifyConfig.from_params(nav) == ClarifyConfig()
    assert _section(nav, "landing.") == _fields(LandingConfig()) and LandingConfig.from_params(nav) == LandingConfig()


def test_bridge_safety_differs_from_the_defaults_only_where_it_sees_no_camera():
    bridge = load_node_params("px4_bridge")
    assert {k: v for k, v in bridge.items() if k.startswith("safety.")} == \
        SafetyConfig(camera_timeout_s=0.0).to_params()


def test_sim_world_vehicle_limits_are_the_dataclass_defaults():
    sim = load_node_params("sim_world")
    assert {f.name: sim[f.name] for f in dataclasses.fields(VehicleLimits)} == _fields(VehicleLimits())
    assert VehicleLimits.from_params(sim) == VehicleLimits()


@pytest.mark.parametrize("cls, key", [(GroundingConfig, "grounding.min_scor"), (MissionConfig, "mission.home"),
                                      (SafetyConfig, "safety.max_stepm"), (SearchConfig, "search_topk")])
def test_unknown_names_are_refused_with_the_known_ones(cls, key):
    with pytest.raises(ValueError, match=rf"unknown parameter '{key}'.*known"):
        cls.from_params({key: 1.0})


def test_values_are_converted_and_checked():
    assert GroundingConfig.from_params({"grounding.guided_size": 32.0}).guided_size == 32
    assert MissionConfig.from_params({"mission.approach_altitude": 0.0}).approach_altitude is None
    with pytest.raises(ValueError, match="grounding.refine"):
        GroundingConfig.from_params({"grounding.refine": "yes"})
    with pytest.raises(ValueError, match="mission.track_window"):
        MissionConfig.from_params({"mission.track_window": 2.5})
    with pytest.raises(ValueError, match="min_score"):
        GroundingConfig.from_params({"grounding.min_score": 1.5})
