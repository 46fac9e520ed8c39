"""Quality benchmark: train the lesson's models with the lesson's settings, print one table.

Settings (the lesson's): Adam lr 1e-3, betas (0.9, 0.999), eps 1e-7 (Keras's), batch 128,
25 epochs, Glorot-uniform weights and zero biases, BCE per pixel on logits. The data set
(default Fashion-MNIST, the full 60,000 / 10,000 split) and where it came from are printed
above the table and stored in the JSON.

    python benchmarks/quality.py                              # everything, about an hour on 2 cores
    python benchmarks/quality.py --only conv_ae --epochs 5    # one row group, fewer epochs
    python benchmarks/quality.py --limit 2000 --epochs 1      # a quick smoke run
    python benchmarks/quality.py --json results.json          # the table, and JSON to a file
    python benchmarks/quality.py --json -                     # JSON on stdout instead
    python benchmarks/quality.py --only conv_ae --epochs 2 --compare 2a947c3 --compare-torch

``--compare REV`` and ``--compare-torch`` time epochs instead of measuring quality: the same
command (``--only conv_ae --epochs E``) at commit ``REV`` (a git worktree in a temporary
directory) and PyTorch's twin of the model, in child processes, alternated round after round
with this checkout, rounds with other load discarded (``benchmarks/compare.py``, which does
the work; ``--rounds``, ``--max-rounds``). The machine (CPU, BLAS library, kernel, threads)
is printed first in every mode.

Every convolutional model here runs on the fast engine, switched on where it is built
(``model.use_engine(FastEngine())``, ``minae.engine``); without that line it would run the
taught im2col passes of ``minae.kernels.conv`` (slower; ``benchmarks/conv.py`` times both).
The autoencoders are trained through ``minae.engine.Fused`` (each ``Conv2D -> ReLU`` and
``Conv2D -> ReLU -> MaxPool2D`` computed in the convolution's output write; ``--no-fuse``
trains layer by layer) and, on several cores, ``SplitProcesses`` (each batch split between
this process and worker processes, ``minae.engine.processes``; ``--split-threads`` splits it
between threads instead, ``SplitBatch``).

Adding rows
-----------
An *experiment* is a function ``f(ctx) -> dict`` registered with ``@experiment(...)``; it trains
what it needs with ``ctx.fit(model, x, y)`` (the lesson's optimizer and settings, timed) and
returns its figures by name, e.g. ``{"test BCE per pixel": 0.283, "seconds per epoch": 8.9}``.
``reference=`` gives the PyTorch run's figure for a name (shown in brackets), ``check=`` a
target as ``name -> (description, predicate(figures) -> bool)``. The table shows one row per
figure, grouped by experiment, in the order they are registered. The VAE rows are added the
same way.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

if __package__ in (None, ""):  # run as a script: make the repository's minae importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ruff: noqa: E402
import numpy as np

from benchmarks import compare, machine
from minae import metrics, transforms
from minae.autoencoders import (
    conv_autoencoder,
    deep_autoencoder,
    super_resolution_autoencoder,
    super_resolution_network,
)
from minae.datasets import load_dataset
from minae.engine import FastEngine, Fused
from minae.engine.parallel import SplitBatch, auto_threads
from minae.engine.processes import SplitProcesses
from minae.losses import binary_cross_entropy_with_logits
from minae.optim import Adam
from minae.pca import PCA
from minae.training import fit

LESSON = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-7, "batch_size": 128, "epochs": 25,
          "init": "glorot_uniform"}


# ------------------------------------------------------------------------------- the registry
@dataclass
class Experiment:
    """A named group of rows: ``run(ctx) -> {figure name: value}``."""

    name: str
    description: str
    run: Callable[[Context], dict[str, float]]
    reference: dict[str, float] = field(default_factory=dict)
    checks: dict[str, tuple[str, Callable[[dict], bool]]] = field(default_factory=dict)
    default: bool = True  # run without --only


EXPERIMENTS: list[Experiment] = []


def experiment(name: str, description: str, *, reference: dict[str, float] | None = None,
               check: dict[str, tuple[str, Callable[[dict], bool]]] | None = None,
               default: bool = True):
    """Register ``f(ctx) -> dict`` as the experiment ``name`` (decorator)."""
    def register(fn):
        if any(e.name == name for e in EXPERIMENTS):
            raise ValueError(f"experiment {name!r} is registered twice")
        EXPERIMENTS.append(Experiment(name, description, fn, dict(reference or {}),
                                      dict(check or {}), default))
        return fn
    return register


@dataclass
class Context:
    """What an experiment gets: the data, the settings, and a timed ``fit``."""

    train: object  # minae.datasets.Dataset
    test: object
    epochs: int
    batch_size: int
    seed: int
    verbose: int = 0
    split: int = 1  # parts of each batch for models trained with a loss function (1: none)
    split_threads: bool = False  # the parts in threads (SplitBatch), not processes
    fuse: bool = True  # train conv models in fused steps (minae.engine.fused.Fused)

    def rng(self, offset: int = 0) -> np.random.Generator:
        return np.random.default_rng(self.seed + offset)

    def fit(self, model, x, y=None, *, loss=None, **kwargs):
        """Train with the lesson's settings; returns the history (``seconds`` per epoch)."""
        loss = loss or (lambda p, t: binary_cross_entropy_with_logits(p, t, reduction="mean"))
        opt = Adam(lr=LESSON["lr"], betas=LESSON["betas"], eps=LESSON["eps"])
        trained = model
        if self.fuse and not callable(getattr(model, "loss", None)):
            try:  # Conv2D -> ReLU (-> MaxPool2D) in one write, on the engine (minae.engine)
                trained = Fused(model)
            except TypeError:  # not a chain of layers: trained as it is
                pass
        if self.split > 1 and not callable(getattr(model, "loss", None)):
            # every core: each batch split in parts, one process (or thread) each
            if self.split_threads:
                trained = SplitBatch(trained, self.split)
            else:
                trained = SplitProcesses(trained, self.split)
        try:
            return fit(trained, x, y, loss=loss, optimizer=opt, epochs=self.epochs,
                       batch_size=self.batch_size, seed=self.seed, verbose=self.verbose,
                       **kwargs)
        finally:
            if isinstance(trained, SplitProcesses):
                trained.close()


def seconds_per_epoch(history) -> float:
    """Median wall time of the epochs (the first epoch includes warm-up)."""
    return float(np.median(history.seconds)) if history.seconds else math.nan


# ---------------------------------------------------------------------------- the experiments
@experiment("conv_ae", "L1: the lesson's conv autoencoder, 28x28 -> 4x4x8 -> 28x28",
            reference={"test BCE per pixel": 0.2826, "seconds per 60,000 images": 9.0},
            check={"test BCE per pixel": ("<= 0.285", lambda r: r["test BCE per pixel"] <= 0.285),
                   "seconds per 60,000 images": (
                       "<= 1.5 x PyTorch = 13.5 s",
                       lambda r: r["seconds per 60,000 images"] <= 13.5)})
def _conv_ae(ctx: Context) -> dict[str, float]:
    model = conv_autoencoder("keras", rng=ctx.rng(), init=LESSON["init"])
    model.use_engine(FastEngine())  # the fast convolution roads (minae.engine)
    h = ctx.fit(model, ctx.train.images)
    x = ctx.test.images
    logits = model.decode(model.encode(x))
    rec = model.reconstruct(x)
    return {"test BCE per pixel": metrics.bce_per_pixel(logits, x, logits=True),
            "BCE floor per pixel": metrics.bce_floor_per_pixel(x),
            "test PSNR dB": metrics.psnr(rec, x),
            "seconds per epoch": seconds_per_epoch(h),
            "seconds per 60,000 images": seconds_per_epoch(h) * 60000 / len(ctx.train.images)}


@experiment("denoising", "L3: the conv autoencoder on lesson noise (mean 0.5, std 0.5, clipped)",
            reference={"noisy input PSNR dB": 5.8, "output PSNR dB": 16.5},
            check={"gain dB": (">= 10 dB", lambda r: r["gain dB"] >= 10.0)})
def _denoising(ctx: Context) -> dict[str, float]:
    noise = transforms.make_noise("lesson")
    model = conv_autoencoder("keras", rng=ctx.rng(), init=LESSON["init"])
    model.use_engine(FastEngine())  # the fast convolution roads (minae.engine)
    h = ctx.fit(model, ctx.train.images, ctx.train.images, transform=noise)
    clean = ctx.test.images
    noisy = noise(clean, ctx.rng(1))
    p_in, p_out = metrics.psnr(noisy, clean), metrics.psnr(model.reconstruct(noisy), clean)
    return {"noisy input PSNR dB": p_in, "output PSNR dB": p_out, "gain dB": p_out - p_in,
            "seconds per epoch": seconds_per_epoch(h)}


def _super_resolution(ctx: Context, factor: int) -> dict[str, float]:
    lo_train = transforms.downsample(ctx.train.images, factor)
    lo_test = transforms.downsample(ctx.test.images, factor)
    x = ctx.test.images
    out = {}
    for mode in ("nearest", "bicubic"):
        up = np.clip(transforms.upsample(lo_test, factor, mode=mode), 0.0, 1.0)
        out[f"{mode} PSNR dB"] = metrics.psnr(up, x)
    lesson = super_resolution_autoencoder(factor, rng=ctx.rng(), init=LESSON["init"])
    lesson.use_engine(FastEngine())  # the fast convolution roads (minae.engine)
    ctx.fit(lesson, lo_train, ctx.train.images)
    out["lesson network PSNR dB"] = metrics.psnr(lesson.reconstruct(lo_test), x)
    better = super_resolution_network(factor, rng=ctx.rng(1), init=LESSON["init"])
    better.use_engine(FastEngine())
    h = ctx.fit(better, lo_train, ctx.train.images)
    out["better network PSNR dB"] = metrics.psnr(better.reconstruct(lo_test), x)
    out["better - bicubic dB"] = out["better network PSNR dB"] - out["bicubic PSNR dB"]
    out["better: seconds per epoch"] = seconds_per_epoch(h)
    return out


@experiment("super_resolution_2x", "L4: 14x14 (2x2 average pooling) -> 28x28",
            reference={"nearest PSNR dB": 18.0, "lesson network PSNR dB": 18.8},
            check={"better - bicubic dB": (">= 1 dB", lambda r: r["better - bicubic dB"] >= 1)})
def _sr2(ctx: Context) -> dict[str, float]:
    return _super_resolution(ctx, 2)


@experiment("super_resolution_4x", "L10: 7x7 (4x4 average pooling) -> 28x28", default=False)
def _sr4(ctx: Context) -> dict[str, float]:
    return _super_resolution(ctx, 4)


PCA_SIZES = (2, 4, 8, 16, 32)


def _ae_beats_pca(r: dict) -> bool:
    return all(r[f"AE MSE k={k}"] < r[f"PCA MSE k={k}"] for k in PCA_SIZES if k <= 16)


@experiment("pca_vs_ae", "L12: test MSE per pixel, PCA (clipped to [0, 1]) vs the "
            "784-128-64-k autoencoder", check={"AE MSE k=16": ("AE < PCA for k <= 16",
                                                              _ae_beats_pca)})
def _pca_vs_ae(ctx: Context) -> dict[str, float]:
    x = ctx.test.images
    pca = PCA(max(PCA_SIZES)).fit(ctx.train.images)
    out, secs = {}, []
    for k in PCA_SIZES:
        model = deep_autoencoder(k, rng=ctx.rng(k), init=LESSON["init"])
        model.use_engine(FastEngine())  # the fast convolution roads (minae.engine)
        h = ctx.fit(model, ctx.train.images)
        secs.append(seconds_per_epoch(h))
        out[f"PCA MSE k={k}"] = metrics.mse_per_pixel(np.clip(pca.reconstruct(x, k), 0, 1), x)
        out[f"AE MSE k={k}"] = metrics.mse_per_pixel(model.reconstruct(x), x)
    out["AE seconds per epoch"] = float(np.mean(secs))
    return out


# ------------------------------------------------------------------------------------ running
def run(names: list[str], ctx: Context, log=print) -> dict[str, dict]:
    """Run the experiments ``names`` in registration order; ``{name: {figure: value}}``."""
    results = {}
    for e in EXPERIMENTS:
        if e.name not in names:
            continue
        log(f"running {e.name}: {e.description} ...")
        t0 = time.perf_counter()
        figures = e.run(ctx)
        figures["total seconds"] = time.perf_counter() - t0
        results[e.name] = figures
        log(f"  {e.name} done in {figures['total seconds']:.0f} s")
    return results


def table(results: dict[str, dict]) -> str:
    """The results as a Markdown table: experiment, figure, value, [PyTorch], target."""
    by_name = {e.name: e for e in EXPERIMENTS}
    lines = ["| experiment | figure | minae | [PyTorch] | target |",
             "|---|---|---:|---:|---|"]
    for name, figures in results.items():
        e = by_name[name]
        first = True
        for fig, value in figures.items():
            ref = e.reference.get(fig)
            target = ""
            if fig in e.checks:
                desc, ok = e.checks[fig]
                target = f"{desc}: {'met' if ok(figures) else 'MISSED'}"
            lines.append(f"| {name if first else ''} | {fig} | {_fmt(value)} | "
                         f"{'' if ref is None else f'[{_fmt(ref)}]'} | {target} |")
            first = False
    return "\n".join(lines)


def _load() -> list[float] | None:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def _fmt(v: float) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) >= 100:
        return f"{int(v):,}"
    if abs(v) < 0.1:
        return f"{v:.5f}"
    return f"{v:.4g}" if abs(v) < 100 else f"{v:.1f}"


def _compare(p: argparse.ArgumentParser, args) -> int:
    """``--compare REV`` / ``--compare-torch``: epochs side by side, then a table (and JSON)."""
    names = args.only or ["conv_ae"]
    unknown = [n for n in names if n not in compare.MODELS]
    if unknown:
        p.error(f"--compare times {', '.join(compare.MODELS)}; got {', '.join(unknown)}")
    if args.rounds < 1 or (args.max_rounds is not None and args.max_rounds < 1):
        p.error("--rounds and --max-rounds must be positive integers")
    args.max_rounds = args.max_rounds or 2 * args.rounds
    args.quality_args = ["--split", str(args.split)] + (
        ["--threads", str(args.threads)] if args.threads else [])
    out = compare.compare(names, args.compare, args.compare_torch, args)
    print()
    print(compare.table(out))
    if args.json and args.json != "-":
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
        print(f"saved {args.json}")
    elif args.json == "-":
        print(json.dumps(out, indent=2))
    return 0


def _parser(names: list[str]) -> argparse.ArgumentParser:
    """The command line (``--help`` shows the module docstring)."""
    p = argparse.ArgumentParser(prog="python benchmarks/quality.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", default="fashion-mnist",
                   help="fashion-mnist (default), mnist or synthetic-digits")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--epochs", type=int, default=LESSON["epochs"])
    p.add_argument("--batch-size", type=int, default=LESSON["batch_size"])
    p.add_argument("--limit", type=int, default=None,
                   help="use at most N training and N test images (a quick run)")
    p.add_argument("--only", nargs="+", metavar="NAME", default=None,
                   help=f"run only these: {', '.join(names)} (default: all but "
                        f"{', '.join(e.name for e in EXPERIMENTS if not e.default)})")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", default=None, metavar="PATH",
                   help="also write the results as JSON to PATH ('-': JSON on stdout only)")
    p.add_argument("--verbose", type=int, default=0, choices=[0, 1, 2],
                   help="fit's progress lines")
    p.add_argument("--split", type=int, default=auto_threads(), metavar="PARTS",
                   help="train the autoencoders (not the VAEs, which compute their own loss) "
                        "with each batch split in this many parts, one process each "
                        "(minae.engine.processes.SplitProcesses; default: one per core if BLAS "
                        "can be held to one thread, else 1; 1 = no split)")
    p.add_argument("--split-threads", action="store_true",
                   help="run the parts in threads (minae.engine.parallel.SplitBatch) instead "
                        "of processes")
    p.add_argument("--threads", type=int, default=None,
                   help="limit the BLAS threads (threadpoolctl); on a busy shared machine 1 is "
                        "often much faster than 2")
    p.add_argument("--no-fuse", action="store_true",
                   help="train without minae.engine.fused.Fused (each layer on its own)")
    p.add_argument("--compare", default=None, metavar="REV",
                   help="time the epochs here against commit REV (benchmarks/compare.py)")
    p.add_argument("--compare-torch", action="store_true",
                   help="time the epochs here against PyTorch's twin (benchmarks/compare.py)")
    compare.add_arguments(p)
    return p


def main(argv=None) -> int:
    names = [e.name for e in EXPERIMENTS]
    p = _parser(names)
    args = p.parse_args(argv)
    if args.compare or args.compare_torch:
        return _compare(p, args)
    chosen = args.only or [e.name for e in EXPERIMENTS if e.default]
    unknown = [n for n in chosen if n not in names]
    if unknown:
        p.error(f"--only: unknown experiment(s) {', '.join(unknown)}; choose from "
                f"{', '.join(names)}")
    for opt in ("epochs", "batch_size", "limit"):
        v = getattr(args, opt)
        if v is not None and v < 1:
            p.error(f"--{opt.replace('_', '-')} must be a positive integer; got {v}")
    quiet = args.json == "-"
    log = (lambda s: print(s, file=sys.stderr)) if quiet else print
    if args.threads is not None:
        try:
            from threadpoolctl import threadpool_limits

            threadpool_limits(args.threads)
        except ImportError:
            log("threadpoolctl is not installed: --threads ignored (set OPENBLAS_NUM_THREADS "
                "before starting Python instead)")
    try:
        train = load_dataset(args.dataset, "train", data_dir=args.data_dir, limit=args.limit,
                             seed=args.seed, log=log)
        test = load_dataset(train.name, "test", data_dir=args.data_dir, limit=args.limit,
                            seed=args.seed, log=log)
    except ValueError as e:
        p.error(str(e))
    data = {"dataset": train.name, "train source": train.source, "test source": test.source,
            "train images": len(train), "test images": len(test)}
    settings = {**LESSON, "epochs": args.epochs, "batch_size": args.batch_size,
                "seed": args.seed, "split parts": args.split,
                "split in": "threads" if args.split_threads else "processes",
                "fused": not args.no_fuse,
                "threads": args.threads or os.environ.get("OPENBLAS_NUM_THREADS", "default"),
                "load average at start": _load()}
    described = machine.describe()
    for line in machine.machine_lines(described):
        log(line)
    log(f"data: {train.name}, {len(train)} train images ({train.source}), {len(test)} test "
        f"images ({test.source})")
    log(f"settings: Adam lr {LESSON['lr']}, eps {LESSON['eps']}, batch {args.batch_size}, "
        f"{args.epochs} epochs, {LESSON['init']}; machine: {platform.processor() or '?'}, "
        f"{os.cpu_count()} cores, numpy {np.__version__}; autoencoders trained with "
        + ("no split" if args.split == 1 else f"SplitBatch({args.split} threads)"
           if args.split_threads else f"SplitProcesses({args.split} processes)"))
    if args.split < 1:
        p.error(f"--split must be a positive integer; got {args.split}")
    ctx = Context(train, test, args.epochs, args.batch_size, args.seed, args.verbose,
                  split=args.split, split_threads=args.split_threads, fuse=not args.no_fuse)
    results = run(chosen, ctx, log)
    settings["load average at end"] = _load()
    log(f"load average (1, 5, 15 min) at start {settings['load average at start']}, at end "
        f"{settings['load average at end']}: timings on a busy machine are not the kernels'")
    out = {"machine": described, "data": data, "settings": settings, "results": results}
    if quiet:
        print(json.dumps(out, indent=2))
        return 0
    print()
    print(table(results))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
        print(f"saved {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
