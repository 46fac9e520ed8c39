"""Exercise upsample2d: upsampling's backward pass, nearest and bilinear.

The solution is minae's own code in ``minae/kernels/upsample.py``.
"""

from types import ModuleType

import numpy as np

from minae.exercises.harness import cast, get, library, numerical
from minae.exercises.spec import Case, Exercise, Mistake


def make_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for shape, scale, mode, dtype in [((2, 2, 3, 4), (2, 2), "nearest", np.float64),
                                      ((1, 3, 4, 3), (2, 3), "nearest", np.float64),
                                      ((2, 1, 3, 4), (2, 2), "bilinear", np.float64),
                                      ((1, 2, 4, 3), (3, 2), "bilinear", np.float64),
                                      ((3, 2, 4, 4), (2, 2), "nearest", np.float32),
                                      ((2, 2, 3, 5), (2, 1), "bilinear", np.float32),
                                      ((2, 2, 14, 14), (2, 2), "nearest", np.float64)]:
        x = rng.standard_normal(shape)
        block = scale[0] * scale[1]
        y_shape = shape[:2] + (shape[2] * scale[0], shape[3] * scale[1])
        label = f"x {shape}, scale_factor {scale}, mode {mode!r}" + \
            ("" if dtype == np.float64 else ", float32")
        cases.append(Case(label, {"x": x, "scale": scale, "mode": mode,
                                  "dy": rng.standard_normal(y_shape), "exact": x.size > 300},
                          {f"1/{block} (one over the block size)": 1 / block,
                           f"{block} (the block size)": block}, dtype))
    return cases


def run(mod: ModuleType, case: Case, out: dict) -> None:
    d = case.data
    out["y"] = get(mod, "upsample2d_forward")(cast(case, d["x"]), d["scale"], d["mode"])
    out["dx"] = get(mod, "upsample2d_backward")(cast(case, d["dy"]), d["x"].shape, d["scale"],
                                                d["mode"])


def expected(case: Case) -> dict:
    d = case.data
    up = library("minae.kernels.upsample")
    x = d["x"].copy()
    y = up.upsample2d_forward(x, d["scale"], d["mode"])
    if d["exact"]:
        dx = up.upsample2d_backward(d["dy"], x.shape, d["scale"], d["mode"])
        return {"y": (y, "minae"), "dx": (dx, "minae")}
    dx = numerical(lambda: float(np.sum(up.upsample2d_forward(x, d["scale"], d["mode"])
                                        * d["dy"])), {"dx": x})["dx"]
    return {"y": (y, "minae"), "dx": (dx, "numerical")}


EXERCISE = Exercise(
    name="upsample2d",
    title="upsampling's backward pass, nearest and bilinear",
    module="minae.kernels.upsample",
    objects=("bilinear_matrix", "upsample2d_forward", "upsample2d_backward"),
    calls=("upsample2d_forward", "upsample2d_backward"),
    old_names=("Upsample2D",),
    where="upsample2d_backward",
    task="""
        Write upsample2d_backward: return dx for mode "nearest" and for mode "bilinear".
        upsample2d_forward is in this file; bilinear builds the interpolation matrices A_h and
        A_w with bilinear_matrix. Upsample2D (minae/layers/upsample.py) calls these two.
        """,
    math="""
        Nearest: y[n, c, i, j] = x[n, c, i // sh, j // sw]: every input pixel is copied into an
        sh x sw block. dx[n, c, a, b] = ?

        Bilinear (for each image and channel): y = A_h @ x @ A_w.T, with A_h (H*sh, H) and
        A_w (W*sw, W) from bilinear_matrix. The map x -> y is linear, so dx = ?
        """,
    shapes="""
        x, dx: (N, C, H, W); y, dy: (N, C, H*sh, W*sw); A_h: (H*sh, H); A_w: (W*sw, W).
        """,
    hints=(
        "A copy sends its gradient back to the original: an input copied to sh * sw places "
        "collects the dy of all of them. For a linear map y = A x, dx = A.T dy.",
        "Nearest: forward wrote x into pixel (a, b) of every block, the slice "
        "y[:, :, a::sh, b::sw]; add up those slices of dy, for every a < sh and b < sw. "
        "Bilinear: transpose each matrix and apply them in the other order: "
        "dx = A_h.T @ dy @ A_w (matmul broadcasts over N and C).",
        'if mode == "nearest": dx = np.zeros((N, C, H, W), dtype=dy.dtype); then for a in '
        "range(sh), for b in range(sw): dx += dy[:, :, a::sh, b::sw]; return dx.  Bilinear: "
        "A_h, A_w = bilinear_matrix(H, sh), bilinear_matrix(W, sw) (cast to dy.dtype); return "
        "A_h.T @ (dy @ A_w)",
    ),
    checked_by="""
        7 cases: nearest and bilinear, square and non-square scale factors ((2, 3), (3, 2),
        (2, 1)), batches of 1 and several, one of each mode in float32 (compared with minae's
        float64 answer at a float32 tolerance, dtype checked), and a 14x14 image like the
        lesson's decoder (compared with minae's backward). y is compared with minae's forward,
        dx with the central-difference gradient of L = sum(forward(x) * dy).
        """,
    mistakes=(
        Mistake("averaged each block instead of summing it",
                "Each input pixel was copied sh * sw times and each copy passes its gradient "
                "back in full: sum the block, do not average it.",
                (("dx += dy[:, :, a::sh, b::sw]", "dx += dy[:, :, a::sh, b::sw] / (sh * sw)"),)),
        Mistake("took one pixel of each block instead of summing the block (= where += "
                "accumulates)",
                "dx = dy[:, :, a::sh, b::sw] keeps the gradient of one copy and drops the "
                "others; every copy contributes, so add them: dx += ...",
                (("dx += dy[:, :, a::sh, b::sw]", "dx = dy[:, :, a::sh, b::sw]"),)),
        Mistake("summed the wrong pixels together",
                "A block is sh x sw *adjacent* pixels: input row u went to output rows "
                "u*sh .. u*sh + sh - 1, so pixel (a, b) of every block is the strided slice "
                "dy[:, :, a::sh, b::sw]; the block dy[:, :, a*H:(a+1)*H, ...] is a quarter of "
                "the image, pixels H apart.",
                (("dy[:, :, a::sh, b::sw]", "dy[:, :, a * H:(a + 1) * H, b * W:(b + 1) * W]"),)),
        Mistake("used the interpolation matrices instead of their transposes",
                "y = A_h @ x @ A_w.T, so dx = A_h.T @ dy @ A_w: the backward of a linear map is "
                "its transpose.",
                (("A_h.T @ (dy @ A_w)", "A_h @ (dy @ A_w.T)"),)),
    ),
    make_cases=make_cases,
    run=run,
    expected=expected,
    next_step="The decoders upsample: demos/conv_autoencoder.py and demos/super_resolution.py.",
)
