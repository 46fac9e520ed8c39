"""Exercise adam_step: one step of Adam (``minae/optim.py``)."""

from types import ModuleType, SimpleNamespace

import numpy as np

from minae.exercises.harness import get, library
from minae.exercises.spec import Case, Exercise, Mistake


def make_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    settings = [
        ({"lr": 1e-2}, 1.0, (3, 4), np.float64),
        ({"lr": 1e-3, "eps": 1e-8}, 1e-4, (5,), np.float64),  # tiny gradients: where eps matters
        ({"lr": 0.05, "betas": (0.8, 0.99), "eps": 0.1, "weight_decay": 0.1}, 1.0, (2, 3),
         np.float64),
        ({"lr": 1e-2, "eps": 1e-3, "eps_hat": True}, 0.1, (4,), np.float64),
        ({"lr": 1e-2}, 1.0, (3, 3), np.float32),
    ]
    for hyper, scale, shape, dtype in settings:
        d = {"hyper": hyper, "p0": rng.standard_normal(shape),
             "grads": [scale * rng.standard_normal(shape) for _ in range(4)]}
        label = f"p {shape}, " + ", ".join(f"{k}={v}" for k, v in hyper.items()) + \
            ("" if dtype == np.float64 else ", float32")
        cases.append(Case(label, d, {}, dtype))
    return cases


def updates(cls, case, dtype, out: dict) -> None:
    """Four steps of ``cls(**hyper)`` on the case's gradients; each step's update of p."""
    d = case.data
    opt = cls(**d["hyper"])
    p = d["p0"].astype(dtype)
    model = SimpleNamespace(params={"p": p}, grads={"p": None})
    for k, g in enumerate(d["grads"], start=1):
        model.grads["p"] = g.astype(dtype)
        before = p.copy()
        opt.step(model)
        out[f"step {k} update"] = p - before


def run(mod: ModuleType, case: Case, out: dict) -> None:
    updates(get(mod, "Adam"), case, case.dtype, out)


def expected(case: Case) -> dict:
    out: dict = {}
    updates(library("minae.optim").Adam, case, np.float64, out)
    return {k: (v, "minae") for k, v in out.items()}


EXERCISE = Exercise(
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
        minae's run side by side for 4 steps on the same random gradients under 5 settings
        (default, tiny gradients where eps matters, weight decay and large eps, Keras's
        eps_hat, and float32 like the layers' parameters, compared with minae's float64 steps
        at a float32 tolerance, dtype checked), and each step's update of p is compared with
        minae's.
        """,
    mistakes=(
        Mistake("no bias correction",
                "m and v start at 0, so early on they are too small by the factors "
                "(1 - beta1**t) and (1 - beta2**t): divide them out.",
                (("m_hat = m / (1.0 - beta1**t)", "m_hat = m"),
                 ("v_hat = v / (1.0 - beta2**t)", "v_hat = v"))),
        Mistake("the step counter is off by one in the bias correction",
                "t is already this step's number (1 on the first step, counted for you before "
                "your code); 1 - beta**(t + 1) corrects for one step too many.",
                (("m / (1.0 - beta1**t)", "m / (1.0 - beta1 ** (t + 1))"),
                 ("v / (1.0 - beta2**t)", "v / (1.0 - beta2 ** (t + 1))"))),
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
    make_cases=make_cases,
    run=run,
    expected=expected,
    next_step="Every demo trains with Adam or RMSprop: demos/conv_autoencoder.py.",
)
