"""A tiny GeoText-1652-format dataset for the train/eval tests (coloured boxes on a grey field; captions name
the colours and the 3x3 relation of the two boxes). It is a fixture, not the procedural world generator."""
import json
from pathlib import Path

import numpy as np
from PIL import Image

from geotext_ros.relations import relation_words

COLOURS = {"red": (220, 30, 30), "blue": (30, 60, 220), "green": (30, 180, 60), "yellow": (230, 210, 40)}


def _draw(boxes_colours, size=64):
    img = np.full((size, size, 3), 128, dtype=np.uint8)
    for (cx, cy, w, h), colour in boxes_colours:
        x0, x1 = int((cx - w / 2) * size), int((cx + w / 2) * size)
        y0, y1 = int((cy - h / 2) * size), int((cy + h / 2) * size)
        img[y0:y1, x0:x1] = COLOURS[colour]
    return img


def _place_records(pid, split, images_dir, colours, layouts, mirror_of=None):
    records = []
    for v, (a, b) in enumerate(layouts):
        image = f"{split}/{pid}/image-{v + 1:02d}.jpeg"
        path = images_dir / image
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(_draw([(a, colours[0]), (b, colours[1])])).save(path, quality=95)
        h, vert = relation_words(a, b)
        caps = [f"a {colours[0]} roof {h} of a {colours[1]} pool",
                f"the {colours[0]} building is {vert} {h} of the {colours[1]} area",
                f"{colours[0]} and {colours[1]} blocks on grey ground"]
        sentences = [f"the {colours[0]} building", f"the {colours[1]} pool", None]
        objects = [{"kind": "building", "phrase": f"{colours[0]} building", "bbox": a},
                   {"kind": "pool", "phrase": f"{colours[1]} pool", "bbox": b}]
        base = {"image_id": f"{pid}/image-{v + 1:02d}.jpeg", "image": image, "sentences": sentences,
                "bboxes": [a, b, None], "objects": objects}
        if mirror_of:
            base["mirror_of"] = mirror_of
        if split == "train":
            records += [dict(base, caption=c) for c in caps]
        else:
            records.append(dict(base, caption=caps))
    return records


def write_tiny_dataset(root: Path, n_train: int = 4, n_test: int = 4, views: int = 2) -> Path:
    """train.json (one record per caption) + test_951_version.json (one per image, 3 captions) + images/."""
    root = Path(root)
    images = root / "images"
    names = list(COLOURS)
    rng = np.random.default_rng(0)

    def layouts():
        out = []
        for _ in range(views):
            a = [float(rng.uniform(0.2, 0.4)), float(rng.uniform(0.2, 0.8)), 0.25, 0.25]
            b = [float(rng.uniform(0.6, 0.8)), float(rng.uniform(0.2, 0.8)), 0.2, 0.2]
            out.append((a, b))
        return out

    train = []
    for p in range(n_train):
        train += _place_records(f"{p + 1:04d}", "train", images, (names[p % 4], names[(p + 1) % 4]), layouts())
    test, cols = [], None
    for p in range(n_test):
        pid = f"{p + 101:04d}"
        lay = layouts()
        mirror = None
        if p % 2 == 1:  # mirror twin of the previous place: same colours, left and right swapped
            lay = [([1 - r["bboxes"][0][0]] + r["bboxes"][0][1:], [1 - r["bboxes"][1][0]] + r["bboxes"][1][1:])
                   for r in test[-views:]]
            mirror = f"{p + 100:04d}"
        else:
            cols = (names[p % 4], names[(p + 2) % 4])
        test += _place_records(pid, "test", images, cols, lay, mirror)
    (root / "train.json").write_text(json.dumps(train))
    (root / "test_951_version.json").write_text(json.dumps(test))
    return root


def test_tiny_dataset_has_the_geotext_layout(tmp_path):
    root = write_tiny_dataset(tmp_path)
    train = json.loads((root / "train.json").read_text())
    test = json.loads((root / "test_951_version.json").read_text())
    assert len(train) == 4 * 2 * 3 and len(test) == 4 * 2
    assert all((root / "images" / r["image"]).exists() for r in train + test)
    assert isinstance(test[0]["caption"], list) and len(test[0]["caption"]) == 3
    assert test[2]["mirror_of"] == "0101" and "left" in " ".join(test[0]["caption"] + test[2]["caption"])
