"""The ground station end to end in a real browser: headless Chromium (Debian's chromium + chromium-driver,
driven by selenium) on the page that `geotext-nav --sim --ui` serves, over the real graph (navigator with the
committed engine, sim_world, ground_station) on real rclpy + DDS.

The page loads, the camera image updates, an instruction typed into the text box moves the simulated drone, and
the STOP button holds it. GEOTEXT_SCREENSHOTS=docs/img writes the README's screenshots (otherwise a temp dir).
"""
import math
import os
import shutil
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "engines" / "default"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None or CHROMEDRIVER is None,
                       reason="headless browser missing: install Debian's chromium and chromium-driver "
                              "(`make browser` does as root with apt)"),
    pytest.mark.skipif(not (ENGINE / "manifest.json").is_file(),
                       reason="engines/default/manifest.json is absent: the closed loop needs the default model"),
]


def _wait(pred, timeout: float, what: str, step: float = 0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = pred()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture()
def browser():
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1180,1250", "--force-device-scale-factor=1"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


@pytest.fixture()
def graph(tmp_path):
    rclpy = pytest.importorskip("rclpy")
    from geotext_ros.demo import demo_camera, prepare_gallery, sim_params
    from geotext_ros.nodes.graph import Graph
    from geotext_ros.nodes.params import default_config_path

    doc = yaml.safe_load(default_config_path().read_text())
    doc["ground_station"]["ros__parameters"]["port"] = 0   # any free port: runs never collide
    config = tmp_path / "nav.yaml"
    config.write_text(yaml.safe_dump(doc))
    params = sim_params()
    gallery = prepare_gallery(demo_camera(params), tmp_path, float(params["fov_deg"]))   # places for the map
    rclpy.init()
    g = Graph(sim=True, ui=True, launch_args={"config": str(config), "engine_dir": str(ENGINE),
                                               "gallery": str(gallery)}).start()
    yield g
    g.shutdown()
    rclpy.try_shutdown()


def _shots_dir(tmp_path: Path) -> Path:
    out = Path(os.environ.get("GEOTEXT_SCREENSHOTS", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    return out


def test_page_flies_and_stops_the_simulated_drone(graph, browser, tmp_path) -> None:
    from selenium.webdriver.common.by import By

    nav, sim, station = graph.nodes["navigator"], graph.nodes["sim_world"], graph.nodes["ground_station"]
    assert station.config.host == "127.0.0.1"
    browser.get(station.url)
    find = lambda css: browser.find_element(By.CSS_SELECTOR, css)   # noqa: E731
    _wait(lambda: find("#link").text == "online", 15, "the websocket to connect")
    _wait(lambda: find("#state").text == "IDLE", 60, "the navigator to be IDLE on the page")

    # the camera image updates: two different frame numbers, each one decoded by the browser
    def decoded_seq() -> int:
        return browser.execute_script(
            "const i = document.getElementById('camera'); return i.complete && i.naturalWidth > 0 ? "
            "Number(i.dataset.seq) : 0;")
    first = _wait(decoded_seq, 15, "a camera frame on the page")
    _wait(lambda: decoded_seq() > first, 15, "the camera frame to update")
    assert browser.execute_script("return document.getElementById('camera').naturalWidth") == sim.camera.width

    # typing an instruction moves the drone
    start = (sim.state.x, sim.state.y)
    find("#instruction").send_keys("fly to the red building next to the parking lot")
    find("#send").click()
    _wait(lambda: find("#feedback").text.startswith("sent:"), 10, "the page to confirm the instruction")
    _wait(lambda: nav.status.get("instruction") == "fly to the red building next to the parking lot", 10,
          "the navigator to receive the typed instruction")
    _wait(lambda: math.dist(start, (sim.state.x, sim.state.y)) > 5.0, 40, "the drone to move 5 m")
    _wait(lambda: len(browser.find_elements(By.CSS_SELECTOR, "#timeline li")) >= 2, 10, "the state timeline")
    pose = _wait(lambda: browser.find_element(By.TAG_NAME, "body").get_attribute("data-pose"), 5, "the pose")
    assert math.dist(start, tuple(float(v) for v in pose.split(",")[:2])) > 3.0, pose   # the page saw it move
    shots = _shots_dir(tmp_path)
    time.sleep(2.0)   # a little trajectory on the map
    browser.save_screenshot(str(shots / "ground_station.png"))

    # STOP holds it where the command arrived and the page says so
    at_click = (sim.state.x, sim.state.y, sim.state.z)
    find("#btn-stop").click()
    _wait(lambda: find("#state").text == "HOLD", 10, "HOLD on the page after STOP")
    assert nav.status["state"] == "HOLD"
    hold = nav.status["waypoint"][:3]
    assert math.dist(hold, at_click) < 16.0, (hold, at_click)   # within 2 s of flight at max_speed (8 m/s)
    # the vehicle brakes, overshoots (max_accel 3 m/s^2 from up to 8 m/s) and settles on the hold point
    _wait(lambda: math.hypot(sim.state.vx, sim.state.vy, sim.state.vz) < 0.2
          and math.dist(hold, (sim.state.x, sim.state.y, sim.state.z)) < 1.0, 25, "the drone to settle on the hold")
    held = (sim.state.x, sim.state.y, sim.state.z)
    time.sleep(2.0)
    drift = math.dist(held, (sim.state.x, sim.state.y, sim.state.z))
    assert drift < 0.3, f"the drone drifted {drift:.2f} m in 2 s while holding"
    assert nav.status["state"] == "HOLD" and find("#state").text == "HOLD"
    browser.save_screenshot(str(shots / "ground_station_hold.png"))
