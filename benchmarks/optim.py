"""One optimizer step for the 784-400-20 VAE's 807,700 parameters: Adam against FastAdam.

    python benchmarks/optim.py                 # 7 alternated rounds of 20 steps each
    python benchmarks/optim.py --json optim.json

``minae.optim.Adam`` (the taught update, a line per formula over whole arrays) against
``minae.engine.adam.FastAdam`` (the same operations a piece at a time, bitwise the same
result) for several piece sizes; milliseconds per step, best of each round's 20, medians over
alternated rounds (``benchmarks/machine.py``: loaded rounds discarded).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ruff: noqa: E402
import numpy as np

from benchmarks import machine
from minae.engine.adam import FastAdam
from minae.optim import Adam
from minae.vae import dense_vae

PIECES = (16384, 32768, 65536, 131072, 262144)


def step_seconds(opt, model, steps: int) -> float:
    best = float("inf")
    for _ in range(steps):
        t = time.perf_counter()
        opt.step(model)
        best = min(best, time.perf_counter() - t)
    return best


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python benchmarks/optim.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--json", default=None, metavar="PATH")
    args = p.parse_args(argv)
    if min(args.rounds, args.steps) < 1:
        p.error("--rounds and --steps must be positive integers")
    described = machine.describe()
    for line in machine.machine_lines(described):
        print(line)
    model = dense_vae(latent_dim=20, hidden=400, likelihood="bernoulli",
                      rng=np.random.default_rng(0))
    x = np.random.default_rng(1).random((128, 1, 28, 28), dtype=np.float32)
    model.loss(x)
    model.backward()  # real gradients, kept fixed: each step is the same work
    opts = {"Adam": Adam(), **{f"FastAdam(piece={k})": FastAdam(piece=k) for k in PIECES}}
    for opt in opts.values():
        opt.step(model)  # the state arrays exist before timing
    r = machine.alternated_rounds(
        {name: (lambda meter, o=o: step_seconds(o, model, args.steps))
         for name, o in opts.items()}, args.rounds, 3 * args.rounds, log=print)
    n = sum(v.size for v in model.params.values())
    print(f"\none step for {n:,} parameters (float32); {r.note()}")
    print("| optimizer | ms per step | Adam / it |")
    print("|---|---|---|")
    for name in opts:
        print(f"| {name} | {1e3 * r.median(name):.2f} | {r.ratio('Adam', name):.2f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": described, "args": vars(args), "rounds": r.as_dict()}, f,
                      indent=2)
        print(f"saved {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
