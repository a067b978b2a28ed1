"""A published X-VLM / GeoText-1652 checkpoint (their own file layout) as a geotext checkpoint that rebuilds the
model on its own, so that geotext-export, geotext-eval and the navigator take it like a trained one.

    geotext-export --ckpt geotext_finetuned.pth --config xvlm-base --out engines/geotext

The weights are mapped by geotext_ros/model/xvlm.py (relative-position tables resized as the reference does,
GeoText's spatial head folded into relation_mlp); every key that cannot be mapped is logged with its reason.
Model keys the published file does not hold stay at their initialisation only if they belong to a head the
reference lacks (the dense head; the relation head for a plain X-VLM file); anything else is an error.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from geotext_ros.model.factory import create_model, save_checkpoint
from geotext_ros.model.xvlm import load_xvlm_checkpoint

log = logging.getLogger(__name__)
# heads the project adds to X-VLM (geotext_model.py); a published file may lack them
PROJECT_HEADS = ("dense_proj.", "dense_logit_scale", "dense_bias", "relation_mlp.")


def import_published(path: Path, config: str, out: Path, allow_pickle: bool = False) -> tuple[Path, dict[str, Any]]:
    """Map the published checkpoint at `path` onto the model of `config`; write a save_checkpoint file to `out`.
    Returns (out, mapping report)."""
    model, transform, tok = create_model(config, load_pretrained=False)
    report = load_xvlm_checkpoint(model, path, allow_pickle=allow_pickle, strict_shapes=True)
    core = [k for k in report["missing"] if not k.startswith(PROJECT_HEADS)]
    if core:
        raise ValueError(f"{path} does not hold the {config!r} model: {len(core)} of its tensors are missing, e.g. "
                         f"{core[:5]}; pass the model config the checkpoint was trained with")
    left = sorted({k.split(".")[0] for k in report["missing"]})
    if left:
        log.warning("%s has no weights for the project's %s: kept at initialisation (train them on frozen "
                    "features, e.g. geotext-dense-head, before relying on them)", path.name, ", ".join(left))
    summary = {k: len(v) for k, v in report.items()}
    extra = {"published": {"file": path.name, "report": summary, "unmapped": report["unmapped"],
                           "untrained": left}}
    save_checkpoint(out, model.eval(), tok, transform, train_config={"published": path.name}, extra=extra)
    return out, report
