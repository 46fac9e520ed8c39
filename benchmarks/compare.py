"""Whole epochs, side by side in one run: minae here, minae at an earlier commit, PyTorch.

    python benchmarks/compare.py --rev 2a947c3 --torch --only conv_ae --epochs 2
    python benchmarks/compare.py --torch --epochs 2 --rounds 5
    python benchmarks/compare.py --rev HEAD~5 --limit 2000 --epochs 1 --rounds 2   # a smoke run
    python benchmarks/compare.py --torch --only dense_vae conv_vae --epochs 2 --rounds 3
    python benchmarks/compare.py --rev 2a947c3 --torch --one-thread --epochs 2 --rounds 3
    python benchmarks/quality.py --compare 2a947c3 --compare-torch --only conv_ae --epochs 2

Each contender trains the same model with the lesson's settings (Adam lr 1e-3, eps 1e-7, batch
128, BCE on logits) for ``--epochs`` epochs in a child process of its own, and reports its
seconds per epoch (the median epoch, scaled to 60,000 images):

* ``here``: ``benchmarks/quality.py --only NAME --epochs E --json -`` of this checkout;
* ``REV``: *the same command* in a ``git worktree`` of commit ``REV`` made in a temporary
  directory (removed at the end), importing that commit's minae;
* for the VAEs (``dense_vae``: 784-400-20 Bernoulli; ``conv_vae``: ``conv_vae()`` on the fast
  engine), which have no ``quality.py`` experiment: this script's own child trains minae's
  model with ``fit`` (its own loss, ``FastAdam`` with eps 1e-8 as in ``quality_vae.py``:
  ``minae.engine.adam``, Adam's numbers a cache-sized piece at a time; for ``conv_vae`` each
  batch split between processes, one per core, ``SplitProcesses``; ``--split-vaes`` names
  the ones split); no ``REV`` contender;
* ``torch``: PyTorch's twin of the model (``minae.torch_bridge.to_torch``: the same layers, the
  same initial weights), trained by a plain PyTorch loop with ``torch.optim.Adam`` on the same
  images, with ``torch.set_num_threads`` = the cores (PyTorch is never a dependency: without
  it this contender is skipped).

``--one-thread`` puts every contender on one core (BLAS, OpenMP and PyTorch at one thread,
set in each child's environment; quality.py ``--split 1``): the single-thread figures.

The contenders run one after another, round after round (``benchmarks/machine.py``): a round
in which other processes used more than 5% of the CPU is discarded and said so, until
``--rounds`` clean rounds or ``--max-rounds`` tries. The figures are the medians of the kept
rounds; each ratio is the median over the kept rounds of the ratio within a round. The machine
(CPU model, BLAS library, kernel and threads) is printed first; ``--json PATH`` writes it all.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ruff: noqa: E402
import numpy as np

from benchmarks import machine

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LESSON = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-7, "batch_size": 128}
# the quality.py experiment each twin's figures come from, and the figure read
MODELS = {"conv_ae": ("conv_ae", "seconds per 60,000 images")}
# models timed by this script's own child (no quality.py experiment, so no --rev): the VAEs,
# with the Adam eps of benchmarks/quality_vae.py (PyTorch's 1e-8)
VAES = {"dense_vae": "784-400-20 Bernoulli VAE", "conv_vae": "conv_vae(): 32/64 channels, "
        "stride 2, ConvTranspose2D decoder, latent 2, Bernoulli"}
VAE_EPS = 1e-8
# the VAEs split between processes by default: the dense VAE's 807,700 parameters (3.2 MB each
# way every batch through the pipe) cost more than the second core gained: 6.26 s per epoch
# split (--only dense_vae --split-vaes dense_vae --limit 12800 --epochs 1 --rounds 1) against
# 3.50 s unsplit (the full run, docs/benchmarks.md)
SPLIT_VAES = ("conv_vae",)


# ------------------------------------------------------------------------- the contenders
def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_child(cmd: list[str], cwd: str, meter: machine.CpuMeter,
              env: dict | None = None) -> dict:
    """Run ``cmd`` (it prints JSON on stdout) and count its CPU as ours in ``meter``."""
    before = _child_cpu()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    meter.child(_child_cpu() - before)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed in {cwd}:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)


def quality_command(root: str, name: str, args) -> list[str]:
    cmd = [sys.executable, os.path.join(root, "benchmarks", "quality.py"), "--only",
           MODELS[name][0], "--epochs", str(args.epochs), "--json", "-",
           "--dataset", args.dataset, "--seed", str(args.seed)]
    cmd += ["--split", "1"] if args.one_thread else []
    return cmd + (["--limit", str(args.limit)] if args.limit else []) + list(args.quality_args)


def child_env(root: str, args) -> dict:
    """The environment of a child: ``root``'s minae first on the path; with ``--one-thread``,
    BLAS (and OpenMP, PyTorch's) at one thread, set before the child starts."""
    env = dict(os.environ, PYTHONPATH=root)
    if args.one_thread:
        env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


def minae_contender(root: str, name: str, args, figures: list):
    """A contender: quality.py of the checkout at ``root``, its minae first on the path.
    Each run's figures (test loss, PSNR, seconds) are appended to ``figures``."""
    env = child_env(root, args)
    experiment, figure = MODELS[name]

    def run(meter: machine.CpuMeter) -> float:
        out = run_child(quality_command(root, name, args), root, meter, env)
        figures.append(out["results"][experiment])
        return float(out["results"][experiment][figure])
    return run


def child_contender(which: str, name: str, args):
    """A contender run by this script in a child: ``which`` is ``"--torch-child"`` (PyTorch's
    twin) or ``"--minae-child"`` (this checkout's minae, for the VAEs)."""
    cmd = [sys.executable, os.path.abspath(__file__), which, "--only", name,
           "--epochs", str(args.epochs), "--dataset", args.dataset, "--seed", str(args.seed)]
    cmd += ["--limit", str(args.limit)] if args.limit else []
    cmd += ["--one-thread"] if args.one_thread else []
    cmd += ["--split-vaes", *args.split_vaes] if args.split_vaes else []
    env = child_env(ROOT, args)

    def run(meter: machine.CpuMeter) -> float:
        return float(run_child(cmd, ROOT, meter, env)["seconds per 60,000 images"])
    return run


def torch_version() -> str | None:
    """PyTorch's version in a child process (not imported here), or None."""
    done = subprocess.run([sys.executable, "-c", "import torch; print(torch.__version__)"],
                          capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


# ---------------------------------------------------------------------- the torch child
def build(name: str, seed: int):
    """The minae model ``name``, built as quality.py / quality_vae.py build it (same seed,
    same weights), on the fast engine where it has convolutions."""
    from minae.autoencoders import conv_autoencoder
    from minae.engine import FastEngine
    from minae.vae import conv_vae, dense_vae

    rng = np.random.default_rng(seed)
    if name == "dense_vae":
        return dense_vae(latent_dim=20, hidden=400, likelihood="bernoulli",
                         init="glorot_uniform", rng=rng)
    if name == "conv_vae":
        return conv_vae(likelihood="bernoulli", rng=rng).use_engine(FastEngine())
    return conv_autoencoder("keras", rng=rng, init="glorot_uniform")


def _seconds(seconds: list[float], n: int) -> dict:
    per_epoch = float(np.median(seconds))
    return {"seconds": seconds, "seconds per epoch": per_epoch,
            "seconds per 60,000 images": per_epoch * 60000 / n}


def minae_epochs(name: str, epochs: int, dataset: str, limit: int | None, seed: int,
                 split: bool = True) -> dict:
    """Train minae's VAE ``name`` for ``epochs`` epochs (its own loss, ``FastAdam``, batch
    128), with ``split`` each batch split between processes, one per core
    (``SplitProcesses``); seconds of each epoch."""
    from minae.datasets import load_dataset
    from minae.engine import FastAdam, SplitProcesses
    from minae.engine.parallel import auto_threads
    from minae.training import fit

    model = build(name, seed)
    images = load_dataset(dataset, "train", limit=limit, seed=seed, log=lambda s: None).images
    opt = FastAdam(lr=LESSON["lr"], betas=LESSON["betas"], eps=VAE_EPS)  # bitwise Adam's
    parts = auto_threads() if split else 1
    trained = SplitProcesses(model, parts) if parts > 1 else model
    if trained is not model:  # start the workers (about a second, once) before the clock
        trained.loss(images[:parts])
    try:
        h = fit(trained, images, loss=None, optimizer=opt, epochs=epochs,
                batch_size=LESSON["batch_size"], seed=seed, verbose=0)
    finally:
        if trained is not model:
            trained.close()
    return {"split": parts, **_seconds(list(h.seconds), len(images))}


def torch_epochs(name: str, epochs: int, dataset: str, limit: int | None, seed: int,
                 threads: int | None = None) -> dict:
    """Train PyTorch's twin of ``name`` for ``epochs`` epochs (on ``threads`` threads, default
    one per core); seconds of each epoch."""
    import torch
    import torch.nn.functional as F

    from minae.datasets import load_dataset
    from minae.torch_bridge import to_torch

    torch.set_num_threads(threads or os.cpu_count() or 1)
    module = to_torch(build(name, seed))
    images = load_dataset(dataset, "train", limit=limit, seed=seed, log=lambda s: None).images
    x = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))
    vae = name in VAES
    opt = torch.optim.Adam(module.parameters(), lr=LESSON["lr"], betas=LESSON["betas"],
                           eps=VAE_EPS if vae else LESSON["eps"])
    rng, bs, seconds = np.random.default_rng(seed), LESSON["batch_size"], []
    for _ in range(epochs):
        order = torch.from_numpy(rng.permutation(len(x)))
        t = time.perf_counter()
        for a in range(0, len(x), bs):
            xb = x[order[a:a + bs]]
            opt.zero_grad(set_to_none=True)
            if vae:  # minae's VAE.loss: reconstruction + KL, nats per image
                loss = module.loss(xb)[0]
            else:
                loss = F.binary_cross_entropy_with_logits(module(xb), xb)
            loss.backward()
            opt.step()
        seconds.append(time.perf_counter() - t)
    return {"torch": torch.__version__, "threads": torch.get_num_threads(),
            **_seconds(seconds, len(x))}


# ----------------------------------------------------------------------------- the run
class Worktree:
    """``with Worktree(rev) as path``: commit ``rev`` checked out in a temporary directory."""

    def __init__(self, rev: str) -> None:
        self.rev = rev
        self.tmp = tempfile.mkdtemp(prefix="minae-compare-")
        self.path = os.path.join(self.tmp, "minae")

    def __enter__(self) -> str:
        subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", self.path, self.rev],
                       check=True, capture_output=True, text=True)
        return self.path

    def __exit__(self, *exc) -> None:
        subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", self.path],
                       capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)


def compare(names: list[str], rev: str | None, with_torch: bool, args, log=print) -> dict:
    """Alternated rounds of every contender for every model; the figures and the machine."""
    m = machine.describe()
    for line in machine.machine_lines(m):
        log(line)
    version = torch_version() if with_torch else None
    if with_torch and version is None:
        log("torch: not importable here, skipped")
    out = {"machine": m, "torch": version, "rev": rev, "epochs": args.epochs,
           "limit": args.limit, "one thread": args.one_thread, "models": {}}
    if args.one_thread:
        log("every contender on one thread (BLAS, OpenMP, PyTorch), no split")
    tree = Worktree(rev) if rev else None
    path = tree.__enter__() if tree else None
    try:
        for name in names:
            figures: dict[str, list] = {"here": [], rev: []}
            if name in VAES:  # this script's child; no quality.py experiment to run at REV
                contenders = {"here": child_contender("--minae-child", name, args)}
                if path:
                    log(f"{name}: not timed at {rev} (only conv_ae is, through quality.py)")
            else:
                contenders = {"here": minae_contender(ROOT, name, args, figures["here"])}
                if path:
                    contenders[rev] = minae_contender(path, name, args, figures[rev])
            if version:
                contenders["torch"] = child_contender("--torch-child", name, args)
            log(f"{name}: {', '.join(contenders)}, {args.epochs} epochs each, alternated")
            r = machine.alternated_rounds(contenders, args.rounds, args.max_rounds, log)
            out["models"][name] = {"rounds": r.as_dict(), "note": r.note(),
                                   "ratios": {f"{other} / here": r.ratio(other, "here")
                                              for other in contenders if other != "here"},
                                   "figures": {k: v for k, v in figures.items() if v}}
            log(f"  {r.note()}")
            for who, runs in figures.items():
                if runs and "test BCE per pixel" in runs[-1]:
                    log(f"  {who}: test BCE per pixel after {args.epochs} epochs "
                        + ", ".join(f"{f['test BCE per pixel']:.5f}" for f in runs))
    finally:
        if tree:
            tree.__exit__(None, None, None)
    return out


def table(out: dict) -> str:
    lines = ["| model | contender | s per epoch (60,000 images, median) | ratio to here |",
             "|---|---|---|---|"]
    for name, res in out["models"].items():
        medians = res["rounds"]["medians"]
        for who, sec in medians.items():
            ratio = "1" if who == "here" else f"{res['ratios'][f'{who} / here']:.2f}"
            label = f"minae at {who}" if who not in ("here", "torch") else (
                f"torch {out['torch']}" if who == "torch" else "minae here")
            lines.append(f"| {name} | {label} | {sec:.2f} | {ratio} |")
        lines.append(f"| {name} | | {res['note']} | |")
    return "\n".join(lines)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rounds", type=int, default=5, help="clean rounds wanted (default 5)")
    p.add_argument("--max-rounds", type=int, default=None,
                   help="the cap on rounds tried (default: twice --rounds)")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python benchmarks/compare.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rev", default=None, help="also time minae at this commit")
    p.add_argument("--torch", action="store_true", help="also time PyTorch's twin")
    p.add_argument("--only", nargs="+", default=["conv_ae"], choices=sorted({**MODELS, **VAES}),
                   help="the models (default conv_ae; dense_vae and conv_vae: here and torch)")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--limit", type=int, default=None, help="train on N images (smoke runs)")
    p.add_argument("--dataset", default="fashion-mnist")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", default=None, metavar="PATH")
    p.add_argument("--quality-args", nargs=argparse.REMAINDER, default=[],
                   help="passed on to both quality.py runs (e.g. --split 1)")
    p.add_argument("--one-thread", action="store_true",
                   help="every contender on one core: BLAS and PyTorch at one thread, no split "
                        "(quality.py --split 1)")
    p.add_argument("--split-vaes", nargs="*", default=list(SPLIT_VAES), choices=sorted(VAES),
                   metavar="NAME", help="the VAEs trained with each batch split between "
                   f"processes (default: {' '.join(SPLIT_VAES)}; none: no names)")
    p.add_argument("--torch-child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--minae-child", action="store_true", help=argparse.SUPPRESS)
    add_arguments(p)
    args = p.parse_args(argv)
    if args.torch_child:
        print(json.dumps(torch_epochs(args.only[0], args.epochs, args.dataset, args.limit,
                                      args.seed, 1 if args.one_thread else None)))
        return 0
    if args.minae_child:
        split = args.only[0] in args.split_vaes and not args.one_thread
        print(json.dumps(minae_epochs(args.only[0], args.epochs, args.dataset, args.limit,
                                      args.seed, split)))
        return 0
    if min(args.epochs, args.rounds) < 1 or (args.limit is not None and args.limit < 1):
        p.error("--epochs, --rounds and --limit must be positive integers")
    args.max_rounds = args.max_rounds or 2 * args.rounds
    out = compare(args.only, args.rev, args.torch, args)
    print()
    print(table(out))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
        print(f"saved {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
