"""Figures for demos, benchmarks and notebooks: image rows, grids, code heat maps, latent
scatters and manifolds, curves.

Every function returns a ``matplotlib.figure.Figure`` (a ``NotebookFigure``) and draws nothing
on screen; pass it to ``save_figure(fig, path)`` (which writes a PNG, closes the figure and
returns the path), call ``fig.savefig(path)``, or use ``minae.demo.save`` in a demo, which also
prints the path. Images are shown with the grey colour map on a fixed [0, 1] scale (so a darker
picture really is darker), one row per thing, each row titled by what it is, with numbers such
as PSNR in the titles.

Notebooks and scripts
---------------------
Importing this module never changes matplotlib's backend (a script that writes PNGs with no
display chooses ``Agg`` itself, e.g. ``MPLBACKEND=Agg``; matplotlib also falls back to it when
there is no display). The figures are built with ``Figure`` directly, not with pyplot, so pyplot
does not know them: a notebook cell that ends in one of these functions shows the picture
exactly once (as the cell's result, through ``NotebookFigure._repr_png_``), not a second time
from pyplot's inline display, and nothing piles up in pyplot's list of open figures.

Images may be given as ``(N, 1, H, W)``, ``(N, H, W)`` or ``(N, H*W)`` with a square ``H*W``.

Functions
---------
image_rows(rows, ...)          one titled row per ``(title, images)``: originals vs reconstructions
image_grid(images, ncols, ...) a plain grid (random decodes, a manifold's tiles)
montage(images, ncols)         images tiled into one array (NaN gaps), for a single imshow
code_heatmaps(images, codes)   each image beside the heat maps of its code's channels
latent_scatter(panels, labels) 2-D codes coloured by label, several panels side by side
latent_manifold(decode, ...)   images decoded over a regular grid of a 2-D latent plane
curves(series, ...)            lines with markers (MSE vs code size, loss per epoch)
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence

import matplotlib
import matplotlib.pyplot as plt  # only to close figures a demo drew with pyplot (save_figure)
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

CMAP = "gray"
DPI = 100
CELL = 0.8  # inches per image tile


class NotebookFigure(Figure):
    """A ``Figure`` that shows itself in a notebook: IPython asks an object for its picture by
    calling ``_repr_png_``, so a cell whose result is this figure shows it once, whatever the
    backend. Everything else is ``matplotlib.figure.Figure``'s (``savefig`` included)."""

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=DPI)
        return buf.getvalue()


def subplots(nrows: int = 1, ncols: int = 1, **kwargs):
    """``(fig, axes)`` like ``pyplot.subplots``, but a ``NotebookFigure`` that pyplot never sees.

    ``figsize`` and the other ``Figure`` arguments go to the figure; the rest (``sharex``,
    ``squeeze``, ...) to ``Figure.subplots``. For a demo's own drawing.
    """
    figure_keys = ("figsize", "dpi", "layout", "constrained_layout", "tight_layout")
    fig = NotebookFigure(**{k: kwargs.pop(k) for k in figure_keys if k in kwargs})
    return fig, fig.subplots(nrows, ncols, **kwargs)


def as_images(images) -> np.ndarray:
    """``(N, 1, H, W)``, ``(N, H, W)`` or ``(N, H*W)`` (square) -> ``(N, H, W)`` float array."""
    x = np.asarray(images)
    if x.ndim == 4:
        if x.shape[1] != 1:
            raise ValueError(f"expected one-channel images (N, 1, H, W); got {x.shape}")
        return x[:, 0]
    if x.ndim == 3:
        return x
    if x.ndim == 2:
        side = int(round(np.sqrt(x.shape[1])))
        if side * side != x.shape[1]:
            raise ValueError(f"flat images (N, D) need a square D; got {x.shape}")
        return x.reshape(len(x), side, side)
    raise ValueError(f"expected images (N, 1, H, W), (N, H, W) or (N, H*W); got {x.shape}")


def _show(ax, img, vmin=0.0, vmax=1.0, cmap=CMAP) -> None:
    cm = matplotlib.colormaps[cmap].with_extremes(bad="white")  # NaN = the gaps between tiles
    ax.imshow(img, cmap=cm, vmin=vmin, vmax=vmax, interpolation="nearest", aspect="auto")
    ax.set_xticks([])
    ax.set_yticks([])
    for s in ax.spines.values():
        s.set_visible(False)


def montage(images: np.ndarray, ncols: int | None = None, *, gap: int | None = None,
            rows: int | None = None) -> np.ndarray:
    """Tile images ``(N, H, W)`` into one array, ``ncols`` per row, NaN gaps between them.

    One ``imshow`` of a montage is far faster than one axes per image (matplotlib spends
    ~30 ms setting up each axes). ``gap`` defaults to ``max(1, W // 14)`` pixels; ``rows``
    pads with blank (NaN) tiles to that many rows.
    """
    x = as_images(images).astype(np.float64)
    n, h, w = x.shape
    ncols = n if ncols is None else max(1, int(ncols))
    nrows = max(-(-n // ncols), rows or 0)
    g = max(1, w // 14) if gap is None else int(gap)
    canvas = np.full((nrows * (h + g) - g, ncols * (w + g) - g), np.nan)
    for k in range(n):
        i, j = divmod(k, ncols)
        canvas[i * (h + g):i * (h + g) + h, j * (w + g):j * (w + g) + w] = x[k]
    return canvas


def save_figure(fig, path: str | os.PathLike, *, dpi: int = DPI,
                colors: int | None = 256) -> str:
    """Write ``fig`` as a PNG at ``path`` (parent folders made), close it, return the path.

    With ``colors`` (default 256) the picture is stored with a palette of at most that many
    colours (Pillow's median cut): exact for grey images (256 levels), near-exact for plots, and
    3-4 times smaller than 24-bit PNG, so a gallery of figures stays small. ``None`` keeps RGB.
    """
    path = os.fspath(path)
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    buf = io.BytesIO()
    fig.savefig(buf, dpi=dpi, format="png")
    plt.close(fig)  # frees a pyplot figure (a demo's own drawing); ours are not pyplot's: no-op
    data = buf.getvalue()
    if colors:
        try:
            from PIL import Image

            img = Image.open(io.BytesIO(data)).convert("RGB")
            img = img.quantize(colors=colors, method=Image.Quantize.MEDIANCUT)
            out = io.BytesIO()
            img.save(out, format="PNG", optimize=True)
            data = out.getvalue()
        except ImportError:  # Pillow comes with matplotlib; without it, keep the RGB PNG
            pass
    with open(path, "wb") as f:
        f.write(data)
    return path


def image_rows(rows: Sequence[tuple[str, np.ndarray]], *, n: int | None = None,
               title: str | None = None, vmin: float = 0.0, vmax: float = 1.0) -> NotebookFigure:
    """One row of images per ``(row_title, images)``, the title above its row.

    Parameters
    ----------
    rows : sequence of (str, images)
        e.g. ``[("original", x), ("reconstruction (PSNR 21.3 dB)", x_hat)]``. Rows may have
        different image sizes (a 14x14 input above a 28x28 output): each tile fills its cell.
    n : int, optional
        Images per row (default: the shortest row's length, at most 10).
    title : str, optional
        The figure's title, above everything.
    """
    if not rows:
        raise ValueError("image_rows needs at least one (title, images) row")
    imgs = [as_images(x) for _, x in rows]
    n = min(min(len(x) for x in imgs), 10) if n is None else int(n)
    if n < 1:
        raise ValueError(f"image_rows: nothing to show (n={n})")
    head = 0.4 if title else 0.0
    row_h = CELL + 0.3
    fig = NotebookFigure(figsize=(max(n * CELL, 4.0), len(rows) * row_h + head))
    height = fig.get_figheight()
    top = 1.0 - head / height
    for r, ((label, _), x) in enumerate(zip(rows, imgs, strict=True)):
        y1 = top - r * row_h / height  # top of this row's band
        ax = fig.add_axes((0.005, y1 - row_h / height + 0.02 / height, 0.99, CELL / height))
        _show(ax, montage(x[:n], n), vmin, vmax)
        fig.text(0.5, y1 - 0.04 / height, label, ha="center", va="top", fontsize=9)
    if title:
        fig.text(0.5, 1 - 0.08 / height, title, ha="center", va="top", fontsize=10)
    return fig


def image_grid(images: np.ndarray, ncols: int = 10, *, title: str | None = None,
               vmin: float = 0.0, vmax: float = 1.0, cell: float = CELL) -> NotebookFigure:
    """A plain grid of images, row by row, ``ncols`` per row."""
    x = as_images(images)
    ncols = max(1, min(int(ncols), len(x)))
    nrows = int(np.ceil(len(x) / ncols))
    head = 0.4 if title else 0.05
    fig = NotebookFigure(figsize=(ncols * cell, nrows * cell + head))
    ax = fig.add_axes((0.005, 0.005, 0.99, 1 - head / fig.get_figheight() - 0.01))
    _show(ax, montage(x, ncols), vmin, vmax)
    if title:
        fig.suptitle(title, fontsize=10, y=1 - 0.05 / fig.get_figheight())
    return fig


def code_heatmaps(images: np.ndarray, codes: np.ndarray, *,
                  title: str | None = None) -> NotebookFigure:
    """Each image (left) beside its code's channels as heat maps (grey, per-row scale).

    ``images: (N, 1, H, W)``, ``codes: (N, C, h, w)`` (the conv autoencoder's ``(N, 8, 4, 4)``).
    The channels of one row share a colour scale from 0 to that code's maximum, so bright
    means "this feature fired strongly here"; the scale's top is written at the row's end.
    """
    x = as_images(images)
    z = np.asarray(codes)
    if z.ndim != 4 or len(z) != len(x):
        raise ValueError(f"code_heatmaps expected codes (N, C, h, w) for {len(x)} images; "
                         f"got {z.shape}")
    n, c = z.shape[:2]
    tops = np.maximum(z.reshape(n, -1).max(axis=1), 1e-8)
    head = 0.6 if title else 0.3
    fig = NotebookFigure(figsize=((c + 1) * CELL + 0.6, n * CELL + head))
    width, height = fig.get_figwidth(), fig.get_figheight()
    left_w = CELL / width  # the image column
    maps_x = left_w + 0.1 / width
    maps_w = 1 - maps_x - 0.6 / width
    for i in range(n):
        y = 1 - (head + (i + 1) * CELL) / height
        h = (CELL - 0.05) / height
        _show(fig.add_axes((0.005, y, left_w - 0.01, h)), x[i])
        ax = fig.add_axes((maps_x, y, maps_w, h))
        _show(ax, montage(z[i] / tops[i], c), 0.0, 1.0)
        fig.text(maps_x + maps_w + 0.05 / width, y + h / 2, f"max\n{tops[i]:.2g}", fontsize=7,
                 va="center")
    label_y = 1 - (head - 0.05) / height
    fig.text(left_w / 2, label_y, "image", ha="center", va="bottom", fontsize=8)
    for k in range(c):
        fig.text(maps_x + maps_w * (k + 0.5) / c, label_y, f"ch {k}", ha="center",
                 va="bottom", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10, y=1 - 0.05 / height)
    return fig


def latent_scatter(panels: Sequence[tuple[str, np.ndarray]], labels: np.ndarray, *,
                   class_names: Sequence[str] | None = None, title: str | None = None,
                   size: float = 3.6, point_size: float = 2.0, max_points: int = 10000,
                   rng: np.random.Generator | None = None) -> NotebookFigure:
    """2-D codes as scatter plots coloured by label, one panel per ``(panel_title, codes)``.

    ``codes: (N, 2)``; ``labels: (N,)`` ints. At most ``max_points`` points are drawn (a fixed
    random subset, the same for every panel, from ``rng`` or seed 0), in random order so no
    class is painted over all the others.
    """
    labels = np.asarray(labels)
    n = len(labels)
    for name, z in panels:
        if np.shape(z) != (n, 2):
            raise ValueError(f"latent_scatter panel {name!r}: expected codes ({n}, 2); "
                             f"got {np.shape(z)}")
    rng = np.random.default_rng(0) if rng is None else rng
    order = rng.permutation(n)[:max_points]
    classes = np.unique(labels)
    cmap = matplotlib.colormaps["tab10" if len(classes) <= 10 else "tab20"]
    fig = NotebookFigure(figsize=(size * len(panels) + 1.4, size + 0.5))
    axes = fig.subplots(1, len(panels), squeeze=False)
    for ax, (name, z) in zip(axes[0], panels, strict=True):
        z = np.asarray(z)[order]
        ax.scatter(z[:, 0], z[:, 1], c=labels[order], cmap=cmap, vmin=-0.5,
                   vmax=cmap.N - 0.5, s=point_size, linewidths=0, rasterized=True)
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
    handles = [Line2D([], [], marker="o", ls="", color=cmap(int(c)), markersize=5)
               for c in classes]
    names = [class_names[int(c)] if class_names is not None else str(int(c)) for c in classes]
    fig.legend(handles, names, loc="center left", fontsize=7, frameon=False,
               bbox_to_anchor=(1 - 1.2 / fig.get_figwidth(), 0.5))
    fig.subplots_adjust(left=0.05, right=1 - 1.3 / fig.get_figwidth(), bottom=0.1,
                        top=0.82 if title else 0.88, wspace=0.25)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def latent_manifold(decode: Callable[[np.ndarray], np.ndarray], *, n: int = 10,
                    extent: tuple[float, float, float, float] = (-3, 3, -3, 3),
                    grid: np.ndarray | None = None, title: str | None = None,
                    cell: float = 0.5) -> NotebookFigure:
    """Images decoded over a regular ``n x n`` grid of a 2-D latent plane (L6's picture).

    Parameters
    ----------
    decode : callable
        ``decode(z: (M, 2)) -> images (M, 1, H, W)`` in [0, 1], e.g. ``model.generate``.
    extent : (x_min, x_max, y_min, y_max)
        The square of the plane covered; the top row is ``y_max`` (as on a plot).
    grid : (n, n, 2) array, optional
        The latent points themselves (e.g. normal quantiles ``scipy.stats.norm.ppf``);
        overrides ``extent``.
    """
    if grid is None:
        xs = np.linspace(extent[0], extent[1], n)
        ys = np.linspace(extent[3], extent[2], n)
        grid = np.stack(np.meshgrid(xs, ys), axis=-1)  # (n, n, 2), row 0 = top
    grid = np.asarray(grid, dtype=np.float64)
    if grid.ndim != 3 or grid.shape[2] != 2:
        raise ValueError(f"latent_manifold grid must be (rows, cols, 2); got {grid.shape}")
    rows, cols = grid.shape[:2]
    imgs = as_images(decode(grid.reshape(-1, 2).astype(np.float32)))
    h, w = imgs.shape[1:]
    canvas = imgs.reshape(rows, cols, h, w).transpose(0, 2, 1, 3).reshape(rows * h, cols * w)
    fig = NotebookFigure(figsize=(cols * cell + 0.6, rows * cell + 0.7))
    ax = fig.subplots()
    ax.imshow(canvas, cmap=CMAP, vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks((np.arange(cols) + 0.5) * w, [f"{v:.1f}" for v in grid[0, :, 0]], fontsize=6)
    ax.set_yticks((np.arange(rows) + 0.5) * h, [f"{v:.1f}" for v in grid[:, 0, 1]], fontsize=6)
    ax.set_xlabel("z[0]", fontsize=8)
    ax.set_ylabel("z[1]", fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def curves(series: dict[str, tuple[Sequence[float], Sequence[float]]], *,
           xlabel: str = "", ylabel: str = "", title: str | None = None,
           logx: bool = False, logy: bool = False, xticks: Sequence[float] | None = None,
           annotate: bool = False) -> NotebookFigure:
    """Lines with markers, one per ``label -> (x, y)``; e.g. MSE against code size.

    ``annotate=True`` writes each point's value beside it (3 significant digits).
    """
    fig = NotebookFigure(figsize=(5.2, 3.6))
    ax = fig.subplots()
    for label, (x, y) in series.items():
        ax.plot(x, y, marker="o", markersize=4, label=label)
        if annotate:
            for xi, yi in zip(x, y, strict=True):
                ax.annotate(f"{yi:.3g}", (xi, yi), textcoords="offset points", xytext=(3, 4),
                            fontsize=7)
    if logx:
        ax.set_xscale("log", base=2)
    if logy:
        ax.set_yscale("log")
    if xticks is not None:
        ax.set_xticks(list(xticks), [f"{v:g}" for v in xticks])
    ax.set_xlabel(xlabel, fontsize=9)
    ax.set_ylabel(ylabel, fontsize=9)
    ax.tick_params(labelsize=8)
    ax.grid(True, alpha=0.3)
    if len(series) > 1:
        ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig
