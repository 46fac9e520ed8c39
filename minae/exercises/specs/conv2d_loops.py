"""Exercise conv2d_loops: the convolution's gradients by loops (``minae/kernels/reference.py``)."""

from types import ModuleType

from minae.exercises.harness import cast, each, get
from minae.exercises.spec import Case, Exercise, Mistake
from minae.exercises.specs.conv_cases import CONV_MATH, conv_cases, conv_expected


def run(mod: ModuleType, case: Case, out: dict) -> None:
    d = case.data
    geo = (d["stride"], d["padding"], d["dilation"])
    each(out, [
        ("dx", lambda: get(mod, "conv2d_input_grad_reference")(
            cast(case, d["dy"]), cast(case, d["w"]), d["x"].shape, *geo)),
        ("dw", lambda: get(mod, "conv2d_weight_grad_reference")(
            cast(case, d["x"]), cast(case, d["dy"]), d["w"].shape[2:], *geo)),
    ])


EXERCISE = Exercise(
    name="conv2d_loops",
    title="the convolution's gradients, by loops",
    module="minae.kernels.reference",
    objects=("conv2d_reference", "conv2d_input_grad_reference", "conv2d_weight_grad_reference"),
    calls=("conv2d_input_grad_reference", "conv2d_weight_grad_reference"),
    where="conv2d_input_grad_reference and conv2d_weight_grad_reference",
    task="""
        Write the innermost line of the two gradient loops, and the line that takes the padding
        off dx. The loops are the forward loop of conv2d_reference: each visits every term of
        the forward sum once, and the term sends its share of dy to the entry it read.
        """,
    math=CONV_MATH,
    hints=(
        "One term of the forward sum is xp[n, c, r, s] * w[f, c, p, q] with r = i*sh + p*dh and "
        "s = j*sw + q*dw, weighted in L by dy[n, f, i, j]. Its derivative with respect to each "
        "factor is the other factor times dy[n, f, i, j].",
        "Every term adds to a gradient, and many terms touch the same entry, so both lines are "
        "+=. The input gradient goes to the padded position r, s in dxp; at the end, the image "
        "is the part of dxp that starts pt rows down and pl columns across (_crop does it).",
        "dxp[n, c, i*sh + p*dh, j*sw + q*dw] += dy[n, f, i, j] * w[f, c, p, q];  "
        "dw[f, c, p, q] += dy[n, f, i, j] * xp[n, c, i*sh + p*dh, j*sw + q*dw_];  "
        "return _crop(dxp, padding, x_shape)",
    ),
    checked_by="""
        6 cases: strides 1, 2, (2, 1) and (1, 2), symmetric and uneven padding (Keras's "same"
        with an even kernel puts the extra row at the bottom), non-square kernels, a dilation
        of (2, 1), batches of 1 and several, one case in float32 (compared with minae's float64
        answer at a float32 tolerance, dtype checked); random x, w and upstream gradient dy. dx
        and dw are compared with the central-difference gradients of
        L = sum(conv2d_forward(x, w) * dy).
        """,
    mistakes=(
        Mistake("off-by-one in the padding",
                "dx is dxp without its padding: it starts pt rows and pl columns in (the top and "
                "left padding). With uneven padding the bottom/right padding is one more, so "
                "cropping at that offset shifts the image by one.",
                (("return _crop(dxp, padding, x_shape)",
                  "pt, pb, pl, pr = as_padding(padding)\n"
                  "return dxp[:, :, pb:pb + x_shape[2], pr:pr + x_shape[3]]"),)),
        Mistake("forgot the stride in the input index",
                "Output (i, j) reads the padded input at row i*sh + p*dh and column "
                "j*sw + q*dw: its gradient goes back to the same place.",
                (("dxp[n, c, i * sh + p * dh, j * sw + q * dw] += (",
                  "dxp[n, c, i + p * dh, j + q * dw] += ("),)),
        Mistake("flipped the kernel",
                "Deep-learning convolution is a cross-correlation: the forward reads "
                "w[f, c, p, q] for tap (p, q), unflipped, so its gradient uses the same tap.",
                (("dy[n, f, i, j] * w[f, c, p, q])",
                  "dy[n, f, i, j] * w[f, c, KH - 1 - p, KW - 1 - q])"),)),
        Mistake("overwrote dw instead of adding to it (= where += accumulates)",
                "One weight is used by every (n, i, j): its gradient is the sum of all their "
                "contributions, so dw[f, c, p, q] += ..., not =.",
                (("dw[f, c, p, q] += (", "dw[f, c, p, q] = ("),)),
        Mistake("overwrote dxp instead of adding to it (= where += accumulates)",
                "An input entry is read by several windows (and taps); its gradient is the sum "
                "of all of them, so dxp[...] += ..., not =.",
                (("dxp[n, c, i * sh + p * dh, j * sw + q * dw] += (",
                  "dxp[n, c, i * sh + p * dh, j * sw + q * dw] = ("),)),
    ),
    make_cases=lambda rng: conv_cases(rng, big=False),
    run=run,
    expected=conv_expected,
    next_step="Next, the same gradients as matrix products: the conv2d_im2col exercise.",
)
