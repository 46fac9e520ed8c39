"""The catalogue: one entry per exercise, in the order of the learning path.

An entry says where the solution lives (a library module and the top-level objects the
learner's file copies), what to tell the learner (the math to derive, the shapes, three hints,
each a bigger step than the last), how to check it (seeded cases, how to run the learner's code
on a case, and what the right answer is), and which mistakes to recognise.

A known mistake is a *mutant* of the solution: textual edits ``(old, new)`` on the solution's
source (see ``markers.render(..., "solution")``). The same mutants serve twice: the tests plant
each one and require the checker to fail it and name it, and the checker names the mistake
when a learner's numbers match a mutant's on the same cases.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType, SimpleNamespace

import numpy as np

from minae.exercises.markers import Piece, relative_source, wrap
from minae.gradcheck import numerical_gradient

H = 1e-6  # central-difference step


class LearnerError(Exception):
    """The learner's code is not shaped as the exercise expects (a message for the learner)."""


@dataclass(frozen=True)
class Mistake:
    """A common mistake, as edits of the solution source."""

    name: str
    explanation: str
    edits: tuple[tuple[str, str], ...]


@dataclass
class Case:
    """One seeded check case. ``factors``: named numbers a wrong answer may be off by."""

    label: str
    data: dict
    factors: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Exercise:
    name: str
    title: str
    module: str                    # the library module holding the solution
    objects: tuple[str, ...]       # its top-level classes/functions the learner's file copies
    task: str                      # what to write, in a sentence or two
    math: str                      # the math to derive
    shapes: str
    hints: tuple[str, str, str]
    checked_by: str                # how the checker decides
    mistakes: tuple[Mistake, ...]
    make_cases: Callable[[np.random.Generator], list[Case]]
    run: Callable[[ModuleType, Case, dict], None]    # fills outputs into the dict as it goes
    expected: Callable[[Case], dict[str, tuple[np.ndarray, str]]]  # name -> (value, kind)
    where: str                     # which function(s) of the solution to read afterwards
    next_step: str = ""

    @property
    def source(self) -> str:
        return relative_source(self.module)

    def docstring(self) -> str:
        rule = "-" * 18
        parts = [
            f"Exercise {self.name}: {self.title}.",
            wrap(self.task),
            "The math to derive\n" + rule + "\n" + wrap(self.math),
            "Shapes\n------\n" + wrap(self.shapes),
            "How it is checked\n-----------------\n" + wrap(self.checked_by),
            "Commands\n--------\n"
            f"    python -m minae.exercises check {self.name}     # after filling in the TODOs\n"
            f"    python -m minae.exercises hint {self.name}      # a nudge; run again for more",
            wrap(f"Generated from {self.source} ({self.where}) by `python -m minae.exercises "
                 "generate`; edit your copy, not the one inside the minae package."),
        ]
        return "\n\n".join(parts)

    def piece(self) -> Piece:
        return Piece(self.name, self.module, self.objects, self.docstring())

    def cases(self, seed: int = 0) -> list[Case]:
        return self.make_cases(np.random.default_rng(seed))


# --- helpers for running a learner's code ---------------------------------------------------

def get(mod: ModuleType, name: str):
    """``mod.name``, or a LearnerError that says what is missing."""
    try:
        return getattr(mod, name)
    except AttributeError:
        raise LearnerError(f"your file has no {name!r}; the exercise calls it (did you rename "
                           "or delete it?)") from None


def unpack(result, n: int, what: str) -> tuple:
    """``result`` as an n-tuple, or a LearnerError saying what came back instead."""
    if not isinstance(result, (tuple, list)) or len(result) != n:
        got = f"a {type(result).__name__}" if not isinstance(result, (tuple, list)) \
            else f"{len(result)} values"
        raise LearnerError(f"{what} must return {n} values; it returned {got}")
    return tuple(result)


def each(out: dict, parts: list[tuple[str, Callable[[], object]]]) -> None:
    """Compute each output on its own, so one that raises does not hide the others; then
    re-raise the first exception."""
    first = None
    for key, thunk in parts:
        try:
            out[key] = thunk()
        except Exception as exc:  # re-raised below, after the other parts had their turn
            first = first or exc
    if first is not None:
        raise first


def library(module: str) -> ModuleType:
    return importlib.import_module(module)


def numerical(objective: Callable[[], float], tensors: dict[str, np.ndarray]) -> dict:
    """Central-difference gradients of ``objective`` w.r.t. each (float64) tensor, in place."""
    return {k: numerical_gradient(objective, t, h=H) for k, t in tensors.items()}


def away_from_zero(rng: np.random.Generator, shape, gap: float = 0.1) -> np.ndarray:
    """Normal draws pushed off ``(-gap, gap)``: keeps ReLU's kink away from the differences."""
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < gap, np.where(x < 0, -gap, gap), x)


# --- layers: y = forward(x), dx = backward(dy), grads -----------------------------------------

def layer_case(label: str, init: dict, x: np.ndarray, params: dict, rng) -> Case:
    return Case(label, {"init": init, "x": x, "params": params, "g": None}, {})


def layer_checks(module: str, cls: str):
    """``run`` and ``expected`` for a layer: y, dx and every parameter gradient."""

    def build(mod, case):
        layer = get(mod, cls)(**case.data["init"])
        for k, v in case.data["params"].items():
            if k not in getattr(layer, "params", {}):
                raise LearnerError(f"{cls}.params has no {k!r}")
            layer.params[k][...] = v
        return layer

    def run(mod, case, out):
        layer = build(mod, case)
        for _ in range(2):  # twice: backward must write the gradients, not add to them
            out["y"] = layer.forward(case.data["x"].copy())
            grads = getattr(layer, "grads", {})
            before = {k: (id(v), np.array(v, copy=True)) for k, v in grads.items()}
            try:
                out["dx"] = layer.backward(case.data["g"].copy())
            except Exception:
                # keep the gradients backward did write before it raised
                for k in case.data["params"]:
                    v = grads.get(k)
                    if k in grads and (k not in before or id(v) != before[k][0]
                                       or not np.array_equal(v, before[k][1])):
                        out["d" + k] = v
                raise
            for k in case.data["params"]:
                out["d" + k] = layer.grads.get(k)

    def expected(case):
        layer = build(library(module), case)
        x = case.data["x"].copy()
        g = case.data["g"]
        res = {"y": (layer.forward(x), "minae")}
        grads = numerical(lambda: float(np.sum(layer.forward(x) * g)),
                          {"dx": x, **{"d" + k: v for k, v in layer.params.items()}})
        res.update({k: (v, "numerical") for k, v in grads.items()})
        return res

    return run, expected


def with_upstream(cases: list[Case], rng, out_shape) -> list[Case]:
    for c in cases:
        c.data["g"] = rng.standard_normal(out_shape(c))
    return cases


# --- dense ------------------------------------------------------------------------------------

def _dense_cases(rng):
    cases = []
    for n, d_in, d_out in [(3, 4, 5), (1, 3, 2), (4, 3, 3), (5, 2, 6)]:
        params = {"W": rng.standard_normal((d_in, d_out)), "b": rng.standard_normal(d_out)}
        c = layer_case(f"x ({n}, {d_in}), W ({d_in}, {d_out})",
                       {"in_features": d_in, "out_features": d_out, "dtype": np.float64},
                       rng.standard_normal((n, d_in)), params, rng)
        c.factors = {"N (the batch size)": n, "1/N (one over the batch size)": 1 / n}
        cases.append(c)
    return with_upstream(cases, rng, lambda c: (c.data["x"].shape[0], c.data["params"]["b"].size))


_dense_run, _dense_expected = layer_checks("minae.layers.dense", "Dense")

DENSE = Exercise(
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
        Float64, 4 cases with random shapes (one with D_in = D_out, so a transposed W has the
        right shape and only its values can give it away), random W, b, x and a random upstream
        gradient dy. Each of y, dx, dW and db (from a second forward and backward pass, so
        gradients that are added instead of written show) is compared with minae's forward and
        with the central-difference gradient of L = sum(forward(x) * dy).
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
    make_cases=_dense_cases,
    run=_dense_run,
    expected=_dense_expected,
    next_step="A dense autoencoder is Dense and ReLU layers: see demos/pca_vs_autoencoder.py.",
)


# --- relu and sigmoid -------------------------------------------------------------------------

def _act_cases(rng, kinked: bool):
    cases = []
    for shape in [(3, 5), (2, 3, 4, 4), (1, 7)]:
        x = 2.0 * (away_from_zero(rng, shape) if kinked else rng.standard_normal(shape))
        cases.append(layer_case(f"x {shape}", {}, x, {}, rng))
    return with_upstream(cases, rng, lambda c: c.data["x"].shape)


_relu_run, _relu_expected = layer_checks("minae.layers.activations", "ReLU")
_sigmoid_run, _sigmoid_expected = layer_checks("minae.layers.activations", "Sigmoid")

RELU = Exercise(
    name="relu",
    title="ReLU: what forward must keep, and the backward pass",
    module="minae.layers.activations",
    objects=("ReLU",),
    where="ReLU.forward and ReLU.backward",
    task="""
        Write ReLU.forward (return max(x, 0), and keep on self whatever backward will need) and
        ReLU.backward (return dx = dL/dx). The layer has no parameters.
        """,
    math="""
        y = max(x, 0) element by element, so y[i] depends on x[i] alone and the chain rule
        has one term per element:

            dx[i] = dL/dx[i] = dy[i] * f'(x[i]),        f'(x) = ?

        At x = 0 there is no derivative; use 0 there (every framework does). What is the
        smallest thing forward can store so that backward can compute f'(x)?
        """,
    shapes="x, y, dy, dx: any shape, all the same.",
    hints=(
        "The derivative of max(x, 0) is a step: 1 where x > 0, 0 elsewhere. The chain rule "
        "multiplies it by dy, element by element.",
        "Forward can store a boolean mask of where the input is positive; backward multiplies "
        "dy by it. Multiplying by the output y itself is not the same thing.",
        "forward: self.mask = x > 0; return x * self.mask.   backward: return dy * self.mask.",
    ),
    checked_by="""
        Float64, 3 cases of random shapes, inputs kept at least 0.2 away from the kink at 0, a
        random upstream gradient dy. y is compared with minae's ReLU, dx with the
        central-difference gradient of L = sum(forward(x) * dy).
        """,
    mistakes=(
        Mistake("used the output instead of the input in the ReLU mask",
                "dx = dy * (x > 0): multiply by the 0/1 derivative, which depends on the input's "
                "sign, not by the output y = max(x, 0) itself.",
                (("self.mask = x > 0", "self.y = np.maximum(x, 0)"),
                 ("return x * self.mask", "return self.y"),
                 ("return dy * self.mask", "return dy * self.y"))),
        Mistake("masked with the sign of dy instead of the sign of x",
                "Whether a unit passes the gradient depends on its input x (was it active in "
                "forward?), not on the sign of the incoming gradient dy.",
                (("return dy * self.mask", "return dy * (dy > 0)"),)),
        Mistake("forgot to multiply by the upstream gradient dy",
                "The chain rule: dx = dy * f'(x). The mask alone is f'(x).",
                (("return dy * self.mask", "return self.mask * 1.0"),)),
        Mistake("passed dy through without the mask",
                "Where x <= 0, y does not change when x does, so dx must be 0 there.",
                (("return dy * self.mask", "return dy"),)),
    ),
    make_cases=lambda rng: _act_cases(rng, kinked=True),
    run=_relu_run,
    expected=_relu_expected,
    next_step="ReLU sits after every hidden layer of every demo, e.g. demos/conv_autoencoder.py.",
)

SIGMOID = Exercise(
    name="sigmoid",
    title="the sigmoid's backward pass, from what forward kept",
    module="minae.layers.activations",
    objects=("Sigmoid",),
    where="Sigmoid.backward",
    task="""
        Write Sigmoid.backward: return dx = dL/dx. Forward kept only its output, self.y =
        sigmoid(x); write the derivative in terms of it, so nothing is recomputed.
        """,
    math="""
        y = s(x) = 1 / (1 + exp(-x)). Differentiate and express the result with y alone:

            s'(x) = exp(-x) / (1 + exp(-x))^2 = ?  (in terms of y = s(x))

        then dx = dy * s'(x), element by element.
        """,
    shapes="x, y, dy, dx: any shape, all the same.",
    hints=(
        "Write exp(-x) / (1 + exp(-x))^2 as [1 / (1 + exp(-x))] * [exp(-x) / (1 + exp(-x))]. "
        "What is each factor in terms of y?",
        "The first factor is y. The second is 1 minus the first. The derivative is a function "
        "of y: do not apply sigmoid to y again.",
        "return dy * self.y * (1.0 - self.y)",
    ),
    checked_by="""
        Float64, 3 cases of random shapes, random inputs and a random upstream gradient dy. dx
        is compared with the central-difference gradient of L = sum(forward(x) * dy).
        """,
    mistakes=(
        Mistake("applied the derivative to the output: s'(y) instead of s'(x)",
                "s'(x) = y (1 - y) with y = s(x), what forward kept; sigmoid(y) * (1 - "
                "sigmoid(y)) applies the sigmoid a second time.",
                (("return dy * self.y * (1.0 - self.y)",
                  "return dy * sigmoid(self.y) * (1.0 - sigmoid(self.y))"),)),
        Mistake("forgot the (1 - y) factor",
                "s'(x) = y (1 - y): both factors.",
                (("return dy * self.y * (1.0 - self.y)", "return dy * self.y"),)),
        Mistake("flipped the sign: y (y - 1)",
                "The sigmoid is increasing, so s'(x) = y (1 - y) > 0.",
                (("return dy * self.y * (1.0 - self.y)",
                  "return dy * self.y * (self.y - 1.0)"),)),
        Mistake("forgot to multiply by the upstream gradient dy",
                "The chain rule: dx = dy * s'(x).",
                (("return dy * self.y * (1.0 - self.y)", "return self.y * (1.0 - self.y)"),)),
    ),
    make_cases=lambda rng: _act_cases(rng, kinked=False),
    run=_sigmoid_run,
    expected=_sigmoid_expected,
    next_step="The conv autoencoder ends in a sigmoid: demos/conv_autoencoder.py.",
)


# --- losses -----------------------------------------------------------------------------------

_LOSS_SHAPES = [((4, 6), "batch"), ((2, 1, 3, 3), "mean"), ((3, 5), "sum"), ((1, 4), "batch")]


def _loss_cases(rng, logits: bool):
    cases = []
    for shape, reduction in _LOSS_SHAPES:
        p = 3.0 * rng.standard_normal(shape) if logits else rng.random(shape)
        t = rng.random(shape)
        s = {"batch": shape[0], "mean": int(np.prod(shape)), "sum": 1}[reduction]
        factors = {"s (what the reduction divides by)": s, "1/s": 1 / s} if s > 1 else {}
        cases.append(Case(f"{shape}, reduction={reduction!r}",
                          {"p": p, "t": t, "reduction": reduction}, factors))
    return cases


def loss_checks(module: str, fn: str):
    def run(mod, case, out):
        d = case.data
        value, grad = unpack(get(mod, fn)(d["p"].copy(), d["t"].copy(), reduction=d["reduction"]),
                             2, fn)
        out["value"] = np.asarray(value)
        out["grad"] = grad

    def expected(case):
        d = case.data
        f = getattr(library(module), fn)
        p = d["p"].copy()
        value = np.asarray(f(p, d["t"], reduction=d["reduction"])[0])
        grad = numerical(lambda: f(p, d["t"], reduction=d["reduction"])[0], {"grad": p})
        return {"value": (value, "minae"), "grad": (grad["grad"], "numerical")}

    return run, expected


_mse_run, _mse_expected = loss_checks("minae.losses", "mse")
_bce_run, _bce_expected = loss_checks("minae.losses", "binary_cross_entropy_with_logits")

MSE = Exercise(
    name="mse",
    title="the squared-error loss and its gradient",
    module="minae.losses",
    objects=("mse",),
    where="mse",
    task="""
        Finish mse: return the loss value (a float) and grad = dL/dprediction, both under the
        reduction: "batch" divides the sum by N, "mean" by the number of elements, "sum" by 1
        (s, computed for you).
        """,
    math="""
        With d = p - t (element by element) and s the reduction's divisor:

            L = sum(d**2) / s          dL/dp[i] = ?
        """,
    shapes="prediction, target, grad: (N, ...), all the same; the value is a float.",
    hints=(
        "Differentiate one term, (p[i] - t[i])**2 / s, with respect to p[i]; no other term "
        "depends on p[i].",
        "The square gives a factor 2 and the division by s stays: the gradient has the "
        "prediction's shape.",
        "return float(np.sum(diff * diff) / s), 2.0 * diff / s",
    ),
    checked_by="""
        Float64, 4 cases: shapes (N, D) and (N, C, H, W), each reduction. The value is compared
        with minae's mse and grad with the central-difference gradient of the value.
        """,
    mistakes=(
        Mistake("forgot the factor 2 from the square",
                "d/dp (p - t)**2 = 2 (p - t).",
                (("2.0 * diff / s", "diff / s"),)),
        Mistake("did not divide the gradient by the reduction's s",
                "The value is divided by s, so every term of its gradient is too.",
                (("2.0 * diff / s", "2.0 * diff"),)),
        Mistake("flipped the sign of the gradient: 2 (t - p)",
                "The loss grows as p moves away from t: dL/dp = 2 (p - t) / s.",
                (("2.0 * diff / s", "-2.0 * diff / s"),)),
    ),
    make_cases=lambda rng: _loss_cases(rng, logits=False),
    run=_mse_run,
    expected=_mse_expected,
    next_step="The lesson's VAE uses the summed squared error: demos/vae.py.",
)

BCE_WITH_LOGITS = Exercise(
    name="bce_with_logits",
    title="binary cross-entropy on logits, and why its gradient is so simple",
    module="minae.losses",
    objects=("binary_cross_entropy_with_logits",),
    where="binary_cross_entropy_with_logits",
    task="""
        Finish binary_cross_entropy_with_logits: return the loss value (a float; the
        element-wise loss is computed for you) and grad = dL/dlogits under the reduction
        (divide by s).
        """,
    math="""
        With p = sigmoid(z) the element-wise loss is l = -(t log p + (1 - t) log(1 - p)).
        Chain rule through the sigmoid (s'(z) = p (1 - p)):

            dl/dz = dl/dp * dp/dz = ?       and then   dL/dz = (dl/dz) / s

        Simplify until nothing can overflow.
        """,
    shapes="logits, target, grad: (N, ...), all the same; the value is a float.",
    hints=(
        "Start from dl/dp = (p - t) / (p (1 - p)), the gradient of BCE on probabilities.",
        "Multiply by dp/dz = p (1 - p): the denominators cancel. What is left uses p = "
        "sigmoid(z) (imported for you) and t.",
        "return float(np.sum(loss) / s), (sigmoid(z) - t) / s",
    ),
    checked_by="""
        Float64, 4 cases: shapes (N, D) and (N, C, H, W), each reduction, logits of scale 3,
        grey targets in [0, 1]. The value is compared with minae's and grad with the
        central-difference gradient of the value.
        """,
    mistakes=(
        Mistake("used the gradient for probabilities, not for logits",
                "(p - t) / (p (1 - p)) is dl/dp; the loss here takes logits, so multiply by "
                "dp/dz = p (1 - p), which cancels the denominator: dl/dz = sigmoid(z) - t.",
                (("(sigmoid(z) - t) / s",
                  "(sigmoid(z) - t) / (sigmoid(z) * (1.0 - sigmoid(z))) / s"),)),
        Mistake("used the logit instead of its sigmoid: z - t",
                "dl/dz = sigmoid(z) - t: the prediction is p = sigmoid(z), not z.",
                (("(sigmoid(z) - t) / s", "(z - t) / s"),)),
        Mistake("flipped the sign of the gradient: t - sigmoid(z)",
                "When sigmoid(z) > t the loss falls as z falls, so dl/dz = sigmoid(z) - t > 0.",
                (("(sigmoid(z) - t) / s", "(t - sigmoid(z)) / s"),)),
        Mistake("did not divide the gradient by the reduction's s",
                "The value is divided by s, so every term of its gradient is too.",
                (("(sigmoid(z) - t) / s", "(sigmoid(z) - t)"),)),
    ),
    make_cases=lambda rng: _loss_cases(rng, logits=True),
    run=_bce_run,
    expected=_bce_expected,
    next_step="Every conv autoencoder demo trains on this loss: demos/conv_autoencoder.py.",
)


# --- convolution ------------------------------------------------------------------------------

# (N, C, H, W, F, (KH, KW), stride, padding (pt, pb, pl, pr), dilation)
_CONV_SHAPES = [
    (2, 2, 5, 5, 3, (3, 3), 1, (1, 1, 1, 1), 1),
    (3, 1, 6, 5, 2, (3, 2), 2, (0, 0, 0, 0), 1),
    (3, 3, 4, 4, 2, (2, 2), 1, (0, 1, 0, 1), 1),   # "same" with an even kernel: extra bottom/right
    (2, 2, 7, 6, 2, (3, 3), 2, (1, 2, 0, 1), 1),   # stride 2, uneven padding
    (1, 1, 7, 7, 2, (3, 3), 1, (2, 2, 2, 2), 2),   # dilation 2
]


def _conv_cases(rng):
    conv = library("minae.kernels.conv")
    cases = []
    for n, c, h, w, f, k, s, pad, d in _CONV_SHAPES:
        x = rng.standard_normal((n, c, h, w))
        wt = rng.standard_normal((f, c) + k)
        y_shape = conv.conv2d_forward(x, wt, s, pad, d).shape
        label = (f"x {x.shape}, w {wt.shape}, stride {s}, padding {pad}"
                 + (f", dilation {d}" if d > 1 else ""))
        cases.append(Case(label, {"x": x, "w": wt, "stride": (s, s), "padding": pad,
                                  "dilation": (d, d), "dy": rng.standard_normal(y_shape)}))
    return cases


def _conv_expected(case):
    d = case.data
    conv = library("minae.kernels.conv")
    x, w = d["x"].copy(), d["w"].copy()
    grads = numerical(
        lambda: float(np.sum(conv.conv2d_forward(x, w, d["stride"], d["padding"], d["dilation"])
                             * d["dy"])), {"dx": x, "dw": w})
    return {k: (v, "numerical") for k, v in grads.items()}


def _conv_runner(input_grad: str, weight_grad: str, chunks: bool):
    def run(mod, case, out):
        d = case.data
        geo = (d["stride"], d["padding"], d["dilation"])
        with _small_chunks(chunks):
            each(out, [
                ("dx", lambda: get(mod, input_grad)(d["dy"].copy(), d["w"].copy(), d["x"].shape,
                                                    *geo)),
                ("dw", lambda: get(mod, weight_grad)(d["x"].copy(), d["dy"].copy(),
                                                     d["w"].shape[2:], *geo)),
            ])
    return run


class _small_chunks:
    """Make the fast kernels work one image per chunk, so the chunk loop really loops."""

    def __init__(self, active: bool):
        self.active = active

    def __enter__(self):
        if self.active:
            self.conv = library("minae.kernels.conv")
            self.old = self.conv.CHUNK_BYTES
            self.conv.CHUNK_BYTES = 1

    def __exit__(self, *exc):
        if self.active:
            self.conv.CHUNK_BYTES = self.old


_CONV_MATH = """
    The forward pass (read it first, it is in this file) is a sum of products:

        y[n, f, i, j] = sum_{c, p, q} xp[n, c, i*sh + p*dh, j*sw + q*dw] * w[f, c, p, q]

    where xp is x with pt, pb zero rows on top and bottom and pl, pr zero columns left and
    right. L = sum(y * dy), so each term of that sum contributes to two gradients. Derive

        dL/dw[f, c, p, q] = ?             dL/dxp[n, c, r, s] = ?

    and then dx from dxp: the padding is not part of x.
    """
_CONV_SHAPES_TEXT = """
    x, dx: (N, C, H, W); w, dw: (F, C, KH, KW); y, dy: (N, F, OH, OW) with
    OH = (H + pt + pb - dh*(KH - 1) - 1) // sh + 1 (and so for OW).
    """
_CONV_CHECK = """
    Float64, 5 cases: stride 1 and 2, symmetric and uneven padding (Keras's "same" with an even
    kernel puts the extra row at the bottom), a non-square kernel and a dilation of 2; random x,
    w and upstream gradient dy. dx and dw are compared with the central-difference gradients of
    L = sum(conv2d_forward(x, w) * dy), minae's fast forward.
    """

CONV2D_LOOPS = Exercise(
    name="conv2d_loops",
    title="the convolution's gradients, by loops",
    module="minae.kernels.reference",
    objects=("conv2d_reference", "conv2d_input_grad_reference", "conv2d_weight_grad_reference"),
    where="conv2d_input_grad_reference and conv2d_weight_grad_reference",
    task="""
        Write the innermost line of the two gradient loops, and the line that takes the padding
        off dx. The loops are the forward loop of conv2d_reference: each visits every term of
        the forward sum once, and the term sends its share of dy to the entry it read.
        """,
    math=_CONV_MATH,
    shapes=_CONV_SHAPES_TEXT,
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
    checked_by=_CONV_CHECK,
    mistakes=(
        Mistake("off-by-one in the padding",
                "dx is dxp without its padding: it starts pt rows and pl columns in (the top and "
                "left padding). With uneven padding the bottom/right padding is one more, so "
                "cropping at that offset shifts the image by one.",
                (("return _crop(dxp, padding, x_shape)",
                  "pt, pb, pl, pr = as_padding(padding)\n"
                  "    return dxp[:, :, pb:pb + x_shape[2], pr:pr + x_shape[3]]"),)),
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
        Mistake("overwrote dw instead of adding to it",
                "One weight is used by every (n, i, j): its gradient is the sum of all their "
                "contributions, so dw[f, c, p, q] += ..., not =.",
                (("dw[f, c, p, q] += (", "dw[f, c, p, q] = ("),)),
    ),
    make_cases=_conv_cases,
    run=_conv_runner("conv2d_input_grad_reference", "conv2d_weight_grad_reference", False),
    expected=_conv_expected,
    next_step="Next, the same gradients as matrix products: the conv2d_im2col exercise.",
)

CONV2D_IM2COL = Exercise(
    name="conv2d_im2col",
    title="the convolution's gradients, as matrix products (im2col / col2im)",
    module="minae.kernels.conv",
    objects=("conv2d_forward", "conv2d_input_grad", "conv2d_weight_grad"),
    where="conv2d_input_grad and conv2d_weight_grad",
    task="""
        Inside the chunk loops of conv2d_input_grad and conv2d_weight_grad, write the matrix
        products (and, for dx, the add-back (col2im) and the crop). Read conv2d_forward
        first: it builds the column matrix cols, one row per output pixel, and computes
        y_rows = cols @ w_mat.
        The module docstring of minae/kernels/im2col.py explains the layouts (the one of
        minae/kernels/conv.py gives the answer away: read it afterwards).
        """,
    math=_CONV_MATH + """
    As matrices: y_rows = cols @ w_mat, (M, K) @ (K, F), with M = n*OH*OW rows (one per output
    pixel of the chunk) and K = KH*KW*C. Differentiate a matrix product:

        dL/dw_mat = ?          dL/dcols = ?       (then add_back adds dcols back into dxp)

    In the code the input gradient is done one tap (p, q) at a time: the block of dcols for
    tap t is dy_rows @ w_taps[t], (M, F) @ (F, C), and np.matmul does all taps in one call.
    """,
    shapes=_CONV_SHAPES_TEXT + """
    Per chunk of m images: dy_rows (m, OH, RW, F) (reshape to (m*P, F), P = OH*RW); w_taps
    (KH*KW, F, C); taps (KH*KW, m*P, C); cols (m, OH, OW, KH, KW, C) (reshape to
    (m*OH*OW, K)); dxp[:m] (m, Hp, Wp, C) = (m, pt + H + pb, pl + W + pr, C), channels last;
    part, dw_mat (K, F). RW is OW, or the padded width Wp for stride 1 (rows made as wide as
    the padded image, extra columns zero, so add_back can add whole images: col2im_wide);
    add_back is col2im or col2im_wide accordingly.
    """,
    hints=(
        "For y = A @ B: dL/dA = dy @ B.T and dL/dB = A.T @ dy; check each against the shapes. "
        "Write into the given buffers with out= (np.matmul(a, b, out=part)).",
        "Input: np.matmul(dy_rows[:m].reshape(m * P, F), w_taps, out=taps) gives every tap's "
        "block; add_back(taps.reshape(KH, KW, m, OH, RW, C), ...) adds them into dxp[:m]; dx[a:b] "
        "is the interior of dxp[:m], starting pt rows and pl columns in, moved back to "
        "channels-first. Weights: each chunk *adds* cols.T @ dy_rows to dw_mat.",
        "np.matmul(cols[:m].reshape(m * P, K).T, dy_rows[:m].reshape(m * P, F), out=part); "
        "dw_mat += part.   add_back(taps.reshape(KH, KW, m, OH, RW, C), (m, Hp, Wp, C), "
        "stride, dilation, out=dxp[:m]); dx[a:b] = dxp[:m, pt:pt + H, pl:pl + W, :]"
        ".transpose(0, 3, 1, 2)",
    ),
    checked_by=_CONV_CHECK + """
    The kernels are run one image per chunk (minae.kernels.conv.CHUNK_BYTES is set to 1 during
    the check), so a chunk loop that forgets to add up its chunks shows.
    """,
    mistakes=(
        Mistake("off-by-one in the padding",
                "dx[a:b] is the interior of dxp: it starts pt rows and pl columns in (the top "
                "and left padding). With uneven padding the bottom/right padding is one more, so "
                "cropping at that offset shifts the image by one.",
                (("dxp[:m, pt:pt + H, pl:pl + W, :]", "dxp[:m, pb:pb + H, pr:pr + W, :]"),)),
        Mistake("overwrote dw_mat with each chunk instead of adding",
                "dw sums over every image; the images come in chunks, so each chunk's "
                "cols.T @ dy_rows is added to dw_mat.",
                (("dw_mat += part", "dw_mat[...] = part"),)),
        Mistake("forgot to take the padding off dx",
                "dxp is the padded, channels-last gradient: dx[a:b] is its interior "
                "dxp[:m, pt:pt + H, pl:pl + W, :], moved back to channels-first.",
                (("dxp[:m, pt:pt + H, pl:pl + W, :]", "dxp[:m]"),)),
    ),
    make_cases=_conv_cases,
    run=_conv_runner("conv2d_input_grad", "conv2d_weight_grad", True),
    expected=_conv_expected,
    next_step="Conv2D (minae/layers/conv.py) calls these kernels: demos/conv_autoencoder.py.",
)


# --- pooling and upsampling -------------------------------------------------------------------

# (N, C, H, W, (KH, KW), (sh, sw), padding (pt, pb, pl, pr))
_POOL_SHAPES = [
    (2, 2, 4, 6, (2, 2), (2, 2), (0, 0, 0, 0)),
    (1, 2, 7, 7, (2, 2), (2, 2), (0, 1, 0, 1)),   # Keras "same": 7 -> 4, padded bottom/right
    (2, 1, 5, 5, (3, 3), (1, 1), (1, 1, 1, 1)),   # overlapping windows share inputs
    (1, 2, 6, 5, (3, 2), (2, 1), (1, 1, 0, 1)),
]


def _pool_cases(rng):
    cases = []
    for n, c, h, w, k, s, pad in _POOL_SHAPES:
        size = n * c * h * w
        # distinct values at least 0.1 apart: no ties, and h = 1e-6 never changes a winner
        x = (rng.permutation(size) * 0.1 - size * 0.05).reshape(n, c, h, w)
        pool = library("minae.kernels.pool")
        y_shape = pool.pool_output_shape(x.shape, k, s, pad)
        cases.append(Case(f"x {x.shape}, kernel {k}, stride {s}, padding {pad}",
                          {"x": x, "k": k, "s": s, "pad": pad,
                           "dy": rng.standard_normal(y_shape)}))
    return cases


def _pool_run(mod, case, out):
    d = case.data
    y, winner = unpack(get(mod, "max_pool2d_forward")(d["x"].copy(), d["k"], d["s"], d["pad"]),
                       2, "max_pool2d_forward")
    out["y"] = y
    out["dx"] = get(mod, "max_pool2d_backward")(d["dy"].copy(), winner, d["x"].shape, d["k"],
                                                d["s"], d["pad"])


def _pool_expected(case):
    d = case.data
    pool = library("minae.kernels.pool")
    x = d["x"].copy()
    y = pool.max_pool2d_forward(x, d["k"], d["s"], d["pad"])[0]
    dx = numerical(lambda: float(np.sum(pool.max_pool2d_forward(x, d["k"], d["s"], d["pad"])[0]
                                        * d["dy"])), {"dx": x})["dx"]
    return {"y": (y, "minae"), "dx": (dx, "numerical")}


MAXPOOL2D = Exercise(
    name="maxpool2d",
    title="max pooling's backward pass",
    module="minae.kernels.pool",
    objects=("max_pool2d_forward", "max_pool2d_backward"),
    where="max_pool2d_backward",
    task="""
        Write the body of max_pool2d_backward: send each window's dy to the tap that won it in
        the forward pass, then take the padding off. Read max_pool2d_forward first (in this
        file): it records, for every window, the winning tap t = p * KW + q.
        """,
    math="""
        y[n, c, i, j] = max_{p, q} xp[n, c, i*sh + p, j*sw + q], with xp the input padded with
        -inf. Near a point without ties, the max is just the winning entry, so

            dy[n, c, i, j] / dxp[n, c, r, s] = ?   (for the winner, and for the others)

        Several windows can share an input when they overlap (stride < kernel): what then?
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
        Float64, 4 cases: 2x2 windows with stride 2, Keras's "same" on an odd size (7 -> 4),
        overlapping 3x3 windows with stride 1, a 3x2 window with uneven padding. The inputs are
        distinct values at least 0.1 apart (no ties, so the gradient exists), dy is random. y
        is compared with minae's forward, dx with the central-difference gradient of
        L = sum(max_pool2d_forward(x)[0] * dy).
        """,
    mistakes=(
        Mistake("sent the gradient to every entry of the window instead of only its maximum",
                "Only the winner affects the output: the others get 0 from that window. (Every "
                "entry sharing dy is average pooling, and even then it is divided.)",
                (("+= dy * (winner == t)", "+= dy"),)),
        Mistake("overwrote the gradient where windows overlap (= instead of +=)",
                "With stride < kernel an input can win several windows; it collects the dy of "
                "every window it won, so add into dxp.",
                (("] += dy * (winner == t)", "] = dy * (winner == t)"),)),
        Mistake("off-by-one in the padding",
                "dx is the interior of dxp: it starts pt rows and pl columns in (the top and "
                "left padding). Keras's \"same\" pads only the bottom/right, so cropping at pb, pr "
                "shifts the image by one.",
                (("dxp[:, :, pt:pt + H, pl:pl + W]", "dxp[:, :, pb:pb + H, pr:pr + W]"),)),
    ),
    make_cases=_pool_cases,
    run=_pool_run,
    expected=_pool_expected,
    next_step="The conv autoencoder's encoder pools three times: demos/conv_autoencoder.py.",
)


def _upsample_cases(rng):
    cases = []
    for shape, scale, mode in [((2, 2, 3, 4), (2, 2), "nearest"),
                               ((1, 3, 4, 3), (2, 3), "nearest"),
                               ((2, 1, 3, 4), (2, 2), "bilinear"),
                               ((1, 2, 4, 3), (3, 2), "bilinear")]:
        x = rng.standard_normal(shape)
        c = layer_case(f"x {shape}, scale_factor {scale}, mode {mode!r}",
                       {"scale_factor": scale, "mode": mode}, x, {}, rng)
        block = scale[0] * scale[1]
        c.factors = {f"1/{block} (one over the block size)": 1 / block,
                     f"{block} (the block size)": block}
        cases.append(c)
    return with_upstream(cases, rng, lambda c: c.data["x"].shape[:2] + tuple(
        n * s for n, s in zip(c.data["x"].shape[2:], c.data["init"]["scale_factor"], strict=True)))


_upsample_run, _upsample_expected = layer_checks("minae.layers.upsample", "Upsample2D")

UPSAMPLE2D = Exercise(
    name="upsample2d",
    title="upsampling's backward pass, nearest and bilinear",
    module="minae.layers.upsample",
    objects=("Upsample2D",),
    where="Upsample2D.backward",
    task="""
        Write the end of Upsample2D.backward: return dx for mode "nearest" and for mode
        "bilinear". Forward is in this file; for bilinear it kept the interpolation matrices
        self.A_h and self.A_w.
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
        'if self.mode == "nearest": dx = np.zeros((N, C, H, W), dtype=dy.dtype); then for a in '
        "range(sh), for b in range(sw): dx += dy[:, :, a::sh, b::sw]; return dx.  Bilinear: "
        "return self.A_h.T @ (dy @ self.A_w)",
    ),
    checked_by="""
        Float64, 4 cases: nearest and bilinear, square and non-square scale factors, random x and
        upstream gradient dy. y is compared with minae's forward, dx with the central-difference
        gradient of L = sum(forward(x) * dy).
        """,
    mistakes=(
        Mistake("averaged each block instead of summing it",
                "Each input pixel was copied sh * sw times and each copy passes its gradient "
                "back in full: sum the block, do not average it.",
                (("dx += dy[:, :, a::sh, b::sw]", "dx += dy[:, :, a::sh, b::sw] / (sh * sw)"),)),
        Mistake("took one pixel of each block instead of summing the block",
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
                (("self.A_h.T @ (dy @ self.A_w)", "self.A_h @ (dy @ self.A_w.T)"),)),
    ),
    make_cases=_upsample_cases,
    run=_upsample_run,
    expected=_upsample_expected,
    next_step="The decoders upsample: demos/conv_autoencoder.py and demos/super_resolution.py.",
)


# --- the VAE's pieces -------------------------------------------------------------------------

def _latent_cases(rng):
    cases = []
    for n, k in [(3, 2), (1, 4), (5, 3)]:
        d = {"z_mean": rng.standard_normal((n, k)),
             "z_log_sigma": 0.7 * rng.standard_normal((n, k)),
             "eps": rng.standard_normal((n, k)),
             "g": rng.standard_normal((n, k))}
        cases.append(Case(f"z_mean, z_log_sigma ({n}, {k})", d,
                          {"2 (a factor two)": 2.0, "1/2 (a factor one half)": 0.5}))
    return cases


def _reparam_run(mod, case, out):
    d = case.data
    gm, gs = unpack(get(mod, "sample_backward")(d["g"].copy(), d["z_log_sigma"].copy(),
                                                d["eps"].copy()), 2, "sample_backward")
    out["grad_z_mean"] = gm
    out["grad_z_log_sigma"] = gs


def _reparam_expected(case):
    d = case.data
    v = library("minae.variational")
    mu, s = d["z_mean"].copy(), d["z_log_sigma"].copy()
    grads = numerical(lambda: float(np.sum(v.sample(mu, s, d["eps"]) * d["g"])),
                      {"grad_z_mean": mu, "grad_z_log_sigma": s})
    return {k: (g, "numerical") for k, g in grads.items()}


REPARAMETERIZATION = Exercise(
    name="reparameterization",
    title="the reparameterization trick's backward pass",
    module="minae.variational",
    objects=("sample", "sample_backward"),
    where="sample_backward",
    task="""
        Write sample_backward: given grad_z = dL/dz for z = sample(z_mean, z_log_sigma, eps),
        return (dL/dz_mean, dL/dz_log_sigma). eps is a fixed input (drawn outside), so z is an
        ordinary differentiable function of z_mean and z_log_sigma.
        """,
    math="""
        z = z_mean + exp(z_log_sigma) * eps, element by element, with z_log_sigma = log sigma
        (the log of the standard deviation, not of the variance). Derive

            dz/dz_mean = ?        dz/dz_log_sigma = ?

        and multiply each by grad_z (the chain rule, element by element).
        """,
    shapes="grad_z, z_log_sigma, eps and both results: (N, latent_dim).",
    hints=(
        "Treat eps as a constant. z is a sum of two terms; each of z_mean and z_log_sigma "
        "appears in only one.",
        "d/ds exp(s) = exp(s), and eps multiplies it. With the log-variance convention there "
        "would be a factor 1/2; minae's z_log_sigma is log sigma, so there is none.",
        "return grad_z, grad_z * np.exp(z_log_sigma) * eps",
    ),
    checked_by="""
        Float64, 3 cases of random (N, latent_dim), random z_mean, z_log_sigma, eps and
        upstream gradient grad_z; both results are compared with the central-difference
        gradients of L = sum(sample(z_mean, z_log_sigma, eps) * grad_z).
        """,
    mistakes=(
        Mistake("treated z_log_sigma as a log-variance",
                "minae's z_log_sigma is log sigma: z = z_mean + exp(s) eps, so dz/ds = exp(s) "
                "eps, with no 1/2 and no exp(s / 2).",
                (("grad_z * np.exp(z_log_sigma) * eps",
                  "grad_z * 0.5 * np.exp(0.5 * z_log_sigma) * eps"),)),
        Mistake("forgot eps in dL/dz_log_sigma",
                "dz/ds = exp(s) * eps: sigma scales the noise, so eps stays in the derivative.",
                (("grad_z * np.exp(z_log_sigma) * eps", "grad_z * np.exp(z_log_sigma)"),)),
        Mistake("forgot the derivative of exp: grad_z * eps",
                "d/ds [exp(s) eps] = exp(s) eps (the chain rule through sigma = exp(s)).",
                (("grad_z * np.exp(z_log_sigma) * eps", "grad_z * eps"),)),
    ),
    make_cases=_latent_cases,
    run=_reparam_run,
    expected=_reparam_expected,
    next_step="The VAE samples its codes this way: demos/vae.py.",
)


def _kl_run(mod, case, out):
    d = case.data
    gm, gs = unpack(get(mod, "kl_divergence_grad")(d["z_mean"].copy(), d["z_log_sigma"].copy()),
                    2, "kl_divergence_grad")
    out["grad_z_mean"] = gm
    out["grad_z_log_sigma"] = gs


def _kl_expected(case):
    d = case.data
    v = library("minae.variational")
    mu, s = d["z_mean"].copy(), d["z_log_sigma"].copy()
    grads = numerical(lambda: float(np.sum(v.kl_divergence(mu, s))),
                      {"grad_z_mean": mu, "grad_z_log_sigma": s})
    return {k: (g, "numerical") for k, g in grads.items()}


KL_GRADIENT = Exercise(
    name="kl_gradient",
    title="the gradient of the VAE's KL term",
    module="minae.variational",
    objects=("kl_divergence", "kl_divergence_grad"),
    where="kl_divergence_grad",
    task="""
        Write kl_divergence_grad: return the gradient of sum(kl_divergence(z_mean,
        z_log_sigma)) with respect to z_mean and to z_log_sigma (kl_divergence, in this file,
        is the forward).
        """,
    math="""
        Per latent dimension, with mu = z_mean, s = z_log_sigma = log sigma:

            KL = 0.5 (mu**2 + sigma**2 - 1) - s,       sigma**2 = exp(2 s)

            dKL/dmu = ?        dKL/ds = ?     (write the second with sigma)

        Both must vanish at the prior, mu = 0 and sigma = 1.
        """,
    shapes="z_mean, z_log_sigma and both results: (N, latent_dim).",
    hints=(
        "Write sigma**2 as exp(2 s) before differentiating with respect to s; mu only appears "
        "in mu**2.",
        "d/ds exp(2 s) = 2 exp(2 s) = 2 sigma**2, and the 0.5 in front cancels the 2; do not "
        "forget the - s term.",
        "return z_mean, np.exp(2.0 * z_log_sigma) - 1.0",
    ),
    checked_by="""
        Float64, 3 cases of random (N, latent_dim) and random z_mean, z_log_sigma; both
        results are compared with the central-difference gradients of sum(kl_divergence).
        """,
    mistakes=(
        Mistake("sigma instead of sigma squared in the KL gradient",
                "dKL/ds = sigma**2 - 1 = exp(2 s) - 1: the KL holds sigma**2 = exp(2 s), and "
                "its derivative keeps the square.",
                (("np.exp(2.0 * z_log_sigma) - 1.0", "np.exp(z_log_sigma) - 1.0"),)),
        Mistake("used the log-variance formula 0.5 (exp(s) - 1)",
                "That is the gradient for a log-variance v = 2 s. minae's z_log_sigma is "
                "log sigma: dKL/ds = exp(2 s) - 1.",
                (("np.exp(2.0 * z_log_sigma) - 1.0", "0.5 * (np.exp(z_log_sigma) - 1.0)"),)),
        Mistake("forgot the -1 that comes from the -log sigma term",
                "KL = 0.5 (mu**2 + sigma**2 - 1) - s: the - s contributes -1, so the gradient "
                "vanishes at sigma = 1.",
                (("np.exp(2.0 * z_log_sigma) - 1.0", "np.exp(2.0 * z_log_sigma)"),)),
        Mistake("dropped the 0.5 in dKL/dmu: 2 mu",
                "d/dmu 0.5 mu**2 = mu.",
                (("return z_mean, ", "return 2.0 * z_mean, "),)),
    ),
    make_cases=_latent_cases,
    run=_kl_run,
    expected=_kl_expected,
    next_step="Train the VAE and watch its KL term: demos/vae.py and demos/beta_vae.py.",
)


# --- Adam -------------------------------------------------------------------------------------

def _adam_cases(rng):
    cases = []
    settings = [
        ({"lr": 1e-2}, 1.0, (3, 4)),
        ({"lr": 1e-3, "eps": 1e-8}, 1e-4, (5,)),  # tiny gradients: where eps matters
        ({"lr": 0.05, "betas": (0.8, 0.99), "eps": 0.1, "weight_decay": 0.1}, 1.0, (2, 3)),
        ({"lr": 1e-2, "eps": 1e-3, "eps_hat": True}, 0.1, (4,)),
    ]
    for hyper, scale, shape in settings:
        d = {"hyper": hyper, "p0": rng.standard_normal(shape),
             "grads": [scale * rng.standard_normal(shape) for _ in range(4)]}
        cases.append(Case(f"p {shape}, " + ", ".join(f"{k}={v}" for k, v in hyper.items()), d))
    return cases


def _adam_updates(cls, case) -> dict:
    d = case.data
    opt = cls(**d["hyper"])
    p = d["p0"].copy()
    model = SimpleNamespace(params={"p": p}, grads={"p": None})
    out = {}
    for k, g in enumerate(d["grads"], start=1):
        model.grads["p"] = g.copy()
        before = p.copy()
        opt.step(model)
        out[f"step {k} update"] = p - before
    return out


def _adam_run(mod, case, out):
    d = case.data
    opt = get(mod, "Adam")(**d["hyper"])
    p = d["p0"].copy()
    model = SimpleNamespace(params={"p": p}, grads={"p": None})
    for k, g in enumerate(d["grads"], start=1):
        model.grads["p"] = g.copy()
        before = p.copy()
        opt.step(model)
        out[f"step {k} update"] = p - before


def _adam_expected(case):
    return {k: (v, "minae") for k, v in _adam_updates(library("minae.optim").Adam, case).items()}


ADAM_STEP = Exercise(
    name="adam_step",
    title="one step of Adam",
    module="minae.optim",
    objects=("Adam",),
    where="Adam._update",
    task="""
        Write the core of Adam._update: update the running averages m and v *in place* (they
        are the state kept between steps), bias-correct them, and update the parameter p *in
        place*. The weight decay, the step count t and the eps placement e are done for you.
        """,
    math="""
        Nothing to differentiate here: implement the rule (Kingma & Ba, as torch.optim.Adam),
        with t = 1 on the first step and m, v starting at 0:

            m = beta1 m + (1 - beta1) g
            v = beta2 v + (1 - beta2) g**2
            m_hat = m / (1 - beta1**t)          v_hat = v / (1 - beta2**t)
            p = p - lr m_hat / (sqrt(v_hat) + e)

        Why the bias correction: after one step m = (1 - beta1) g, ten times too small; divided
        by (1 - beta1**1) it is exactly g. So the first step moves every parameter by about lr.
        """,
    shapes="p, g, m, v, m_hat, v_hat: all the parameter's shape; t is an int.",
    hints=(
        "The optimizer keeps m and v in state between calls: change the arrays themselves "
        "(m *= ..., m += ...), or the next step starts again from zero. Same for p: the model "
        "holds a reference to it.",
        "Bias correction divides by (1 - beta**t) with this parameter's step count t, for m with "
        "beta1 and for v with beta2; e goes outside the square root: sqrt(v_hat) + e.",
        "m *= beta1; m += (1 - beta1) * g; v *= beta2; v += (1 - beta2) * g**2; "
        "m_hat = m / (1 - beta1**t); v_hat = v / (1 - beta2**t); "
        "p -= self.lr * m_hat / (np.sqrt(v_hat) + e)",
    ),
    checked_by="""
        Not by finite differences (an update rule has nothing to differentiate): your Adam and
        minae's run side by side for 4 steps on the same random gradients, in float64, under 4
        settings (default, tiny gradients where eps matters, weight decay and large eps, Keras's
        eps_hat), and each step's update of p is compared with minae's.
        """,
    mistakes=(
        Mistake("no bias correction",
                "m and v start at 0, so early on they are too small by the factors "
                "(1 - beta1**t) and (1 - beta2**t): divide them out.",
                (("m_hat = m / (1.0 - beta1**t)", "m_hat = m"),
                 ("v_hat = v / (1.0 - beta2**t)", "v_hat = v"))),
        Mistake("eps inside the square root",
                "PyTorch and minae add eps outside: sqrt(v_hat) + e. (Keras's RMSprop puts it "
                "inside; it matters when v_hat is tiny.)",
                (("np.sqrt(v_hat) + e", "np.sqrt(v_hat + e)"),)),
        Mistake("rebound m and v instead of updating them in place",
                "m = beta1 * m + ... makes a new array and leaves state['m'] at zero, so every "
                "step starts from scratch. Update in place: m *= beta1; m += (1 - beta1) * g.",
                (("m *= beta1\n        m += (1.0 - beta1) * g",
                  "m = beta1 * m + (1.0 - beta1) * g"),
                 ("v *= beta2\n        v += (1.0 - beta2) * g**2",
                  "v = beta2 * v + (1.0 - beta2) * g**2"))),
        Mistake("rebound p instead of updating it in place",
                "p = p - ... only changes the local name; the model's array stays as it was. "
                "Write p -= ....",
                (("p -= self.lr * m_hat", "p = p - self.lr * m_hat"),)),
        Mistake("forgot to square the gradient in v",
                "v is the running average of g**2 (so sqrt(v) is a root mean square).",
                (("(1.0 - beta2) * g**2", "(1.0 - beta2) * g"),)),
    ),
    make_cases=_adam_cases,
    run=_adam_run,
    expected=_adam_expected,
    next_step="Every demo trains with Adam or RMSprop: demos/conv_autoencoder.py.",
)


EXERCISES: dict[str, Exercise] = {e.name: e for e in [
    DENSE, RELU, SIGMOID, MSE, BCE_WITH_LOGITS, ADAM_STEP, CONV2D_LOOPS, CONV2D_IM2COL,
    MAXPOOL2D, UPSAMPLE2D, REPARAMETERIZATION, KL_GRADIENT,
]}
