"""Edge-aware upsampling of a coarse dense map with the camera image as the guide (joint bilateral upsampling).

A ViT's dense map has one score per patch; two look-alikes a few metres apart (a pair of solar arrays with a strip
of grass between them) light up neighbouring patches and merge into one candidate whose centre lies between them.
The image has the resolution the map lacks: each output pixel takes the scores of the nearby grid cells, weighted
by distance AND by how close the pixel's colour is to each cell's mean colour. A grass pixel in the gap follows the
grass cells around it (low scores), a panel pixel follows the panel cells, so the gap opens and each object gets
its own component with its own centre. The result never exceeds the map's plain bilinear upsampling: a dark tree
two cells from a dark roof would otherwise borrow the roof's score (colour alone matches it) and become a
candidate of its own; the cap lets the guide only remove score, where colour says the pixel is not the object.

    fine = guided_upsample(dense_map, rgb, out_size=64)    # [G, G] + [H, W, 3] uint8 -> [64, 64]
    guide = FrameGuide(rgb, grid=8, out_size=64)            # one frame, several phrases' maps
    target_fine, anchor_fine = guide(target_map), guide(anchor_map)
"""
from __future__ import annotations

import numpy as np
from PIL import Image


class FrameGuide:
    """One frame's bilateral weights for [grid, grid] maps, computed once and applied to every phrase's map:
    they depend only on the image, and a frame is grounded for the target and its anchors alike.

    sigma_cells: spatial falloff in grid cells; sigma_colour: colour falloff in 8-bit RGB units (Euclidean);
    radius: grid cells each side that contribute (2 -> a 5x5 neighbourhood)."""

    def __init__(self, rgb: np.ndarray, grid: int, out_size: int = 64, sigma_cells: float = 0.75,
                 sigma_colour: float = 24.0, radius: int = 2) -> None:
        image = np.asarray(rgb)
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"guide image must be [H, W, 3], got shape {image.shape}")
        if grid < 1 or out_size < grid or sigma_cells <= 0 or sigma_colour <= 0 or radius < 1:
            raise ValueError(f"need grid >= 1, out_size >= grid ({grid}), sigma_cells > 0, sigma_colour > 0, "
                             f"radius >= 1; got out_size {out_size}, {sigma_cells}, {sigma_colour}, {radius}")
        self.grid, self.out_size = int(grid), int(out_size)
        fine_rgb, cell_rgb = _resized(image, out_size), _resized(image, grid)   # [S, S, 3], [G, G, 3]
        self.pos = (np.arange(out_size) + 0.5) * grid / out_size                # pixel centres in cell units
        home = np.minimum(self.pos.astype(int), grid - 1)                       # the cell each pixel lies in
        self.terms: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []       # (rows, cols, weight [S, S])
        self.den = np.zeros((out_size, out_size), np.float32)
        for dy in range(-radius, radius + 1):
            rows, wy = self._axis(home + dy, sigma_cells)
            for dx in range(-radius, radius + 1):
                cols, wx = self._axis(home + dx, sigma_cells)
                diff = ((fine_rgb - cell_rgb[rows][:, cols]) ** 2).sum(axis=2)
                w = (wy[:, None] * wx[None, :] * np.exp(-diff / (2 * sigma_colour ** 2))).astype(np.float32)
                self.terms.append((rows, cols, w))
                self.den += w

    def _axis(self, cells: np.ndarray, sigma_cells: float) -> tuple[np.ndarray, np.ndarray]:
        """Neighbour cell indices along one axis (clipped) and their spatial weights (0 outside the grid)."""
        inside = (cells >= 0) & (cells < self.grid)
        cells = np.clip(cells, 0, self.grid - 1)
        return cells, np.exp(-((self.pos - (cells + 0.5)) ** 2) / (2 * sigma_cells ** 2)) * inside

    def __call__(self, dense: np.ndarray) -> np.ndarray:
        """[grid, grid] map -> [out_size, out_size] map in the same units."""
        grid = np.nan_to_num(np.asarray(dense, dtype=np.float32), nan=0.0)
        if grid.shape != (self.grid, self.grid):
            raise ValueError(f"dense map must be square [{self.grid}, {self.grid}] for this guide, got {grid.shape}")
        num = np.zeros_like(self.den)
        for rows, cols, w in self.terms:
            num += w * grid[rows][:, cols]
        guided = np.where(self.den > 1e-12, num / np.maximum(self.den, 1e-12), 0.0)
        return np.minimum(guided, _bilinear(grid, self.pos)).astype(np.float32)


def guided_upsample(dense: np.ndarray, rgb: np.ndarray, out_size: int = 64, sigma_cells: float = 0.75,
                    sigma_colour: float = 24.0, radius: int = 2) -> np.ndarray:
    """[G, G] map + [H, W, 3] uint8 image -> [out_size, out_size] map (FrameGuide for one map)."""
    grid = np.asarray(dense)
    if grid.ndim != 2 or grid.shape[0] != grid.shape[1] or grid.shape[0] == 0:
        raise ValueError(f"dense map must be square [G, G], got shape {grid.shape}")
    return FrameGuide(rgb, grid.shape[0], out_size, sigma_cells, sigma_colour, radius)(grid)


def _bilinear(grid: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """The [G, G] grid interpolated between cell centres at positions `pos` (cell units) on both axes."""
    g = grid.shape[0]
    x = np.clip(pos - 0.5, 0, g - 1)
    i0 = np.minimum(np.floor(x).astype(int), max(g - 2, 0))
    i1 = np.minimum(i0 + 1, g - 1)
    f = (x - i0)
    rows = grid[i0] * (1 - f)[:, None] + grid[i1] * f[:, None]              # [S, G]
    return rows[:, i0] * (1 - f)[None, :] + rows[:, i1] * f[None, :]


def _resized(rgb: np.ndarray, size: int) -> np.ndarray:
    """Area-averaged square resize as float32 [size, size, 3]."""
    img = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8)).resize((size, size), Image.BOX)
    return np.asarray(img, dtype=np.float32)
