"""Make the autoencoder gallery: run the demos and copy their figures to ``docs/gallery/ae_*.png``.

    python benchmarks/ae_gallery.py                      # Fashion-MNIST, 25 epochs (~1 hour)
    python benchmarks/ae_gallery.py --epochs 5 --limit 20000
    python benchmarks/ae_gallery.py --only conv_autoencoder latent_noise

Each demo runs in-process with ``--dataset`` (default fashion-mnist), ``--epochs``, ``--limit``
and ``--seed``, writing into a scratch folder; the figures listed below are then copied into
``--gallery`` (default ``docs/gallery``) under an ``ae_`` name. ``latent_noise`` reuses the
weights ``conv_autoencoder`` saved, so it trains nothing. Every PNG is checked to be under
150 KB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ruff: noqa: E402
from demos import conv_autoencoder, denoising, latent_noise, pca_vs_autoencoder, super_resolution

MAX_BYTES = 150_000

#: (demo, extra arguments, {figure the demo writes: gallery name})
GALLERY = [
    (conv_autoencoder, [], {"reconstructions.png": "ae_reconstructions.png",
                            "codes.png": "ae_codes.png",
                            "random_codes.png": "ae_random_codes.png"}),
    (latent_noise, ["--weights", "{scratch}/conv_autoencoder/model.npz"],
     {"latent_noise.png": "ae_latent_noise.png"}),
    (denoising, [], {"denoising.png": "ae_denoising.png",
                     "other_dataset.png": "ae_denoising_other_dataset.png"}),
    (super_resolution, [], {"super_resolution_2x.png": "ae_super_resolution_2x.png",
                            "super_resolution_4x.png": "ae_super_resolution_4x.png",
                            "noise_4x.png": "ae_super_resolution_noise_4x.png"}),
    (pca_vs_autoencoder, [], {"codes_2d.png": "ae_codes_2d.png",
                              "mse_vs_code.png": "ae_mse_vs_code.png"}),
]


def _name(module) -> str:
    return module.__name__.split(".")[-1]


def main(argv=None) -> int:
    names = [_name(m) for m, _, _ in GALLERY]
    p = argparse.ArgumentParser(prog="python benchmarks/ae_gallery.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", default="fashion-mnist")
    p.add_argument("--epochs", type=int, default=25)
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", default=None)
    p.add_argument("--gallery", default=os.path.join("docs", "gallery"))
    p.add_argument("--only", nargs="+", default=None, metavar="DEMO",
                   help=f"run only these: {', '.join(names)}")
    args = p.parse_args(argv)
    chosen = args.only or names
    if set(chosen) - set(names):
        p.error(f"--only: unknown demo(s) {sorted(set(chosen) - set(names))}; choose from "
                f"{', '.join(names)}")
    if "latent_noise" in chosen and "conv_autoencoder" not in chosen:
        chosen = ["conv_autoencoder", *chosen]  # latent_noise reuses its weights
    os.makedirs(args.gallery, exist_ok=True)
    common = ["--dataset", args.dataset, "--epochs", str(args.epochs), "--seed", str(args.seed)]
    if args.limit:
        common += ["--limit", str(args.limit)]
    if args.data_dir:
        common += ["--data-dir", args.data_dir]
    with tempfile.TemporaryDirectory(prefix="minae-gallery-") as scratch:
        for module, extra, figures in GALLERY:
            name = _name(module)
            if name not in chosen:
                continue
            out = os.path.join(scratch, name)
            print(f"== {name} {' '.join(common)}")
            status = module.main(common + [a.format(scratch=scratch) for a in extra]
                                 + ["--out", out])
            if status:
                print(f"{name} failed with status {status}", file=sys.stderr)
                return status
            for src, dst in figures.items():
                target = os.path.join(args.gallery, dst)
                shutil.copyfile(os.path.join(out, src), target)
                size = os.path.getsize(target)
                flag = "" if size < MAX_BYTES else f"  (over {MAX_BYTES // 1000} KB!)"
                print(f"gallery: {target} {size // 1000} KB{flag}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
