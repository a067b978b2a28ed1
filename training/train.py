"""geotext-train: train a GeoText/HCCM model on a GeoText-1652-format folder (real or synthetic).

    geotext-train --data out/data --preset geotext --model-config tiny --out out/runs/geotext --steps 2000
    geotext-train --data out/data --out out/runs/geotext --resume out/runs/geotext/last.pt --steps 4000
    torchrun --nproc-per-node 2 -m training.train --data ... (DDP: gloo on CPU, nccl on CUDA)

Writes RUN_DIR/metrics.jsonl (one line per log step: every named loss term, lr, step time), checkpoints
(`save_checkpoint`: the checkpoint alone rebuilds the model), RUN_DIR/loss_curve.png and train_config.json.
"""
from __future__ import annotations

import argparse
import json
import sys
import logging
import os
import time
from pathlib import Path
from typing import Any, Optional, Sequence

import torch
import torch.distributed as dist

from geotext_ros.model.config import load_config
from geotext_ros.model.factory import create_model, load_checkpoint, save_checkpoint, with_image_size
from geotext_ros.model.tokenizer import WordPieceTokenizer
from geotext_ros.model.xvlm import load_xvlm_checkpoint
from training.collate import collate, to_device
from training.data.train_corruptions import TrainCorruptions
from training.losses.config import LossConfig, with_legacy_spatial_rule
from training.losses.objective import Objective
from training.photometric import AUGMENTS
from training.plots import plot_loss_curve
from training.presets import TRAIN_DEFAULTS, load_preset, text_limits
from training.text_cache import TextCache, cache_applies
from training.train_data import TrainSamples, caption_corpus, micro_batch, read_train_records
from training.train_state import capture_rng, lr_at, restore_rng, seed_everything

log = logging.getLogger("geotext-train")


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="geotext-train", description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, help="GeoText-1652 folder (train.json + images/)")
    p.add_argument("--preset", default="default", help="preset name (training/presets) or JSON path")
    p.add_argument("--model-config", help="model config name or JSON path (default: the preset's "
                                           "train.model_config)")
    p.add_argument("--out", required=True, help="run directory")
    p.add_argument("--steps", type=int, help="optimizer steps (overrides the preset)")
    p.add_argument("--epochs", type=float, help="epochs instead of steps")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--grad-accum", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--log-every", type=int)
    p.add_argument("--save-every", type=int, help="also keep a checkpoint every N steps (0 = only at the end)")
    p.add_argument("--resume", help="checkpoint to continue from (model, optimizer, queues, RNG, data order)")
    p.add_argument("--no-cache-images", action="store_true", help="decode images per step instead of once")
    p.add_argument("--limit", type=int, help="use only the first N train records (smoke runs)")
    p.add_argument("--no-plot", action="store_true")
    p.add_argument("--init", help="geotext checkpoint whose model, tokenizer and preprocessing this run starts "
                                  "from (fine-tuning: new preset, optimizer and schedule; --model-config is ignored)")
    p.add_argument("--init-xvlm", help="published X-VLM checkpoint (local .th/.pth) to start from "
                                       "(xvlm-base config; missing/unexpected keys are logged)")
    p.add_argument("--image-size", type=int, help="with --init: fine-tune at this input size (ViT configs; the "
                                                  "position table is resampled, e.g. 128 -> 192 px)")
    args = p.parse_args(argv)
    starts = [flag for flag, value in (("--resume", args.resume), ("--init", args.init),
                                       ("--init-xvlm", args.init_xvlm)) if value]
    if len(starts) > 1:
        p.error(f"{', '.join(starts)}: each says where the model starts; give only one")
    if args.image_size is not None and not args.init:
        p.error("--image-size changes a trained model's input size: give it with --init CHECKPOINT (a new model "
                "takes its size from --model-config)")
    return args


def merged_train_config(preset: dict, args: argparse.Namespace) -> dict[str, Any]:
    cfg = dict(preset["train"])
    for key in ("steps", "epochs", "batch_size", "lr", "grad_accum", "seed", "log_every", "save_every"):
        value = getattr(args, key)
        if value is not None:
            cfg[key] = value
    if args.no_cache_images:
        cfg["cache_images"] = False
    return cfg


def init_distributed() -> tuple[int, int, torch.device]:
    """(rank, world, device). WORLD_SIZE>1 (torchrun) starts a process group; otherwise nothing changes."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    cuda = torch.cuda.is_available()
    if world > 1:
        dist.init_process_group("nccl" if cuda else "gloo")
        rank, local = dist.get_rank(), int(os.environ.get("LOCAL_RANK", "0"))
        if cuda:
            torch.cuda.set_device(local)
        return rank, world, torch.device("cuda", local) if cuda else torch.device("cpu")
    return 0, 1, torch.device("cuda" if cuda else "cpu")


def build_model(model_config: str, records: list, max_tokens: int = 0) -> tuple[Any, Any, Any]:
    """A config with its own vocabulary (pretrained text encoder, bundled vocab file, fixed vocab size) keeps it;
    a from-scratch config gets a WordPiece vocabulary built from the train captions. max_tokens > 0 (a preset's
    token limit) sets the config's max_text_len, up to the text.max_position the encoder has."""
    config = load_config(model_config)
    t = config.text
    if max_tokens:
        if max_tokens > t.max_position:
            log.warning("the preset's %d-token limit exceeds model config %r's text.max_position %d: using %d "
                        "tokens (pick a config with more positions, e.g. xvlm-base, for the method's limit)",
                        max_tokens, config.name, t.max_position, t.max_position)
        config.max_text_len = min(max_tokens, t.max_position)
    if t.pretrained_path or t.vocab_file or t.vocab_size > 0:
        return create_model(config)
    return create_model(config, tokenizer=WordPieceTokenizer.build_vocab(caption_corpus(records)))


# Heads the published X-VLM checkpoint has no weights for (GeoText's spatial head, the dense head): with
# train.head_lr_mult they learn at a multiple of the base lr, as X-VLM's optimizer treats newly initialized params.
NEW_HEADS = ("relation_mlp.", "dense_proj.", "dense_logit_scale", "dense_bias")


def param_groups(model: torch.nn.Module, weight_decay: float, head_lr_mult: float) -> list[dict]:
    """No weight decay for biases, norms and scalars (temperature), as BERT/X-VLM fine-tuning does; each group
    carries `lr_scale` (head_lr_mult for NEW_HEADS, 1 otherwise; with 1 there are just the two groups)."""
    groups: dict[tuple[bool, bool], list] = {}
    for name, p in model.named_parameters():
        if p.requires_grad:
            no_decay = p.ndim < 2 or "norm" in name.lower()
            head = head_lr_mult != 1.0 and name.startswith(NEW_HEADS)
            groups.setdefault((head, no_decay), []).append(p)
    return [{"params": params, "weight_decay": 0.0 if no_decay else weight_decay,
             "lr_scale": head_lr_mult if head else 1.0}
            for (head, no_decay), params in sorted(groups.items())]


class Trainer:
    """Holds model, objective, optimizer and position; `run()` trains to the configured step count."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rank, self.world, self.device = init_distributed()
        self.out = Path(args.out)
        self.out.mkdir(parents=True, exist_ok=True)
        resume = load_checkpoint(args.resume) if args.resume else None
        if resume is not None:
            saved = resume.meta["train_config"]
            # the run continues with its own preset (--preset is ignored), its spatial label rule made explicit
            self.preset = with_legacy_spatial_rule(saved["preset"])
            log.info("resuming %s at step %s with preset %r", args.resume, resume.meta["step"],
                     self.preset.get("name"))
            # settings added since the checkpoint was written (train.text_cache, ...) take their defaults, which
            # are the old behaviour
            self.cfg = merged_train_config({"train": {**TRAIN_DEFAULTS, **saved["train"]}}, args)
        else:
            self.preset = load_preset(args.preset)
            self.cfg = merged_train_config(self.preset, args)
        seed_everything(int(self.cfg["seed"]) + self.rank)
        limits = text_limits(self.preset)
        records = read_train_records(args.data, max_words=limits["max_words_train"])
        if args.limit:
            records = records[: args.limit]
        if resume is not None:
            self.model, self.transform, self.tokenizer = resume.model, resume.transform, resume.tokenizer
        elif args.init:
            start = load_checkpoint(args.init)
            if args.image_size:
                start = with_image_size(start, args.image_size)
                log.info("input size %d px: patch grid %d x %d", args.image_size, start.config.vision.grid,
                         start.config.vision.grid)
            log.info("fine-tuning %s (trained %s steps) with preset %r", args.init, start.meta.get("step"),
                     self.preset.get("name"))
            self.model, self.transform, self.tokenizer = start.model, start.transform, start.tokenizer
        else:
            if self.cfg["init_xvlm"] and not args.init_xvlm:
                raise ValueError(f"preset {self.preset['name']!r} starts from the published X-VLM 16M checkpoint: "
                                 "give its local path with --init-xvlm PATH (16m_base_model_state_step_199999.th)")
            self.model, self.transform, self.tokenizer = build_model(args.model_config or self.cfg["model_config"],
                                                                     records, limits["max_tokens"])
            if args.init_xvlm:
                report = load_xvlm_checkpoint(self.model, args.init_xvlm)
                log.info("X-VLM weights from %s: %s", args.init_xvlm,
                         {k: len(v) if isinstance(v, (list, tuple, set, dict)) else v for k, v in report.items()})
        # the tokenizer (saved with the model, used by geotext-eval and onboard) keeps the method's test limits
        if resume is None:
            self.tokenizer = self.tokenizer.with_limits(
                limits["max_words_test"], min(limits["max_tokens"] or self.model.config.max_text_len,
                                              self.model.config.max_text_len))
        self.model.to(self.device).train()
        self.data = TrainSamples(records, self.transform, bool(self.cfg["cache_images"]),
                                 TrainCorruptions(float(self.cfg["corrupt"]), max_severity=int(
                                     self.cfg["corrupt_max_severity"])), int(self.cfg["seed"]),
                                 AUGMENTS[self.cfg["augment"]])
        self.loss_cfg = LossConfig.from_dict(self.preset)
        self._cap_queue()
        self.objective = Objective(self.model, self.loss_cfg).to(self.device)
        # after the Objective: a momentum copy of the model must not share the cache. The setting is the preset's
        # and presets are model-independent: a model whose text tower trains runs without the cache
        self.text_cache = None
        if self.cfg["text_cache"]:
            if cache_applies(self.model.config):
                self.text_cache = TextCache(self.model, int(self.cfg["text_cache"]))
            else:
                log.info("train.text_cache %s unused: the text tower of %r trains (text.freeze_layers %d of %d)",
                         self.cfg["text_cache"], self.model.config.name, self.model.config.text.freeze_layers,
                         self.model.config.text.layers)
        groups = param_groups(self.model, float(self.cfg["weight_decay"]), float(self.cfg["head_lr_mult"]))
        self.optimizer = torch.optim.AdamW(groups, lr=float(self.cfg["lr"]), foreach=True,
                                           betas=tuple(float(b) for b in self.cfg["betas"]))
        self.total_steps = self._total_steps()
        self.step, self.micro = 0, 0
        if resume is not None:
            self._restore(resume)
        elif self.world > 1:
            for p in list(self.model.parameters()) + list(self.objective.buffers()):
                dist.broadcast(p.data, 0)
        self.amp = self.device.type == "cuda"  # autocast only where CUDA is present

    def _cap_queue(self) -> None:
        """A queue longer than half the train set holds only stale copies of the same images (their ids make
        them positives and flatten the targets); cap it. Deterministic in the data, so resume agrees."""
        mom = self.loss_cfg.momentum
        cap = max(len(self.data) // 2, int(self.cfg["batch_size"]))
        if mom.enabled and mom.queue_size > cap:
            log.info("momentum queue %d -> %d (half of %d train captions)", mom.queue_size, cap, len(self.data))
            mom.queue_size = cap

    def _total_steps(self) -> int:
        if self.cfg.get("epochs"):
            per_epoch = max(len(self.data) // (self.world * int(self.cfg["batch_size"])), 1)
            return max(int(float(self.cfg["epochs"]) * per_epoch / int(self.cfg["grad_accum"])), 1)
        return int(self.cfg["steps"])

    def _restore(self, resume: Any) -> None:
        extra = resume.meta["extra"]
        self.objective.load_state_dict(extra["objective"])
        self.optimizer.load_state_dict(resume.meta["optimizer"])
        self.step, self.micro = int(resume.meta["step"]), int(extra["micro"])
        restore_rng(extra["rng"][min(self.rank, len(extra["rng"]) - 1)])

    def next_batch(self) -> dict[str, torch.Tensor]:
        idx, _ = micro_batch(len(self.data), int(self.cfg["batch_size"]), self.micro, int(self.cfg["seed"]),
                             self.rank, self.world)
        self.micro += 1
        batch = collate([self.data[i] for i in idx], self.tokenizer, need_dense=self.loss_cfg.on("dense"),
                        dense_paraphrase=float(self.cfg.get("dense_paraphrase", 0.0)),
                        dense_negatives=float(self.cfg.get("dense_hard_negatives", 0.0)))
        return to_device(batch, self.device)

    def train_step(self) -> dict[str, float]:
        accum = int(self.cfg["grad_accum"])
        lr = lr_at(self.step, self.total_steps, float(self.cfg["lr"]), float(self.cfg["warmup"]))
        for group in self.optimizer.param_groups:
            group["lr"] = lr * group.get("lr_scale", 1.0)
        self.optimizer.zero_grad(set_to_none=True)
        sums: dict[str, float] = {}
        for _ in range(accum):
            batch = self.next_batch()
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.amp):
                terms = self.objective(self.model, batch)
            (terms["loss"] / accum).backward()
            for k, v in terms.items():
                sums[k] = sums.get(k, 0.0) + float(v.detach()) / accum
        self._sync_grads()
        sums = self._mean_over_ranks(sums)
        if float(self.cfg["clip_grad"]) > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), float(self.cfg["clip_grad"]))
        self.optimizer.step()
        self.model.clamp_temp_()
        self.step += 1
        sums["lr"] = lr
        return sums

    def _sync_grads(self) -> None:
        """DDP: average gradients across ranks (the model is called through its methods, not forward(), so
        DistributedDataParallel's hooks would not fire; an explicit all-reduce is equivalent).

        Which parameters have a gradient depends on the batch (a rank whose batch has no region sentences has
        none for the box head), so every rank reduces every trainable parameter in one flat buffer, a missing
        gradient counted as zero; a parameter that no rank touched keeps grad None, as in one process."""
        if self.world == 1:
            return
        params = [p for p in self.model.parameters() if p.requires_grad]
        has = torch.tensor([p.grad is not None for p in params], dtype=torch.float32, device=self.device)
        flat = torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1) for p in params])
        dist.all_reduce(has)
        dist.all_reduce(flat)
        flat /= self.world
        offset = 0
        for p, touched in zip(params, has.tolist()):
            n = p.numel()
            p.grad = flat[offset:offset + n].view_as(p).clone() if touched else None
            offset += n

    def _mean_over_ranks(self, terms: dict[str, float]) -> dict[str, float]:
        """DDP: each logged term is the mean over the ranks that computed it (the loss of the global batch when
        the ranks' shares are equal); one process: unchanged."""
        if self.world == 1:
            return terms
        gathered: list[Any] = [None] * self.world
        dist.all_gather_object(gathered, terms)
        keys = sorted({k for part in gathered for k in part})
        return {k: sum(part[k] for part in gathered if k in part) / sum(k in part for part in gathered)
                for k in keys}

    def save(self, path: Path) -> None:
        rng = [capture_rng()]
        if self.world > 1:
            gathered: list[Any] = [None] * self.world
            dist.all_gather_object(gathered, rng[0])
            rng = gathered
        if self.rank != 0:
            return
        train_config = {"preset": self.preset, "train": self.cfg, "data": str(self.args.data),
                        "world_size": self.world}
        save_checkpoint(path, self.model, self.tokenizer, self.transform, train_config=train_config,
                        step=self.step, optimizer=self.optimizer.state_dict(),
                        extra={"objective": self.objective.state_dict(), "micro": self.micro, "rng": rng})

    def run(self) -> Path:
        from tqdm import tqdm

        metrics = self.out / "metrics.jsonl"
        if self.rank == 0:
            (self.out / "train_config.json").write_text(json.dumps(
                {"preset": self.preset, "train": self.cfg, "total_steps": self.total_steps,
                 "data": str(self.args.data), "world_size": self.world}, indent=2))
        every, save_every = int(self.cfg["log_every"]), int(self.cfg["save_every"] or 0)
        bar = tqdm(total=self.total_steps, initial=self.step, disable=self.rank != 0, desc="train")
        while self.step < self.total_steps:
            t0 = time.perf_counter()
            row = self.train_step()
            row.update(step=self.step, step_time_s=time.perf_counter() - t0, temp=float(self.model.temp.detach()))
            bar.update(1)
            bar.set_postfix(loss=f"{row['loss']:.3f}")
            if self.rank == 0 and (self.step % every == 0 or self.step == self.total_steps or self.step == 1):
                with open(metrics, "a", encoding="utf-8") as f:
                    f.write(json.dumps(row) + "\n")
            if save_every and self.step % save_every == 0:
                self.save(self.out / f"checkpoint_step{self.step:06d}.pt")
        bar.close()
        if self.text_cache is not None:
            log.info("text cache: %s", self.text_cache.stats())
        last = self.out / "last.pt"
        self.save(last)
        if self.rank == 0 and not self.args.no_plot and metrics.exists():
            plot_loss_curve(metrics, self.out / "loss_curve.png")
        return last


def main(argv: Optional[Sequence[str]] = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    args = parse_args(argv)
    try:
        trainer = Trainer(args)
    except (OSError, ValueError, KeyError) as e:   # bad data folder, preset or resume checkpoint: one line
        print(f"geotext-train: error: {e}", file=sys.stderr)
        return 2
    last = trainer.run()
    if trainer.rank == 0:
        log.info("done: %d steps, checkpoint %s", trainer.step, last)
    if trainer.world > 1:
        # every rank past its last save and collective before any tears gloo down: a rank that destroyed its
        # group while the other still had work in flight aborted at exit once ("terminate called without an
        # active exception", test_resume_under_ddp_is_bit_exact, session 23)
        dist.barrier()
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
