"""Exercise conv2d_im2col: the convolution's gradients as matrix products.

The solution is minae's own code in ``minae/kernels/conv.py``.
"""

from types import ModuleType

from minae.exercises.harness import cast, each, get
from minae.exercises.spec import Case, Exercise, Mistake
from minae.exercises.specs.conv_cases import CONV_MATH, conv_cases, conv_expected


def run(mod: ModuleType, case: Case, out: dict) -> None:
    d = case.data
    geo = (d["stride"], d["padding"], d["dilation"])
    each(out, [
        ("dx", lambda: get(mod, "conv2d_input_grad")(cast(case, d["dy"]), cast(case, d["w"]),
                                                     d["x"].shape, *geo)),
        ("dw", lambda: get(mod, "conv2d_weight_grad")(cast(case, d["x"]), cast(case, d["dy"]),
                                                      d["w"].shape[2:], *geo)),
    ])


EXERCISE = Exercise(
    name="conv2d_im2col",
    title="the convolution's gradients, as matrix products (im2col / col2im)",
    module="minae.kernels.conv",
    objects=("conv2d_forward", "conv2d_input_grad", "conv2d_weight_grad"),
    calls=("conv2d_input_grad", "conv2d_weight_grad"),
    old_names=("conv2d_forward", "conv2d_input_grad", "conv2d_weight_grad"),
    where="conv2d_input_grad and conv2d_weight_grad",
    task="""
        In conv2d_input_grad and conv2d_weight_grad, write the matrix products (and, for dx,
        the add-back (col2im) and the crop). Read conv2d_forward first: it builds the column
        matrix cols, one row per output pixel, and computes y_rows = cols @ w_mat. These are
        the passes Conv2D runs (minae/layers/conv.py) when no engine is set. The module
        docstring of minae/kernels/im2col.py explains the layouts (the one of
        minae/kernels/conv.py gives the answer away: read it afterwards).
        """,
    math=CONV_MATH + """
    As matrices: y_rows = cols @ w_mat, (M, K) @ (K, F), with M = N*OH*OW rows (one per output
    pixel) and K = KH*KW*C. Differentiate a matrix product:

        dL/dw_mat = ?          dL/dcols = ?       (then col2im adds dcols back into dxp)

    The input gradient is done one tap (p, q) at a time: the block of dcols for tap t is
    dy_rows @ w_taps[t], (M, F) @ (F, C), and np.matmul does all taps in one call.
    """,
    hints=(
        "For y = A @ B: dL/dA = dy @ B.T and dL/dB = A.T @ dy; check each against the shapes.",
        "Input: np.matmul(dy_rows, w_taps) gives every tap's block, (KH*KW, M, C); reshape it "
        "to (KH, KW, N, OH, OW, C) for col2im, which adds the blocks into the padded, "
        "channels-last dxp (N, Hp, Wp, C); dx is its interior, starting pt rows and pl columns "
        "in, moved back to channels-first. Weights: cols.T @ dy_rows.",
        "dcols = np.matmul(dy_rows, w_taps); dxp = col2im(dcols.reshape(KH, KW, N, OH, OW, C), "
        "(N, pt + H + pb, pl + W + pr, C), stride, dilation); dx = dxp[:, pt:pt + H, "
        "pl:pl + W, :].transpose(0, 3, 1, 2).   dw_mat = cols.T @ dy_rows",
    ),
    checked_by="""
        8 cases: strides 1, 2, (2, 1) and (1, 2), symmetric and uneven padding (Keras's "same"
        with an even kernel puts the extra row at the bottom), non-square kernels, a dilation
        of (2, 1), batches of 1 and several, and two 28x28 images like the lesson's first
        layer; two cases in float32 (compared with minae's float64 answer at a float32
        tolerance, dtype checked). Small cases are compared with the central-difference
        gradients of L = sum(conv2d_forward(x, w) * dy), the 28x28 ones with minae's fast
        engine (minae.engine.FastEngine, another road to the same sums).
        """,
    mistakes=(
        Mistake("off-by-one in the padding",
                "dx is the interior of dxp: it starts pt rows and pl columns in (the top and "
                "left padding). With uneven padding the bottom/right padding is one more, so "
                "cropping at that offset shifts the image by one.",
                (("dxp[:, pt:pt + H, pl:pl + W, :]", "dxp[:, pb:pb + H, pr:pr + W, :]"),)),
        Mistake("cropped one row and column too far in",
                "The image starts right after the top padding, at row pt (0-based), not pt + 1.",
                (("dxp[:, pt:pt + H, pl:pl + W, :]",
                  "dxp[:, pt + 1:pt + 1 + H, pl + 1:pl + 1 + W, :]"),)),
        Mistake("forgot to take the padding off dx",
                "dxp is the padded, channels-last gradient: dx is its interior "
                "dxp[:, pt:pt + H, pl:pl + W, :], moved back to channels-first.",
                (("dxp[:, pt:pt + H, pl:pl + W, :]", "dxp"),)),
        Mistake("transposed the weight gradient's product: dy_rows.T @ cols",
                "dw_mat has w_mat's shape (K, F): dL/dB = A.T @ dY, so dw_mat = cols.T @ dy_rows. "
                "dy_rows.T @ cols is its transpose, which reshapes without an error into "
                "wrong numbers.",
                (("dw_mat = cols.T @ dy_rows", "dw_mat = (dy_rows.T @ cols).reshape(-1, F)"),)),
    ),
    make_cases=lambda rng: conv_cases(rng, big=True),
    run=run,
    expected=conv_expected,
    next_step="Conv2D (minae/layers/conv.py) calls these kernels: run `python -m "
              "minae.exercises train conv_autoencoder --quick` to train the lesson's model "
              "with them, then demos/conv_autoencoder.py.",
)
