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
"""
from __future__ import annotations

import numpy as np
from PIL import Image


def guided_upsample(dense: np.ndarray, rgb: np.ndarray, out_size: int = 64, sigma_cells: float = 0.75,
                    sigma_colour: float = 24.0, radius: int = 2) -> np.ndarray:
    """[G, G] map + [H, W, 3] uint8 image -> [out_size, out_size] map in the same units.

    sigma_cells: spatial falloff in grid cells; sigma_colour: colour falloff in 8-bit RGB units (Euclidean);
    radius: grid cells each side that contribute (2 -> a 5x5 neighbourhood)."""
    grid = np.nan_to_num(np.asarray(dense, dtype=np.float32), nan=0.0)
    image = np.asarray(rgb)
    if grid.ndim != 2 or grid.shape[0] != grid.shape[1] or grid.shape[0] == 0:
        raise ValueError(f"dense map must be square [G, G], got shape {grid.shape}")
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"guide image must be [H, W, 3], got shape {image.shape}")
    if out_size < grid.shape[0] or sigma_cells <= 0 or sigma_colour <= 0 or radius < 1:
        raise ValueError(f"need out_size >= G ({grid.shape[0]}), sigma_cells > 0, sigma_colour > 0, radius >= 1; "
                         f"got {out_size}, {sigma_cells}, {sigma_colour}, {radius}")
    g = grid.shape[0]
    fine_rgb = _resized(image, out_size)                                      # [S, S, 3]
    cell_rgb = _resized(image, g)                                             # [G, G, 3]
    pos = (np.arange(out_size) + 0.5) * g / out_size                          # pixel centres in cell units
    home = np.minimum(pos.astype(int), g - 1)                                 # the cell each pixel lies in
    num = np.zeros((out_size, out_size), np.float32)
    den = np.zeros((out_size, out_size), np.float32)
    for dy in range(-radius, radius + 1):
        rows = home + dy
        row_ok = (rows >= 0) & (rows < g)
        rows_c = np.clip(rows, 0, g - 1)
        wy = np.exp(-((pos - (rows_c + 0.5)) ** 2) / (2 * sigma_cells ** 2)) * row_ok
        for dx in range(-radius, radius + 1):
            cols = home + dx
            col_ok = (cols >= 0) & (cols < g)
            cols_c = np.clip(cols, 0, g - 1)
            wx = np.exp(-((pos - (cols_c + 0.5)) ** 2) / (2 * sigma_cells ** 2)) * col_ok
            colour = cell_rgb[rows_c][:, cols_c]                              # [S, S, 3] neighbour cell colours
            diff = ((fine_rgb - colour) ** 2).sum(axis=2)
            w = wy[:, None] * wx[None, :] * np.exp(-diff / (2 * sigma_colour ** 2))
            num += w * grid[rows_c][:, cols_c]
            den += w
    guided = np.where(den > 1e-12, num / np.maximum(den, 1e-12), 0.0)
    return np.minimum(guided, _bilinear(grid, pos)).astype(np.float32)


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
