"""Quality benchmark, the VAE rows: train the VAEs of the targets, print one table.

Two experiments, each ``f(ctx) -> {figure: value}`` like those in ``quality.py``:

``vae_bernoulli``  the 784-400-20 Bernoulli VAE (ReLU, Glorot-uniform weights, Adam lr 1e-3
                   with PyTorch's eps 1e-8, batch 128, 10 epochs): the test negative ELBO in
                   nats per image (reconstruction + KL), the Bernoulli floor of the test pixels
                   beside it, the importance-weighted estimate of -log p(x) with K = 1000 on
                   the first 1,000 test images beside the negative ELBO of the same images,
                   and the seconds per epoch (the load average and BLAS threads at the time).
``vae_lesson``     the lesson's VAE (784-512-2, "sse" likelihood, RMSprop with Keras's
                   settings, batch 128, 25 epochs): the test loss per image as the lesson
                   prints it (sum of squared errors + KL), and the same model's negative ELBO
                   in true nats (the SSE is a Gaussian NLL with sigma^2 = 1/2 minus 448.7
                   nats per 784-pixel image).

Each experiment trains its own schedule (10 / 25 epochs), or fewer when ``--epochs`` asks for
fewer (a smoke run); the number trained is one of the figures. PyTorch's figures from a run of
the same model and schedule on the development machine are in brackets.

    python benchmarks/quality_vae.py                          # Fashion-MNIST 60k/10k, both rows
    python benchmarks/quality_vae.py --only vae_bernoulli --threads 1
    python benchmarks/quality_vae.py --limit 2000 --epochs 1  # a quick smoke run
    python benchmarks/quality_vae.py --json vae.json

Timing on a shared machine: multithreaded OpenBLAS degrades badly when the cores are
oversubscribed (one epoch went from ~14 s with one BLAS thread to ~190 s with two, at a load
average of 8 on 2 cores). ``--threads N`` limits the BLAS threads (threadpoolctl, or set
``OPENBLAS_NUM_THREADS`` before starting Python); the load average is printed with the times.

Wiring into ``quality.py``: ``quality_vae.register(experiment)`` registers both experiments
with ``quality.py``'s ``experiment`` decorator (in this order); they only read
``ctx.train``, ``ctx.test``, ``ctx.epochs``, ``ctx.batch_size``, ``ctx.seed``, ``ctx.verbose``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

if __package__ in (None, ""):  # run as a script: make the repository's minae importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ruff: noqa: E402
import numpy as np

from benchmarks import machine
from minae.engine.adam import FastAdam
from minae.optim import RMSprop
from minae.training import fit
from minae.vae import SSE_CONSTANT_PER_PIXEL, dense_vae

BERNOULLI = {"hidden": 400, "latent_dim": 20, "lr": 1e-3, "eps": 1e-8, "epochs": 10,
             "iw_k": 1000, "iw_images": 1000}
LESSON_VAE = {"hidden": 512, "latent_dim": 2, "lr": 1e-3, "epochs": 25}
PYTORCH_SECONDS_PER_EPOCH = 3.3  # the 784-400-20 VAE, one epoch of 60,000 images, this CPU


def _epochs(ctx, own: int) -> int:
    """The experiment's own schedule, or fewer if the run asks for fewer (a smoke run)."""
    return min(int(ctx.epochs), own)


def _rng(ctx, offset: int = 0) -> np.random.Generator:
    return np.random.default_rng(ctx.seed + offset)


def _median_seconds(history) -> float:
    """Median wall time of the epochs (the first includes warm-up)."""
    return float(np.median(history.seconds)) if history.seconds else math.nan


def blas_threads() -> int | None:
    """The number of BLAS threads numpy's matrix products use now (None if unknown)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    counts = [p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"]
    return max(counts) if counts else None


def vae_bernoulli(ctx) -> dict[str, float]:
    """784-400-20 Bernoulli VAE, Adam 1e-3, batch 128, 10 epochs: ELBO, IW bound, time."""
    c = BERNOULLI
    epochs = _epochs(ctx, c["epochs"])
    vae = dense_vae(latent_dim=c["latent_dim"], hidden=c["hidden"], likelihood="bernoulli",
                    init="glorot_uniform", rng=_rng(ctx))
    load_before = os.getloadavg()[0]
    # FastAdam (minae.engine.adam): Adam's update, bitwise, a cache-sized piece at a time
    h = fit(vae, ctx.train.images, loss=None, optimizer=FastAdam(lr=c["lr"], eps=c["eps"]),
            epochs=epochs, batch_size=ctx.batch_size, seed=ctx.seed, verbose=ctx.verbose)
    load_after = os.getloadavg()[0]
    x = ctx.test.images
    report = vae.evaluate_elbo(x, rng=_rng(ctx, 1))
    first = x[:c["iw_images"]]
    elbo_first = vae.evaluate_elbo(first, rng=_rng(ctx, 2))
    log_px = vae.log_likelihood(first, k=c["iw_k"], rng=_rng(ctx, 3))
    secs = _median_seconds(h)
    threads = blas_threads()
    return {
        "epochs": float(len(h)),
        "test negative ELBO nats": report.negative_elbo,
        "reconstruction nats": report.reconstruction,
        "KL nats": report.kl,
        "Bernoulli floor nats": report.bernoulli_floor,
        "IW: images (the first of the test set)": float(len(first)),
        "IW: samples K per image": float(c["iw_k"]),
        "IW: negative ELBO of those images": elbo_first.negative_elbo,
        "IW: estimate of -log p(x)": float(-np.mean(log_px)),
        "active units (KL > 0.01)": float(np.sum(vae.kl_per_dimension(x) > 0.01)),
        "seconds per epoch": secs,
        "seconds per 60,000 images": secs * 60000 / len(ctx.train.images),
        "load average (1 min) before training": load_before,
        "load average (1 min) after training": load_after,
        "BLAS threads": float(threads) if threads is not None else math.nan,
    }


def _iw_below_elbo(r: dict) -> bool:
    return r["IW: estimate of -log p(x)"] <= r["IW: negative ELBO of those images"]


def vae_lesson(ctx) -> dict[str, float]:
    """The lesson's VAE (784-512-2, SSE + KL, RMSprop as Keras, batch 128, 25 epochs)."""
    c = LESSON_VAE
    epochs = _epochs(ctx, c["epochs"])
    vae = dense_vae(latent_dim=c["latent_dim"], hidden=c["hidden"], likelihood="sse",
                    init="glorot_uniform", rng=_rng(ctx))
    h = fit(vae, ctx.train.images, loss=None, optimizer=RMSprop.keras(c["lr"]), epochs=epochs,
            batch_size=ctx.batch_size, seed=ctx.seed, verbose=ctx.verbose)
    x = ctx.test.images
    report = vae.evaluate_elbo(x, rng=_rng(ctx, 1))
    constant = SSE_CONSTANT_PER_PIXEL * int(np.prod(x.shape[1:]))  # 448.7 for 784 pixels
    sse = report.reconstruction - constant
    return {
        "epochs": float(len(h)),
        "test loss (SSE + KL) per image": sse + report.kl,
        "test SSE per image": sse,
        "test KL nats": report.kl,
        "test negative ELBO nats (sigma^2 = 1/2)": report.negative_elbo,
        "train loss, last epoch": h.loss[-1],
        "seconds per epoch": _median_seconds(h),
    }


#: (function, name, description, PyTorch's figures, targets): what ``register`` registers.
ROWS = [
    (vae_bernoulli, "vae_bernoulli",
     "784-400-20 Bernoulli VAE, Adam 1e-3, batch 128, 10 epochs (nats per image)",
     {"test negative ELBO nats": 244.7, "reconstruction nats": 228.2, "KL nats": 16.5,
      "Bernoulli floor nats": 189.9, "IW: images (the first of the test set)": 1000.0,
      "IW: samples K per image": 1000.0, "IW: negative ELBO of those images": 244.0,
      "IW: estimate of -log p(x)": 241.1,
      "seconds per 60,000 images": PYTORCH_SECONDS_PER_EPOCH},
     {"test negative ELBO nats": ("<= 246", lambda r: r["test negative ELBO nats"] <= 246.0),
      "IW: estimate of -log p(x)": ("<= negative ELBO of the same images", _iw_below_elbo),
      "seconds per 60,000 images": (
          f"<= 1.5 x PyTorch = {1.5 * PYTORCH_SECONDS_PER_EPOCH:.2f} s",
          lambda r: r["seconds per 60,000 images"] <= 1.5 * PYTORCH_SECONDS_PER_EPOCH)}),
    (vae_lesson, "vae_lesson",
     "L5: the lesson's VAE 784-512-2, SSE + KL, RMSprop (Keras), batch 128, 25 epochs",
     {"test loss (SSE + KL) per image": 29.0},
     {"test loss (SSE + KL) per image": (
         "<= 29.5", lambda r: r["test loss (SSE + KL) per image"] <= 29.5)}),
]

NAMES = [name for _, name, *_ in ROWS]


def register(experiment) -> None:
    """Register the VAE experiments with ``quality.py``'s ``experiment`` decorator."""
    for fn, name, description, reference, check in ROWS:
        experiment(name, description, reference=reference, check=check)(fn)


# ------------------------------------------------------------------------- running on its own
def _table(results: dict[str, dict]) -> str:
    """The results as a Markdown table (as ``quality.table``): figure, minae, [PyTorch], target."""
    rows = {name: (reference, check) for _, name, _, reference, check in ROWS}
    lines = ["| experiment | figure | minae | [PyTorch] | target |", "|---|---|---:|---:|---|"]
    for name, figures in results.items():
        reference, check = rows[name]
        for i, (fig, value) in enumerate(figures.items()):
            target = ""
            if fig in check:
                desc, ok = check[fig]
                target = f"{desc}: {'met' if ok(figures) else 'MISSED'}"
            ref = reference.get(fig)
            lines.append(f"| {name if i == 0 else ''} | {fig} | {_fmt(value)} | "
                         f"{'' if ref is None else f'[{_fmt(ref)}]'} | {target} |")
    return "\n".join(lines)


def _fmt(v) -> str:
    if isinstance(v, float) and math.isnan(v):
        return "?"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e6:
        return f"{int(v):,}"
    return f"{v:.4g}" if abs(v) < 100 else f"{v:.1f}"


class _Context:
    """What an experiment reads (``quality.Context`` has the same attributes)."""

    def __init__(self, train, test, epochs, batch_size, seed, verbose):
        self.train, self.test = train, test
        self.epochs, self.batch_size, self.seed, self.verbose = epochs, batch_size, seed, verbose


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python benchmarks/quality_vae.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", default="fashion-mnist",
                   help="fashion-mnist (default), mnist or synthetic-digits")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--epochs", type=int, default=None,
                   help="at most this many epochs per experiment (default: each one's own, "
                        "10 and 25)")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--limit", type=int, default=None,
                   help="use at most N training and N test images (a quick run)")
    p.add_argument("--only", nargs="+", metavar="NAME", default=None,
                   help=f"run only these: {', '.join(NAMES)} (default: both)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None,
                   help="limit numpy's BLAS to this many threads (needs threadpoolctl)")
    p.add_argument("--json", default=None, metavar="PATH",
                   help="also write the results as JSON to PATH")
    p.add_argument("--verbose", type=int, default=2, choices=[0, 1, 2],
                   help="fit's progress lines (default 2: one line per epoch)")
    args = p.parse_args(argv)
    chosen = args.only or NAMES
    unknown = [n for n in chosen if n not in NAMES]
    if unknown:
        p.error(f"--only: unknown experiment(s) {', '.join(unknown)}; choose from "
                f"{', '.join(NAMES)}")
    for opt in ("epochs", "batch_size", "limit", "threads"):
        v = getattr(args, opt)
        if v is not None and v < 1:
            p.error(f"--{opt.replace('_', '-')} must be a positive integer; got {v}")
    if args.json:
        from minae.demo import check_out_dir

        check_out_dir(p, os.path.dirname(os.path.abspath(args.json)))
    if args.threads is not None:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            p.error("--threads needs threadpoolctl (pip install threadpoolctl); or set "
                    "OPENBLAS_NUM_THREADS before starting Python")
        threadpool_limits(args.threads, user_api="blas")
    from minae.datasets import load_dataset

    try:
        train = load_dataset(args.dataset, "train", data_dir=args.data_dir, limit=args.limit,
                             seed=args.seed)
        test = load_dataset(train.name, "test", data_dir=args.data_dir, limit=args.limit,
                            seed=args.seed)
    except ValueError as e:
        p.error(str(e))
    epochs = args.epochs or max(BERNOULLI["epochs"], LESSON_VAE["epochs"])
    print(f"data: {train.name}, {len(train)} train images ({train.source}), {len(test)} test "
          f"images ({test.source})")
    described = machine.describe()
    for line in machine.machine_lines(described):
        print(line)
    ctx = _Context(train, test, epochs, args.batch_size, args.seed, args.verbose)
    results = {}
    for fn, name, description, *_ in ROWS:
        if name not in chosen:
            continue
        print(f"running {name}: {description} ...", flush=True)
        t0 = time.perf_counter()
        figures = fn(ctx)
        figures["total seconds"] = time.perf_counter() - t0
        results[name] = figures
        print(f"  {name} done in {figures['total seconds']:.0f} s", flush=True)
    print()
    print(_table(results))
    if args.json:
        data = {"dataset": train.name, "train source": train.source,
                "test source": test.source, "train images": len(train),
                "test images": len(test)}
        settings = {"epochs at most": epochs, "batch_size": args.batch_size, "seed": args.seed,
                    "bernoulli": BERNOULLI, "lesson": LESSON_VAE}
        with open(args.json, "w") as f:
            json.dump({"machine": described, "data": data, "settings": settings,
                       "results": results}, f, indent=2)
        print(f"saved {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
