"""Exercise softplus: the backward pass of softplus (``minae/layers/activations.py``)."""

import numpy as np

from minae.exercises.harness import activation_cases, layer_case, layer_checks
from minae.exercises.spec import Case, Exercise, Mistake


def make_cases(rng: np.random.Generator) -> list[Case]:
    cases = activation_cases(rng)
    big = rng.uniform(60.0, 800.0, (2, 6)) * rng.choice([-1.0, 1.0], (2, 6))
    big[0, 0] = 750.0
    c = layer_case("x (2, 6) with |x| from 60 to 800 (exp(x) overflows)", {}, big, {},
                   exact=True)
    c.data["g"] = rng.standard_normal(big.shape)
    return cases + [c]


run, expected = layer_checks("minae.layers.activations", "Softplus")

EXERCISE = Exercise(
    name="softplus",
    title="softplus's backward pass",
    module="minae.layers.activations",
    objects=("Softplus",),
    where="Softplus.backward",
    task="""
        Write Softplus.backward: return dx = dL/dx (check dy with check_upstream). Forward kept
        its input, self.x; sigmoid (imported for you) is numerically stable.
        """,
    math="""
        y = softplus(x) = log(1 + exp(x)). Differentiate:

            softplus'(x) = exp(x) / (1 + exp(x)) = ?  (a function you know)

        and write it so that it cannot overflow for large |x|.
        """,
    shapes="x, y, dy, dx: any shape, all the same.",
    hints=(
        "d/dx log(u) = u' / u with u = 1 + exp(x).",
        "exp(x) / (1 + exp(x)) = 1 / (1 + exp(-x)): the sigmoid. Use minae's sigmoid, which "
        "never computes exp of a large positive number.",
        'return check_upstream(dy, self.x.shape, "Softplus") * sigmoid(self.x)',
    ),
    checked_by="""
        5 cases of random shapes (inputs of scale 2; one in float32, compared at a float32
        tolerance, dtype checked) and one with inputs of size 60 to 800, where
        exp(x) / (1 + exp(x)) overflows to NaN (compared with minae's value); dx is compared
        with the central-difference gradient of L = sum(forward(x) * dy).
        """,
    mistakes=(
        Mistake("wrote the derivative as exp(x) / (1 + exp(x)), which overflows",
                "For x > 709 exp(x) is inf in float64 (x > 88 in float32) and inf / inf is "
                "NaN; sigmoid(x) = 1 / (1 + exp(-x)) is the same number and never overflows.",
                (("sigmoid(self.x)", "(np.exp(self.x) / (1.0 + np.exp(self.x)))"),)),
        Mistake("used the output instead of the input: sigmoid(y)",
                "softplus'(x) = sigmoid(x), of the input x that forward kept.",
                (("sigmoid(self.x)", "sigmoid(softplus(self.x))"),)),
        Mistake("differentiated log(1 + e^x) as 1 / (1 + e^x)",
                "The chain rule through u = 1 + exp(x) multiplies by u' = exp(x): the result "
                "is exp(x) / (1 + exp(x)) = sigmoid(x).",
                (("sigmoid(self.x)", "sigmoid(-self.x)"),)),
    ),
    make_cases=make_cases,
    run=run,
    expected=expected,
    next_step="Softplus is the discriminator losses' building block: minae/adversarial/losses.py.",
)
