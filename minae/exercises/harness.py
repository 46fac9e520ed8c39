"""How the specs run a module's code on a case, and what they compare it with.

Shared by the specs in ``minae/exercises/specs/``: calling a learner's function and turning a
wrong shape of result into a sentence (``get``, ``unpack``, ``each``), the right answers
(``numerical``: central differences of minae's own forward; or minae's own backward where a
finite difference cannot give the documented answer: at a kink, a tie, or on images too big to
difference), and the two families every layer and loss exercise share (``layer_checks``,
``loss_checks``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType

import numpy as np

from minae.exercises.spec import Case, LearnerError, MissingName
from minae.gradcheck import numerical_gradient

H = 1e-6  # central-difference step
DIFFERENCE_LIMIT = 600  # inputs with more entries than this are compared with minae's backward


def get(mod: ModuleType, name: str):
    """``mod.name``, or a ``MissingName`` that says what is missing."""
    try:
        return getattr(mod, name)
    except AttributeError:
        raise MissingName(f"your file has no {name!r}; the exercise calls it (did you rename "
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


def cast(case: Case, value):
    """A fresh copy of a float64 input in the case's dtype (what the learner's code gets)."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value.astype(case.dtype)
    return value


def away_from_zero(rng: np.random.Generator, shape, gap: float = 0.1) -> np.ndarray:
    """Normal draws pushed off ``(-gap, gap)``: keeps a kink away from the differences."""
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < gap, np.where(x < 0, -gap, gap), x)


def with_kinks(rng: np.random.Generator, shape, at: float = 0.0, share: float = 0.25):
    """Normal draws with about ``share`` of the entries exactly at the kink ``at``."""
    x = 2.0 * away_from_zero(rng, shape)
    x[rng.random(shape) < share] = at
    return x


def dtype_label(case: Case) -> str:
    return "" if case.dtype == np.float64 else ", float32"


# --- layers: y = forward(x), dx = backward(dy), grads -----------------------------------------

def layer_case(label: str, init: dict, x: np.ndarray, params: dict, *, exact: bool = False,
               dtype=np.float64, factors: dict | None = None) -> Case:
    """A layer case; ``exact``: compare with minae's backward (kinks, ties), not differences."""
    data = {"init": init, "x": x, "params": params, "g": None, "exact": exact}
    return Case(label + ("" if dtype == np.float64 else ", float32"), data, factors or {}, dtype)


def with_upstream(cases: list[Case], rng, out_shape) -> list[Case]:
    for c in cases:
        c.data["g"] = rng.standard_normal(out_shape(c))
    return cases


def layer_checks(module: str, cls: str, dtype_arg: bool = False):
    """``run`` and ``expected`` for a layer: y, dx and every parameter gradient.

    ``dtype_arg``: the layer takes ``dtype=`` (it has parameters); float32 cases pass it.
    """

    def build(mod, case, dtype):
        init = dict(case.data["init"], **({"dtype": dtype} if dtype_arg else {}))
        layer = get(mod, cls)(**init)
        for k, v in case.data["params"].items():
            if k not in getattr(layer, "params", {}):
                raise LearnerError(f"{cls}.params has no {k!r}")
            layer.params[k][...] = v
        return layer

    def run(mod, case, out):
        layer = build(mod, case, case.dtype)
        for _ in range(2):  # twice: backward must write the gradients, not add to them
            out["y"] = layer.forward(cast(case, case.data["x"]))
            grads = getattr(layer, "grads", {})
            before = {k: (id(v), np.array(v, copy=True)) for k, v in grads.items()}
            try:
                out["dx"] = layer.backward(cast(case, case.data["g"]))
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
        layer = build(library(module), case, np.float64)
        x = case.data["x"].copy()
        g = case.data["g"]
        res = {"y": (layer.forward(x), "minae")}
        if case.data["exact"] or x.size > DIFFERENCE_LIMIT:
            res["dx"] = (layer.backward(g.copy()), "minae")
            res.update({"d" + k: (layer.grads[k].copy(), "minae") for k in layer.params})
            return res
        grads = numerical(lambda: float(np.sum(layer.forward(x) * g)),
                          {"dx": x, **{"d" + k: v for k, v in layer.params.items()}})
        res.update({k: (v, "numerical") for k, v in grads.items()})
        return res

    return run, expected


# --- losses: (value, grad) = f(prediction, target, reduction) ---------------------------------

def loss_checks(module: str, fn: str):
    def run(mod, case, out):
        d = case.data
        value, grad = unpack(get(mod, fn)(cast(case, d["p"]), cast(case, d["t"]),
                                          reduction=d["reduction"]), 2, fn)
        out["value"] = np.asarray(value)
        out["grad"] = grad

    def expected(case):
        d = case.data
        f = getattr(library(module), fn)
        p = d["p"].copy()
        value, grad = f(p, d["t"], reduction=d["reduction"])
        if d.get("exact"):
            return {"value": (np.asarray(value), "minae"), "grad": (grad, "minae")}
        grad = numerical(lambda: f(p, d["t"], reduction=d["reduction"])[0], {"grad": p})
        return {"value": (np.asarray(value), "minae"), "grad": (grad["grad"], "numerical")}

    return run, expected


def activation_cases(rng, *, kink: float | None = None, scale: float = 2.0,
                     init: dict | None = None) -> list[Case]:
    """Cases for an element-wise layer: several shapes, a batch of 1, float32, and (with
    ``kink``) inputs exactly at the kink, compared with minae's documented value there."""
    cases = []
    for shape, dtype in [((3, 5), np.float64), ((2, 3, 4, 4), np.float64), ((1, 7), np.float64),
                         ((4, 6), np.float32)]:
        x = scale * (away_from_zero(rng, shape) if kink is not None else rng.standard_normal(shape))
        cases.append(layer_case(f"x {shape}", dict(init or {}), x, {}, dtype=dtype))
    if kink is not None:
        for dtype in (np.float64, np.float32):
            cases.append(layer_case(f"x (3, 8) with a quarter of the entries exactly {kink:g}",
                                    dict(init or {}), with_kinks(rng, (3, 8), kink), {},
                                    exact=True, dtype=dtype))
    return with_upstream(cases, rng, lambda c: c.data["x"].shape)
