"""Exercise conv_transpose2d: the transposed convolution as the adjoint.

The solution is minae's own code in ``minae/kernels/conv.py``.
"""

from types import ModuleType

import numpy as np

from minae.exercises.harness import cast, each, get, library, numerical
from minae.exercises.spec import Case, Exercise, Mistake

# (N, C_in, H, W, C_out, (KH, KW), (sh, sw), padding, (dh, dw), dtype)
SHAPES = [
    (2, 2, 3, 3, 3, (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), np.float64),   # a decoder's 2x
    (1, 3, 4, 3, 2, (2, 3), (1, 2), (0, 1, 1, 0), (1, 1), np.float64),
    (3, 1, 3, 4, 2, (3, 2), (2, 1), (0, 0, 0, 0), (2, 1), np.float64),
    (2, 2, 4, 4, 2, (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), np.float32),
]


def make_cases(rng: np.random.Generator) -> list[Case]:
    conv = library("minae.kernels.conv")
    cases = []
    for n, c_in, h, w, c_out, k, s, pad, d, dtype in SHAPES:
        x = rng.standard_normal((n, c_in, h, w))
        wt = rng.standard_normal((c_in, c_out) + k)
        y_shape = conv.conv_transpose2d_output_shape(x.shape, wt.shape, s, pad, d, (0, 0))
        label = f"x {x.shape}, w {wt.shape}, stride {s}, padding {pad}" + \
            (f", dilation {d}" if d != (1, 1) else "") + ("" if dtype == np.float64 else
                                                         ", float32")
        cases.append(Case(label, {"x": x, "w": wt, "y_shape": y_shape, "stride": s,
                                  "padding": pad, "dilation": d,
                                  "dy": rng.standard_normal(y_shape)}, {}, dtype))
    return cases


def run(mod: ModuleType, case: Case, out: dict) -> None:
    d = case.data
    geo = (d["stride"], d["padding"], d["dilation"])
    each(out, [
        ("y", lambda: get(mod, "conv_transpose2d_forward")(cast(case, d["x"]), cast(case, d["w"]),
                                                           d["y_shape"], *geo)),
        ("dx", lambda: get(mod, "conv_transpose2d_input_grad")(cast(case, d["dy"]),
                                                               cast(case, d["w"]), *geo)),
        ("dw", lambda: get(mod, "conv_transpose2d_weight_grad")(
            cast(case, d["x"]), cast(case, d["dy"]), d["w"].shape[2:], *geo)),
    ])


def expected(case: Case) -> dict:
    d = case.data
    ref = library("minae.kernels.reference")
    geo = (d["stride"], d["padding"], d["dilation"])
    x, w = d["x"].copy(), d["w"].copy()

    conv = library("minae.kernels.conv")
    y = ref.conv2d_input_grad_reference(x, w, d["y_shape"], *geo)  # the definition: A^T x
    grads = numerical(lambda: float(np.sum(conv.conv_transpose2d_forward(x, w, d["y_shape"], *geo)
                                           * d["dy"])), {"dx": x, "dw": w})
    return {"y": (y, "minae"), **{k: (v, "numerical") for k, v in grads.items()}}


EXERCISE = Exercise(
    name="conv_transpose2d",
    title="the transposed convolution, as the adjoint of the convolution",
    module="minae.kernels.conv",
    objects=("conv_transpose2d_forward", "conv_transpose2d_input_grad",
             "conv_transpose2d_weight_grad"),
    where="conv_transpose2d_forward, conv_transpose2d_input_grad and "
          "conv_transpose2d_weight_grad",
    task="""
        Write the three passes of the transposed convolution, each as one call of the
        convolution's passes (conv2d_forward, conv2d_input_grad, conv2d_weight_grad, imported
        for you): no new arithmetic. ConvTranspose2D (minae/layers/conv_transpose.py) runs
        them.
        """,
    math="""
        For a fixed w the convolution is a linear map x -> y = A x, and its input gradient is
        dx = A^T dy. The transposed convolution *is* A^T: y = A^T x. So

            forward:          y  = A^T x           = which pass of the convolution, on x?
            input gradient:   dx = (A^T)^T dy = ?  = which pass, on dy?
            weight gradient:  the convolution's weight gradient with the roles of input and
                              output swapped: which array is the convolution's input here?

        w has PyTorch's ConvTranspose2d layout (C_in, C_out, KH, KW): as a convolution's weight
        (F, C, KH, KW) it maps C_out channels to C_in, the adjoint direction.
        """,
    shapes="""
        x, dx: (N, C_in, H, W); w, dw: (C_in, C_out, KH, KW); y, dy: (N, C_out, OH, OW) with
        OH = (H - 1)*sh - pt - pb + dh*(KH - 1) + 1 (y_shape, given).
        """,
    hints=(
        "The convolution A maps (N, C_out, OH, OW) to (N, C_in, H, W) here; its input "
        "gradient maps back the other way, which is what the transposed forward must do.",
        "forward = conv2d_input_grad(x, w, y_shape, ...); input gradient = conv2d_forward(dy, "
        "w, ...); for the weights, dy plays the convolution's input and x its output gradient.",
        "return conv2d_input_grad(x, w, y_shape, stride, padding, dilation);  return "
        "conv2d_forward(dy, w, stride, padding, dilation);  return conv2d_weight_grad(dy, x, "
        "kernel_size, stride, padding, dilation)",
    ),
    checked_by="""
        4 cases: a decoder's stride-2 3x3 kernel, non-square kernels, strides (1, 2) and
        (2, 1), asymmetric padding, a dilation of (2, 1), batches of 1 and several, one case in
        float32 (compared at a float32 tolerance, dtype checked). y is compared with the loop
        definition (minae.kernels.reference), dx and dw with the central-difference gradients
        of L = sum(y * dy).
        """,
    mistakes=(
        Mistake("flipped the kernel in the forward pass",
                "A transposed convolution is the adjoint A^T, the convolution's input gradient "
                "with the same w; it equals a convolution with the flipped kernel only with "
                "full padding and swapped channels, which conv2d_input_grad does for you.",
                (("conv2d_input_grad(x, w, y_shape,", "conv2d_input_grad(x, w[:, :, ::-1, ::-1], "
                  "y_shape,"),)),
        Mistake("flipped the kernel in the input gradient",
                "(A^T)^T = A: the input gradient is the plain convolution of dy with the same, "
                "unflipped w.",
                (("conv2d_forward(dy, w,", "conv2d_forward(dy, w[:, :, ::-1, ::-1],"),)),
        Mistake("gave the weight gradient the arrays in the convolution's order (x, dy)",
                "Here dy is the convolution's input and x its output gradient: "
                "conv2d_weight_grad(dy, x, ...).",
                (("conv2d_weight_grad(dy, x,", "conv2d_weight_grad(x, dy,"),)),
    ),
    make_cases=make_cases,
    run=run,
    expected=expected,
    next_step="The conv VAE's decoder upsamples with ConvTranspose2D: demos/conv_vae.py.",
)
