"""bench/roof_colours.py: the cells a box covers and the inside / outside peaks it reports."""
import importlib.util
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _module():
    spec = importlib.util.spec_from_file_location("bench_roof_colours", ROOT / "bench" / "roof_colours.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cells_inside_a_box_are_row_major():
    inside = _module().cells_inside((0.625, 0.125, 0.25, 0.25), 4)   # column 2, row 0 of a 4 x 4 grid
    assert inside.sum() == 1 and inside[0, 2]


def test_peaks_compare_a_building_with_cells_outside_every_building_of_its_colour():
    rc = _module()
    green, green2, red = (0.125, 0.125, 0.25, 0.25), (0.875, 0.875, 0.25, 0.25), (0.625, 0.125, 0.25, 0.25)
    maps = np.zeros((3, 4, 4), np.float32)
    maps[0, 0, 0], maps[0, 3, 3], maps[0, 2, 1] = 0.1, 0.9, 0.3   # "green": the other green roof is not "outside"
    maps[1] = maps[0]
    maps[2, 0, 2], maps[2, 0, 0] = 0.8, 0.6                       # "red": the green roof's cell is outside
    rows = rc.peaks(maps, [("green", green), ("green", green2), ("red", red)])
    assert rows == [("green", np.float32(0.1), np.float32(0.3)), ("green", np.float32(0.9), np.float32(0.3)),
                    ("red", np.float32(0.8), np.float32(0.6))]
    assert rc.peaks(maps[:1], [("green", (0.5, 0.5, 0.01, 0.01))]) == []   # covers no cell centre: skipped
