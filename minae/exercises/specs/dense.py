"""Exercise dense: the backward pass of a fully connected layer (``minae/layers/dense.py``)."""

import numpy as np

from minae.exercises.harness import layer_case, layer_checks, with_upstream
from minae.exercises.spec import Case, Exercise, Mistake


def make_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    # one with D_in = D_out (a transposed W has the right shape), batch 1, float32
    for n, d_in, d_out, dtype in [(3, 4, 5, np.float64), (1, 3, 2, np.float64),
                                  (4, 3, 3, np.float64), (5, 2, 6, np.float64),
                                  (6, 5, 4, np.float32)]:
        params = {"W": rng.standard_normal((d_in, d_out)), "b": rng.standard_normal(d_out)}
        cases.append(layer_case(
            f"x ({n}, {d_in}), W ({d_in}, {d_out})", {"in_features": d_in, "out_features": d_out},
            rng.standard_normal((n, d_in)), params, dtype=dtype,
            factors={"N (the batch size)": n, "1/N (one over the batch size)": 1 / n}))
    return with_upstream(cases, rng, lambda c: (c.data["x"].shape[0], c.data["params"]["b"].size))


run, expected = layer_checks("minae.layers.dense", "Dense", dtype_arg=True)

EXERCISE = Exercise(
    name="dense",
    title="the backward pass of a fully connected layer",
    module="minae.layers.dense",
    objects=("Dense",),
    where="Dense.backward",
    task="""
        Write Dense.backward: given dy = dL/dy, store the gradients of W and b in
        self.grads["W"] and self.grads["b"] (write them, never add to them) and return
        dx = dL/dx. Forward kept the input in self.x.
        """,
    math="""
        Forward: y = x @ W + b, that is y[n, j] = sum_i x[n, i] W[i, j] + b[j].

        Each parameter gets the sum, over every y[n, j] it touches, of dy[n, j] times its
        coefficient in y[n, j]. Derive, entry by entry and then as one matrix expression:

            dW[i, j] = dL/dW[i, j]  = ?        (W[i, j] appears in y[n, j] for every n)
            db[j]    = dL/db[j]     = ?        (b[j] appears in y[n, j] for every n)
            dx[n, i] = dL/dx[n, i]  = ?        (x[n, i] appears in y[n, j] for every j)
        """,
    shapes="""
        x: (N, D_in), W: (D_in, D_out), b: (D_out,), y and dy: (N, D_out).
        Each gradient has the shape of what it is the gradient of: dW (D_in, D_out),
        db (D_out,), dx (N, D_in).
        """,
    hints=(
        "Each gradient has the shape of the thing it is the gradient of. Write the three "
        "target shapes down, then look at which products of x, W and dy can give them.",
        "b[j] is added to y[n, j] for every example n, so its gradient collects dy[n, j] from "
        "every example: a sum over the batch axis. W[i, j] multiplies x[n, i] in y[n, j] for "
        "every n: dW[i, j] = sum_n x[n, i] dy[n, j], a matrix product with the batch as the "
        "summed axis.",
        'self.grads["W"] = self.x.T @ dy  (D_in, N) @ (N, D_out); self.grads["b"] is dy summed '
        "over axis 0; dx = dy @ W.T  (N, D_out) @ (D_out, D_in).",
    ),
    checked_by="""
        5 cases with random shapes (one with D_in = D_out, so a transposed W has the right
        shape and only its values can give it away; one with a batch of 1; one in float32,
        the layers' default, compared with minae's float64 answer at a float32 tolerance and
        its dtype checked), random W, b, x and a random upstream gradient dy. Each of y, dx,
        dW and db (from a second forward and backward pass, so gradients that are added
        instead of written show) is compared with minae's forward and with the
        central-difference gradient of L = sum(forward(x) * dy).
        """,
    mistakes=(
        Mistake("forgot to sum the bias gradient over the batch",
                "b is added to every example's output, so db = dy.sum(axis=0): the sum over the "
                "batch of each example's dy (your db looks like one example's dy).",
                (("dy.sum(axis=0)", "dy[0]"),)),
        Mistake("averaged the bias gradient over the batch instead of summing it",
                "L already holds the whole batch; db = dy.sum(axis=0), not dy.mean(axis=0) "
                "(any averaging belongs to the loss, which scaled dy already).",
                (("dy.sum(axis=0)", "dy.mean(axis=0)"),)),
        Mistake("divided the weight gradient by the batch size N",
                "Dense's backward has no reduction of its own: dW = x.T @ dy sums over the "
                "batch, and any 1/N belongs to the loss, which already scaled dy.",
                (("self.x.T @ dy", "self.x.T @ dy / len(self.x)"),)),
        Mistake("transposed W's gradient",
                "dW must have W's shape (D_in, D_out): dW = x.T @ dy, not dy.T @ x "
                "(which is dW transposed).",
                (("self.x.T @ dy", "(dy.T @ self.x)"),)),
        Mistake("added to the gradients instead of writing them",
                "backward must *replace* self.grads (there is no zero_grad in minae): "
                'self.grads["W"] = ..., not +=. Your gradients grow with every backward pass.',
                (('self.grads["W"] = self.x.T', 'self.grads["W"] += self.x.T'),
                 ('self.grads["b"] = dy.sum', 'self.grads["b"] += dy.sum'))),
        Mistake("forgot to transpose W in dx",
                "dx = dy @ W.T: (N, D_out) @ (D_out, D_in). dy @ W only has a shape that fits "
                "when D_in = D_out, and then its values are wrong.",
                (('dy @ self.params["W"].T', 'dy @ self.params["W"]'),)),
    ),
    make_cases=make_cases,
    run=run,
    expected=expected,
    next_step="A dense autoencoder is Dense and ReLU layers: see demos/pca_vs_autoencoder.py.",
)
