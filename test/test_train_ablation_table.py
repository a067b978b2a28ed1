"""The ablation table reads the figures geotext-eval writes (the same JSON paths), and shows gaps as dashes."""
import json
from pathlib import Path

from training.ablation import COLUMNS, lookup, table

EVAL_JSON = {"retrieval": {"final": {"t2i": {"r1": 52.4, "r5": 87.1, "r10": 93.3},
                                     "i2t": {"r1": 56.2, "r5": 85.8, "r10": 91.5}}},
             "grounding": {"acc_iou50": 21.8}, "spatial": {"acc_both": 93.7},
             "mirror": {"relation_blind_acc": 58.5, "spatial_aware_acc": 56.2}}


def test_every_column_is_found_in_an_eval_result():
    missing = [name for name, path in COLUMNS if lookup(EVAL_JSON, path) is None]
    assert not missing, f"columns not found in geotext-eval's JSON: {missing}"


def test_table_rows_and_missing_values():
    md = table({"baseline": EVAL_JSON, "hccm": {"retrieval": {}}})
    lines = md.splitlines()
    assert lines[2].startswith("| baseline | 52.4 | 87.1 | 93.3 | 56.2 |")
    assert lines[3].count("–") == len(COLUMNS)


def test_eval_writes_the_keys_the_table_reads():
    """Guard against drift: the evaluator's own output format (as written by training.evaluate) has these keys."""
    src = Path(__file__).resolve().parents[1] / "training" / "evaluate.py"
    text = src.read_text() + (Path(src).parent / "eval_probes.py").read_text()
    for key in ("acc_iou50", "acc_both", "relation_blind_acc", "spatial_aware_acc", '"final"'):
        assert key in text, f"{key} no longer written by geotext-eval"
    json.dumps(EVAL_JSON)
