"""The adversarial autoencoder (L14): a discriminator pushes the 2-D codes toward a prior.

Every mini-batch runs three phases, each with its own Adam over its own parameters:
reconstruction (encoder + decoder), discriminator (prior samples are "real", codes "fake"),
generator (the encoder learns to make the discriminator call its codes real). The lesson's
PyTorch notebook never trained its discriminator, and printed D loss 2 ln 2 = 1.386 and
G loss ln 2 = 0.693 throughout: the losses of a discriminator stuck at 1/2. Here they start
there, move away while the discriminator wins, and come back as the encoder catches up.

Figures (TAG is the prior, "normal" or "mixture", then "-unlabelled" with --no-labels and
"-no-adversary" with --no-adversary, so runs with different options do not overwrite each
other):

  aae_codes_TAG.png        the test set's 2-D codes over the prior's density, beside prior
                           samples
  aae_training_TAG.png     D and G losses (chance lines at 2 ln 2 and ln 2), D accuracy and
                           the reconstruction loss over training steps
  aae_generations_TAG.png  images decoded from prior samples (with --prior mixture: one row
                           per mixture component, which with labels is one row per digit)
  aae_manifold_TAG.png     (--prior normal) a 10x10 grid decoded over the prior's quantiles

Printed: each epoch's losses, then the test reconstruction BCE per pixel, how far the test
codes are from the prior (MMD^2 and the moment distance, at the start and at the end), and the
discriminator's accuracy on test codes against fresh prior samples (0.5: it cannot tell).

    python demos/adversarial_autoencoder.py --quick
    python demos/adversarial_autoencoder.py --prior mixture
    python demos/adversarial_autoencoder.py --prior mixture --no-labels
    python demos/adversarial_autoencoder.py --no-adversary     (the control: a plain AE)
"""

from __future__ import annotations

import os
import sys
import time

if __package__ in (None, ""):  # run as a script: make the repository's minae importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ruff: noqa: E402
import matplotlib
import matplotlib.lines
import matplotlib.ticker
import numpy as np

from minae import demo, metrics, plotting
from minae.adversarial import (
    CHANCE_D_LOSS,
    CHANCE_G_LOSS,
    PRIORS,
    AAEHistory,
    aae_optimizers,
    dense_aae,
    discriminator_accuracy,
    make_prior,
    mmd2,
    moment_distance,
    train_aae,
)
from minae.engine import FastEngine


def codes_figure(prior, codes, labels, prior_samples, prior_labels, *, title, class_names):
    """Prior samples (left) and the test codes (right), both over the prior's density."""
    both = np.concatenate([codes, prior_samples])
    both = both[np.isfinite(both).all(axis=1)]  # a diverged model's codes may not be finite
    lo, hi = np.percentile(both, [0.5, 99.5], axis=0)
    pad = 0.1 * (hi - lo).max()
    half = max(float(np.max(np.abs([lo - pad, hi + pad]))), 3.0)
    prior_extent = float(np.max(np.abs(np.percentile(prior_samples, [0.5, 99.5], axis=0))))
    half = min(half, 3.0 * prior_extent)  # codes flung far away (divergence) fall off the view
    g = np.linspace(-half, half, 150)
    grid = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
    density = np.exp(prior.log_density(grid)).reshape(len(g), len(g))
    levels = np.linspace(0, density.max(), 8)[1:]  # a few flat bands: a small PNG
    cmap = matplotlib.colormaps.get_cmap("tab10")
    fig, axes = plotting.subplots(1, 2, figsize=(8.4, 4.1))
    panels = [("prior samples" + (" (colour: component)" if prior_labels is not None else ""),
               prior_samples, prior_labels),
              ("codes of test images (colour: label)", codes, labels)]
    for ax, (name, z, c) in zip(axes, panels, strict=True):
        ax.contourf(g, g, density, levels=levels, cmap="Greys", alpha=0.5, extend="max")
        if c is None:
            ax.scatter(z[:, 0], z[:, 1], s=2, color="tab:blue", linewidths=0, rasterized=True)
        else:
            ax.scatter(z[:, 0], z[:, 1], s=2, c=c, cmap=cmap, vmin=-0.5, vmax=9.5,
                       linewidths=0, rasterized=True)
        ax.set_xlim(-half, half)
        ax.set_ylim(-half, half)
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
    handles = [matplotlib.lines.Line2D([], [], marker="o", ls="", color=cmap(k), markersize=5)
               for k in range(len(class_names))]
    fig.legend(handles, class_names, loc="center right", fontsize=7, frameon=False)
    fig.suptitle(title, fontsize=10)
    fig.subplots_adjust(left=0.05, right=0.9, bottom=0.07, top=0.83, wspace=0.15)
    return fig


def smooth(y, window: int) -> np.ndarray:
    """Moving average over ``window`` steps (shorter at the start)."""
    y = np.asarray(y, dtype=np.float64)
    if window <= 1 or len(y) < 2:
        return y
    c = np.cumsum(np.insert(y, 0, 0.0))
    idx = np.arange(1, len(y) + 1)
    start = np.maximum(0, idx - window)
    return (c[idx] - c[start]) / (idx - start)


def training_figure(history, steps_per_epoch: int, title: str):
    s = history.steps
    x = np.arange(1, len(s["d_loss"]) + 1) / max(steps_per_epoch, 1)
    w = max(1, steps_per_epoch // 2)
    fig, axes = plotting.subplots(3, 1, figsize=(6.4, 7.0), sharex=True)
    ax = axes[0]
    ax.plot(x, smooth(s["d_loss"], w), label="discriminator loss L_D")
    ax.plot(x, smooth(s["g_loss"], w), label="generator loss L_G")
    ax.axhline(CHANCE_D_LOSS, ls="--", color="tab:blue", lw=0.8,
               label=f"2 ln 2 = {CHANCE_D_LOSS:.3f} (D stuck at 1/2)")
    ax.axhline(CHANCE_G_LOSS, ls="--", color="tab:orange", lw=0.8,
               label=f"ln 2 = {CHANCE_G_LOSS:.3f}")
    ax.set_ylabel("nats", fontsize=9)
    ax.legend(fontsize=7)
    ax = axes[1]
    ax.plot(x, smooth(s["d_accuracy"], w), color="tab:green")
    ax.axhline(0.5, ls="--", color="grey", lw=0.8)
    ax.set_ylabel("D accuracy", fontsize=9)
    ax.set_ylim(0, 1)
    ax = axes[2]
    ax.plot(x, smooth(s["reconstruction"], w), color="tab:red")
    ax.set_ylabel("reconstruction\n(nats / image)", fontsize=9)
    ax.set_xlabel(f"epoch (curves: moving average over {w} steps)", fontsize=9)
    for ax in axes:
        ax.grid(True, alpha=0.3)
        ax.tick_params(labelsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def distances(codes, prior, seed: int) -> tuple[float, float]:
    sample = prior.sample(len(codes), np.random.default_rng(seed))
    return mmd2(codes, sample), moment_distance(codes, prior)


def main(argv=None) -> int:
    parser = demo.make_parser("adversarial_autoencoder", __doc__, epochs=20, quick_epochs=15,
                              lr=5e-4)  # --lr: the reconstruction phase
    parser.add_argument("--prior", choices=PRIORS, default="normal",
                        help="normal: N(0, I); mixture: 10 Gaussians on a circle (default normal)")
    parser.add_argument("--no-labels", action="store_true",
                        help="with --prior mixture: do not show the discriminator the labels "
                             "(digits are then not assigned to petals)")
    parser.add_argument("--no-adversary", action="store_true",
                        help="the control: never step the discriminator or the generator, so "
                             "this is a plain autoencoder (and a discriminator that never "
                             "learns, as in the lesson's notebook)")
    parser.add_argument("--adversarial-lr", type=float, default=1e-3,
                        help="Adam learning rate of the discriminator and generator phases "
                             "(default 1e-3, beta1 0.5)")
    args = demo.parse_args(parser, argv)
    return demo.run(lesson, args, parser)  # errors: one line, exit 2


def lesson(args, parser) -> None:
    """The demo itself, on parsed ``args`` (``parser`` for errors in the options)."""
    if args.no_labels and args.prior != "mixture":
        parser.error("--no-labels only applies to --prior mixture")
    for opt in ("lr", "adversarial_lr"):
        if not getattr(args, opt) > 0:
            parser.error(f"--{opt.replace('_', '-')} must be > 0; got {getattr(args, opt)}")
    train, test = demo.load_data(args, parser)

    use_labels = args.prior == "mixture" and not args.no_labels
    prior = make_prior(args.prior, 2)
    model = dense_aae(2, (256,), (64, 64), prior=prior,
                      n_classes=10 if use_labels else None, rng=np.random.default_rng(args.seed))
    model.use_engine(FastEngine())  # the fast kernel roads (minae.engine), visibly on
    print(f"prior: {prior!r}; discriminator sees labels: {use_labels}; "
          f"parameters: encoder {model.encoder.num_parameters():,}, decoder "
          f"{model.decoder.num_parameters():,}, discriminator "
          f"{model.discriminator.num_parameters():,}")
    mmd_0, mom_0 = distances(model.encode(test.images), prior, args.seed)

    opts = aae_optimizers(args.lr, args.adversarial_lr)
    if args.no_adversary:
        opts.discriminator.lr = opts.generator.lr = 0.0
    y_train = train.labels if use_labels else None
    t0 = time.perf_counter()
    history = AAEHistory()  # filled as it trains: kept if it is interrupted or diverges
    with demo.interruptible("training"), demo.diverges_gracefully(args):
        train_aae(model, train.images, y_train, optimizers=opts, epochs=args.epochs,
                  batch_size=args.batch_size, rng=np.random.default_rng(args.seed),
                  history=history)
    print(f"training: {time.perf_counter() - t0:.1f} s")
    if not history.steps["d_loss"] and not args.diverged:  # a Ctrl-C before the first step
        print("no training step finished; nothing to report")
        return

    # -- numbers ---------------------------------------------------------------------------
    codes = model.encode(test.images)
    logits = model.decode(codes)
    bce = metrics.bce_per_pixel(logits, test.images, logits=True)
    floor = metrics.bce_floor_per_pixel(test.images)
    mmd_1, mom_1 = distances(codes, prior, args.seed)
    rng = np.random.default_rng(args.seed + 1)
    y_test = test.labels if use_labels else None
    prior_test = prior.sample(len(codes), rng, y_test)
    model.eval()
    real = model.discriminate(prior_test, y_test)
    fake = model.discriminate(codes, y_test)
    model.train()
    acc = discriminator_accuracy(real, fake)
    print(f"test reconstruction: BCE {bce:.4f} per pixel (floor {floor:.4f} for these grey "
          f"pixels), {bce * 784:.1f} nats per image")
    print(f"test codes vs the prior: MMD^2 {mmd_0:.3f} -> {mmd_1:.3f}, moment distance "
          f"{mom_0:.3f} -> {mom_1:.3f} (before -> after training; 0 = indistinguishable)")
    print(f"test codes: mean ({codes[:, 0].mean():.2f}, {codes[:, 1].mean():.2f}), std "
          f"({codes[:, 0].std():.2f}, {codes[:, 1].std():.2f}); prior's std "
          f"({np.sqrt(prior.cov[0, 0]):.2f}, {np.sqrt(prior.cov[1, 1]):.2f})")
    print(f"discriminator accuracy on test codes vs fresh prior samples: {acc:.3f} "
          "(0.5: it cannot tell them apart)")
    if history.epochs["d_loss"]:  # none after a stop during the first epoch
        last = {k: v[-1] for k, v in history.epochs.items()}
        print(f"last epoch: D loss {last['d_loss']:.3f}, G loss {last['g_loss']:.3f} (a "
              f"discriminator stuck at 1/2 gives {CHANCE_D_LOSS:.3f} and {CHANCE_G_LOSS:.3f}), "
              f"D accuracy {last['d_accuracy']:.3f}")

    # -- figures ---------------------------------------------------------------------------
    tag = (args.prior + ("-unlabelled" if args.no_labels else "")
           + ("-no-adversary" if args.no_adversary else ""))
    what = "plain autoencoder (no adversary)" if args.no_adversary else "adversarial autoencoder"
    label_note = ", labels to D" if use_labels else ""
    n_show = min(len(codes), 2000)
    comp = None
    if args.prior == "mixture":
        comp = y_test if use_labels else rng.integers(0, prior.n_components, len(codes))
        prior_show = prior.sample(len(codes), rng, comp)
    else:
        prior_show = prior.sample(len(codes), rng)
    demo.save(codes_figure(
        prior, codes[:n_show], test.labels[:n_show], prior_show[:n_show],
        None if comp is None else comp[:n_show], class_names=list(test.class_names),
        title=f"{what}, {args.prior} prior{label_note}\n{test.name} test codes: MMD^2 to the "
              f"prior {mmd_1:.3f} (at the start {mmd_0:.3f})"), args, f"aae_codes_{tag}.png")
    steps_per_epoch = -(-len(train.images) // args.batch_size)
    if history.steps["d_loss"]:
        demo.save(training_figure(history, steps_per_epoch,
                                  f"{what}: the adversarial game, {args.prior} prior{label_note}"),
                  args, f"aae_training_{tag}.png")
    if args.prior == "mixture":
        k = np.repeat(np.arange(prior.n_components), 10)
        images = model.generate(prior.sample(len(k), rng, k).astype(np.float32))
        gen_title = (f"decoded prior samples, one row per mixture component"
                     f"{' (= digit)' if use_labels else ''}")
    else:
        images = model.generate(prior.sample(100, rng).astype(np.float32))
        gen_title = "decoded samples of N(0, I): new images from the prior"
    demo.save(plotting.image_grid(images, 10, title=gen_title, cell=0.55), args,
              f"aae_generations_{tag}.png")
    if args.prior == "normal":
        from scipy.stats import norm

        q = norm.ppf(np.linspace(0.05, 0.95, 10))
        grid = np.stack(np.meshgrid(q, q[::-1]), axis=-1)
        demo.save(plotting.latent_manifold(model.generate, grid=grid,
                                           title="decoded over the quantiles of N(0, I)"),
                  args, f"aae_manifold_{tag}.png")


if __name__ == "__main__":
    raise SystemExit(main())
