"""Exercise maxpool2d: max pooling's backward pass (``minae/kernels/pool.py``)."""

from types import ModuleType

import numpy as np

from minae.exercises.harness import cast, get, library, numerical, unpack
from minae.exercises.spec import Case, Exercise, Mistake
from minae.exercises.specs.pool_cases import pool_cases


def run(mod: ModuleType, case: Case, out: dict) -> None:
    d = case.data
    y, winner = unpack(get(mod, "max_pool2d_forward")(cast(case, d["x"]), d["k"], d["s"],
                                                      d["pad"]), 2, "max_pool2d_forward")
    out["y"] = y
    out["dx"] = get(mod, "max_pool2d_backward")(cast(case, d["dy"]), winner, d["x"].shape,
                                                d["k"], d["s"], d["pad"])


def expected(case: Case) -> dict:
    d = case.data
    pool = library("minae.kernels.pool")
    x = d["x"].copy()
    y, winner = pool.max_pool2d_forward(x, d["k"], d["s"], d["pad"])
    if d["exact"]:  # ties (the first maximum wins) or too big to difference
        dx = pool.max_pool2d_backward(d["dy"], winner, x.shape, d["k"], d["s"], d["pad"])
        return {"y": (y, "minae"), "dx": (dx, "minae")}
    dx = numerical(lambda: float(np.sum(pool.max_pool2d_forward(x, d["k"], d["s"], d["pad"])[0]
                                        * d["dy"])), {"dx": x})["dx"]
    return {"y": (y, "minae"), "dx": (dx, "numerical")}


EXERCISE = Exercise(
    name="maxpool2d",
    title="max pooling's backward pass",
    module="minae.kernels.pool",
    objects=("max_pool2d_forward", "max_pool2d_backward"),
    calls=("max_pool2d_forward", "max_pool2d_backward"),
    where="max_pool2d_backward",
    task="""
        Write the body of max_pool2d_backward: send each window's dy to the tap that won it in
        the forward pass, then take the padding off. Read max_pool2d_forward first (in this
        file): it records, for every window, the winning tap t = p * KW + q (the first maximum
        when several entries tie).
        """,
    math="""
        y[n, c, i, j] = max_{p, q} xp[n, c, i*sh + p, j*sw + q], with xp the input padded with
        -inf. Near a point without ties, the max is just the winning entry, so

            dy[n, c, i, j] / dxp[n, c, r, s] = ?   (for the winner, and for the others)

        Several windows can share an input when they overlap (stride < kernel): what then?
        At a tie minae sends the gradient to the first maximum, the winner forward recorded.
        MaxPool2D (minae/layers/pooling.py) calls these two functions.
        """,
    shapes="""
        x, dx: (N, C, H, W); dy, winner: (N, C, OH, OW), OH = (H + pt + pb - KH) // sh + 1;
        dxp: (N, C, pt + H + pb, pl + W + pr). Tap (p, q) of every window at once is the strided
        slice xp[:, :, window_slice(p, sh, OH), window_slice(q, sw, OW)], (N, C, OH, OW).
        """,
    hints=(
        "The derivative of a max is 1 for the entry that is the max and 0 for the others: the "
        "window's dy goes to its winner, whole. Loop over the taps as the forward does.",
        "For tap t = (p, q), the windows it won are winner == t; dy * (winner == t) is "
        "what that tap receives (True counts as 1, False as 0), added (+=, windows may "
        "overlap) into the strided slice of dxp that tap reads. Then crop: the image starts "
        "pt rows and pl columns in.",
        "for t, p, q in _taps(kernel_size): dxp[:, :, window_slice(p, sh, OH), "
        "window_slice(q, sw, OW)] += dy * (winner == t);  then return "
        "dxp[:, :, pt:pt + H, pl:pl + W]",
    ),
    checked_by="""
        8 cases: 2x2 windows with stride 2, Keras's "same" on an odd size (7 -> 4), overlapping
        3x3 windows with stride 1, a 3x2 window with strides (2, 1) and uneven padding, a
        batch of 3 in float32 (compared at a float32 tolerance, dtype checked), a 28x28 image;
        their inputs are distinct values at least 0.1 apart, and dx is compared with the
        central-difference gradient of L = sum(max_pool2d_forward(x)[0] * dy). Two more cases
        hold ties (values 0, 1, 2), where dx is compared with minae's convention: the whole dy
        of a window goes to its first maximum.
        """,
    mistakes=(
        Mistake("sent the gradient to every entry of the window instead of only its maximum",
                "Only the winner affects the output: the others get 0 from that window. (Every "
                "entry sharing dy is average pooling, and even then it is divided.)",
                (("+= dy * (winner == t)", "+= dy"),)),
        Mistake("overwrote the gradient where windows overlap (= where += accumulates)",
                "With stride < kernel an input can win several windows; it collects the dy of "
                "every window it won, so add into dxp.",
                (("] += dy * (winner == t)", "] = dy * (winner == t)"),)),
        Mistake("off-by-one in the padding",
                "dx is the interior of dxp: it starts pt rows and pl columns in (the top and "
                "left padding). Keras's \"same\" pads only the bottom/right, so cropping at pb, pr "
                "shifts the image by one.",
                (("dxp[:, :, pt:pt + H, pl:pl + W]", "dxp[:, :, pb:pb + H, pr:pr + W]"),)),
    ),
    make_cases=lambda rng: pool_cases(rng, ties=True),
    run=run,
    expected=expected,
    next_step="The conv autoencoder's encoder pools three times: demos/conv_autoencoder.py.",
)
